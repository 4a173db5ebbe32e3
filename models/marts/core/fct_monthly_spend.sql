{#
    Monthly spend grain: one row per customer, month, category, payment type and channel, as a
    bank that delivers spend aggregates instead of transactions reports it (Mitron Bank's
    fact_spends). customer_monthly_features takes these for the customer-months without
    transactions. Empty for a bank without monthly_spend.
#}
with

monthly_spend as (select * from {{ ref('stg_core__monthly_spend') }}),

final as (
    select
        customer_id,
        spend_month,
        {{ to_date_key('spend_month') }} as date_key,
        category,
        payment_type,
        channel,
        amount,
        transaction_count,
        dq_flags,
        derived_columns
    from monthly_spend
)

select * from final
