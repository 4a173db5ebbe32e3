{#
    Clean monthly spend aggregates: one row per customer, month, category, payment type and
    channel of a clean customer, inside the data window, with an amount of zero or more. Codes
    are NULL where the source has none (or an unknown one, named in dq_flags).
#}
with

monthly_spend as (select * from {{ ref('base_core__monthly_spend') }}),

final as (
    select
        customer_id,
        spend_month,
        category,
        payment_type,
        channel,
        amount,
        transaction_count,
        dq_flags,
        derived_columns
    from monthly_spend
    where quarantine_reason is null
)

select * from final
