{#
    Transaction grain: one row per clean transaction, keyed to every dimension. Materialised once
    from int_transactions_enriched; at 100M rows this is the only full pass over the raw files.
    transaction_at and hour_of_day are NULL when the bank gives no time of day; account_id is
    NULL when the bank names the customer but no account; the behavioural flags are NULL where
    the data cannot tell (see int_transactions_enriched).

    Incremental: a build takes only the enriched transactions whose base row is newer than this
    table's watermark (loaded_at) and replaces their transaction_ids (delete+insert), so a new
    month costs a month. When the base table was rebuilt from scratch, the pre-hook empties this
    table first and every transaction is taken again.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail',
        pre_hook="{{ reset_when_upstream_rebuilt(ref('base_core__transactions')) }}",
    )
}}

-- depends_on: {{ ref('base_core__transactions') }}

with

transactions as (
    select *
    from {{ ref('int_transactions_enriched') }}
    {%- if is_incremental() %}
    where loaded_at > {{ loaded_watermark(this) }}
    {%- endif %}
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
