{#
    Transaction grain: one row per clean transaction, keyed to every dimension. transaction_at
    and hour_of_day are NULL when the bank gives no time of day; account_id is NULL when the bank
    names the customer but no account; the behavioural flags are NULL where the data cannot tell
    (see int_transactions_enriched).

    A view: each transaction is read, typed, judged and stored once, in base_core__transactions
    (incremental: a new month loads a month), whose columns already hold everything this fact
    needs but the two small reference lookups. Writing the same rows a second time cost about as
    much as judging them (22 of 54 s at 10M transactions). BI never reads this view in the build
    file: `bankmart publish` serves it as a table (DuckDB file and Parquet).
#}
{{ config(materialized='view') }}

with

transactions as (
    select *
    from {{ ref('int_transactions_enriched') }}
),

final as (
    select
        transaction_id,
        customer_id,
        account_id,
        coalesce(merchant_id, '-1') as merchant_id,
        {{ to_date_key('transaction_date') }} as date_key,
        transaction_at,
        transaction_date,
        transaction_month,
        hour_of_day,
        amount,
        currency,
        channel,
        payment_type,
        category,
        category_source,
        country_code,
        account_type,
        is_discretionary,
        is_essential,
        is_cross_border,
        is_night,
        is_atm,
        is_online,
        is_fraud,
        has_fraud_label,
        dq_flags,
        derived_columns,
        loaded_at,
    from transactions
)

select * from final
