{#
    Transaction grain: one row per clean transaction, narrow for BI: integer surrogate keys into
    dim_customer, dim_account, dim_merchant and dim_date instead of the bank's string ids, the
    amount, the codes (low-cardinality strings, which Parquet, DuckDB and Power BI all store
    dictionary-encoded, as compactly as small integer keys) and the behavioural flags.
    transaction_at and hour_of_day are NULL when the bank gives no time of day; account_key is
    NULL when the bank names the customer but no account; the flags are NULL where the data
    cannot tell (see int_transactions_enriched, which models inside the warehouse read instead,
    with the natural ids).

    A view: each transaction is read, typed, judged and stored once, in base_core__transactions
    (incremental: a new month loads a month). The keys come from the dimensions, which number
    their members in natural-id order at every build. BI never reads this view in the build
    file: `bankmart publish` serves it as a table (DuckDB file and Parquet).
#}
{{ config(materialized='view') }}

with

transactions as (select * from {{ ref('int_transactions_enriched') }}),

customers as (
    select
        customer_key,
        customer_id
    from {{ ref('dim_customer') }}
),

accounts as (
    select
        account_key,
        account_id
    from {{ ref('dim_account') }}
),

merchants as (
    select
        merchant_key,
        merchant_id
    from {{ ref('dim_merchant') }}
),

final as (
    select
        transactions.transaction_id,
        customers.customer_key,
        accounts.account_key,
        merchants.merchant_key,
        {{ to_date_key('transactions.transaction_date') }} as date_key,
        transactions.transaction_at,
        transactions.transaction_date,
        transactions.transaction_month,
        transactions.hour_of_day,
        transactions.amount,
        transactions.currency,
        transactions.channel,
        transactions.payment_type,
        transactions.category,
        transactions.category_source,
        transactions.country_code,
        transactions.is_discretionary,
        transactions.is_essential,
        transactions.is_cross_border,
        transactions.is_night,
        transactions.is_atm,
        transactions.is_online,
        transactions.is_fraud,
        transactions.has_fraud_label,
        transactions.dq_flags,
        transactions.derived_columns,
        transactions.loaded_at
    from transactions
    -- Left joins: a transaction whose member is missing keeps its row with a NULL key, which
    -- the has_no_nulls test on the keys reports, rather than vanishing from the fact.
    left join customers
        on transactions.customer_id = customers.customer_id
    left join accounts
        on transactions.account_id = accounts.account_id
    left join merchants
        on coalesce(transactions.merchant_id, '-1') = merchants.merchant_id
)

select * from final
