{#
    Clean transactions with a category that is never missing and the behavioural flags every
    downstream model uses. A view, like fct_transactions over it: the transactions are stored
    once, in base_core__transactions, which already carries the account type, the owner's home
    country and the merchant's category; only the two small reference tables (spend categories,
    channels) are joined here.

    A flag is NULL when the bank's data cannot tell: is_night without a time of day, is_atm and
    is_online without a channel, is_cross_border without a country, is_discretionary and
    is_essential when neither the transaction, its merchant nor its channel gives a category. The
    feature layer computes each share over the transactions whose flag is known, so a bank
    without times has no night share rather than a night share of 1 (midnight) or 0.

    loaded_at (from the base table, through stg_core__transactions) is what the incremental
    customer_monthly_features filters on; DuckDB pushes that filter through the views to the
    base table's scan.
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
        category as transaction_category,
        country_code,
        is_fraud as fraud_label,
        dq_flags,
        derived_columns,
        account_type,
        home_country_code,
        merchant_category,
        loaded_at
    from {{ ref('stg_core__transactions') }}
),

spend_categories as (select * from {{ ref('int_spend_categories') }}),

channels as (
    select
        channel,
        is_online,
        is_atm
    from {{ ref('channels') }}
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
        end as category_source
    from transactions
),

timed as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'transaction_date') }} as date) as transaction_month,
        cast(hour(transaction_at) as integer) as hour_of_day
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
        timed.loaded_at
    from timed
    left join spend_categories
        on timed.category = spend_categories.category
    left join channels
        on timed.channel = channels.channel
)

select * from final
