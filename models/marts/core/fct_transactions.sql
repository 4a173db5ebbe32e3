{#
    Transaction grain: one row per clean transaction, keyed to every dimension. Materialised once
    from int_transactions_enriched; at 100M rows this is the only full pass over the raw files.
#}
with

transactions as (select * from {{ ref('int_transactions_enriched') }}),

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
    from transactions
)

select * from final
