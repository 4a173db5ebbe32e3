{#
    One row per clean merchant plus the '-1' "No merchant" member, which facts use for ATM
    withdrawals, transfers and other payments without a merchant, so every fact row joins.
#}
with

merchants as (select * from {{ ref('stg_core__merchants') }}),

spend_categories as (select * from {{ ref('int_spend_categories') }}),

described as (
    select
        merchants.merchant_id,
        merchants.merchant_name,
        merchants.mcc,
        merchants.category,
        spend_categories.category_label,
        coalesce(spend_categories.is_discretionary, false) as is_discretionary,
        coalesce(spend_categories.is_essential, false) as is_essential,
        merchants.city,
        merchants.country_code,
        coalesce(merchants.country_code = '{{ var("home_country", "IN") }}', false) as is_domestic,
    from merchants
    left join spend_categories
        on merchants.category = spend_categories.category
),

no_merchant as (
    select
        '-1' as merchant_id,
        'No merchant' as merchant_name,
        cast(null as varchar) as mcc,
        cast(null as varchar) as category,
        'No merchant' as category_label,
        false as is_discretionary,
        false as is_essential,
        cast(null as varchar) as city,
        cast(null as varchar) as country_code,
        cast(null as boolean) as is_domestic,
),

final as (
    select * from described
    union all
    select * from no_merchant
)

select * from final
