{#
    Clean transactions with their owner, a category that is never missing and the behavioural
    flags every downstream model uses. A view: fct_transactions materialises it once, so the raw
    files are read a single time per build. Only small dimensions are joined (hash joins on keys).

    A flag is NULL when the bank's data cannot tell: is_night without a time of day, is_atm and
    is_online without a channel, is_cross_border without a country, is_discretionary and
    is_essential when neither the transaction, its merchant nor its channel gives a category. The
    feature layer computes each share over the transactions whose flag is known, so a bank
    without times has no night share rather than a night share of 1 (midnight) or 0.

    loaded_at (from the base table, through stg_core__transactions) is what the incremental
    fct_transactions filters on; DuckDB pushes that filter through both views to the scan.
#}
with

transactions as (
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
        dq_flags,
        derived_columns,
        loaded_at,
    from {{ ref('stg_core__transactions') }}
),

accounts as (
    select
        account_id,
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
        transactions.customer_id,
        accounts.account_type,
        transactions.merchant_id,
        transactions.transaction_date,
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
        transactions.dq_flags,
        transactions.derived_columns,
        transactions.loaded_at,
    from transactions
    left join accounts
        on transactions.account_id = accounts.account_id
    left join customers
        on transactions.customer_id = customers.customer_id
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
        cast({{ dbt.date_trunc('month', 'transaction_date') }} as date) as transaction_month,
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
        case when timed.category_source <> 'default' then coalesce(spend_categories.is_discretionary, false) end
            as is_discretionary,
        case when timed.category_source <> 'default' then coalesce(spend_categories.is_essential, false) end
            as is_essential,
        case
            when timed.country_code is not null
                then timed.country_code <> coalesce(timed.home_country_code, '{{ var("home_country", "IN") }}')
        end as is_cross_border,
        timed.hour_of_day >= 22 or timed.hour_of_day < 6 as is_night,
        channels.is_atm,
        channels.is_online,
        coalesce(timed.fraud_label, false) as is_fraud,
        timed.fraud_label is not null as has_fraud_label,
        timed.dq_flags,
        timed.derived_columns,
        timed.loaded_at,
    from timed
    left join spend_categories
        on timed.category = spend_categories.category
    left join channels
        on timed.channel = channels.channel
)

select * from final
