{#
    Clean transactions with their owner, a category that is never missing and the behavioural
    flags every downstream model uses. A view: fct_transactions materialises it once, so the raw
    files are read a single time per build. Only small dimensions are joined (hash joins on keys).

    The clean rows are read from base_core__transactions (the table behind the
    stg_core__transactions view, same rows and columns) because its loaded_at is what the
    incremental fct_transactions filters on: a filter on a base column reaches the table scan.
#}
with

transactions as (
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
        loaded_at,
    from {{ ref('base_core__transactions') }}
    where quarantine_reason is null
),

accounts as (
    select
        account_id,
        customer_id,
        account_type,
    from {{ ref('stg_core__accounts') }}
),

customers as (
    select
        customer_id,
        country_code as home_country_code,
    from {{ ref('stg_core__customers') }}
),

merchants as (
    select
        merchant_id,
        category as merchant_category,
    from {{ ref('stg_core__merchants') }}
),

spend_categories as (select * from {{ ref('int_spend_categories') }}),

channels as (
    select
        channel,
        is_online,
        is_atm,
    from {{ ref('channels') }}
),

joined as (
    select
        transactions.transaction_id,
        transactions.account_id,
        accounts.customer_id,
        accounts.account_type,
        transactions.merchant_id,
        transactions.transaction_at,
        transactions.amount,
        transactions.currency,
        transactions.channel,
        transactions.payment_type,
        transactions.category as transaction_category,
        merchants.merchant_category,
        transactions.country_code,
        customers.home_country_code,
        transactions.is_fraud as fraud_label,
        transactions.loaded_at,
    from transactions
    left join accounts
        on transactions.account_id = accounts.account_id
    left join customers
        on accounts.customer_id = customers.customer_id
    left join merchants
        on transactions.merchant_id = merchants.merchant_id
),

-- The transaction's own category wins; then the merchant's; payments without a merchant get
-- the category of their channel (ATM -> cash, transfer -> transfers); anything left is 'others'.
categorised as (
    select
        *,
        case
            when transaction_category is not null then transaction_category
            when merchant_category is not null then merchant_category
            when channel = 'atm_withdrawal' then 'cash'
            when channel = 'transfer' then 'transfers'
            else 'others'
        end as category,
        case
            when transaction_category is not null then 'transaction'
            when merchant_category is not null then 'merchant'
            when channel in ('atm_withdrawal', 'transfer') then 'channel'
            else 'default'
        end as category_source,
    from joined
),

timed as (
    select
        *,
        cast(transaction_at as date) as transaction_date,
        cast(date_trunc('month', transaction_at) as date) as transaction_month,
        cast(hour(transaction_at) as integer) as hour_of_day,
    from categorised
),

final as (
    select
        timed.transaction_id,
        timed.account_id,
        timed.customer_id,
        timed.account_type,
        timed.merchant_id,
        timed.transaction_at,
        timed.transaction_date,
        timed.transaction_month,
        timed.hour_of_day,
        timed.amount,
        timed.currency,
        timed.channel,
        timed.payment_type,
        timed.category,
        timed.category_source,
        timed.country_code,
        timed.home_country_code,
        coalesce(spend_categories.is_discretionary, false) as is_discretionary,
        coalesce(spend_categories.is_essential, false) as is_essential,
        coalesce(
            timed.country_code <> coalesce(timed.home_country_code, '{{ var("home_country", "IN") }}'),
            false
        ) as is_cross_border,
        timed.hour_of_day >= 22 or timed.hour_of_day < 6 as is_night,
        coalesce(channels.is_atm, false) as is_atm,
        coalesce(channels.is_online, false) as is_online,
        coalesce(timed.fraud_label, false) as is_fraud,
        timed.fraud_label is not null as has_fraud_label,
        timed.loaded_at,
    from timed
    left join spend_categories
        on timed.category = spend_categories.category
    left join channels
        on timed.channel = channels.channel
)

select * from final
