{#
    Clean transactions: one row per transaction_id of a clean customer (through a clean account,
    or named directly), dated inside the data window, with a positive amount in the home
    currency. transaction_at is NULL when the time of day is unknown; category is NULL when the
    raw row had none or an unknown one (intermediate falls back to the merchant's); is_fraud is
    NULL when the source does not say. dq_flags names the attributes that could not be read.
    account_type, home_country_code (the owning customer's country) and merchant_category are
    the clean parents' values, looked up once when the base row was judged (NULL without a
    clean account, customer country or clean merchant), so no later layer joins the parents
    again over every transaction.
    loaded_at is the base row's load time: the incremental fct_transactions filters on it, and
    DuckDB pushes that filter through this view to the base table's scan.
#}
with

transactions as (select * from {{ ref('base_core__transactions') }}),

final as (
    select
        transaction_id,
        account_id,
        customer_id,
        merchant_id,
        transaction_date,
        transaction_at,
        amount,
        currency,
        channel,
        payment_type,
        category,
        country_code,
        is_fraud,
        txn_month,
        dq_flags,
        derived_columns,
        account_type,
        home_country_code,
        merchant_category,
        loaded_at
    from transactions
    where quarantine_reason is null
)

select * from final
