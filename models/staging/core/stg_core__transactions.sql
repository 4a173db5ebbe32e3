{#
    Clean transactions: one row per transaction_id on a clean account, timestamped, with a positive
    amount in the home currency and known codes. category is NULL when the raw row had none
    (intermediate falls back to the merchant's); is_fraud is NULL when the source does not say.
#}
with

transactions as (select * from {{ ref('base_core__transactions') }}),

final as (
    select
        transaction_id,
        account_id,
        merchant_id,
        transaction_at,
        amount,
        currency,
        channel,
        payment_type,
        category,
        country_code,
        is_fraud,
        txn_month,
    from transactions
    where quarantine_reason is null
)

select * from final
