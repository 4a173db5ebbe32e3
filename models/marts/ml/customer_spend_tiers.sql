{#
    One row per customer: its spend tier, computed by ml_customer_spend_tiers: pd.qcut's tiers
    whenever qcut succeeds; where quantile edges collide, the lowest tier whose upper edge holds
    the value (tied customers share a tier; zero spend is never above positive spend).
#}
with

tiers as (
    select *
    from {{ ref('ml_customer_spend_tiers') }}
    where output = 'assignments'
),

final as (
    select
        cast(customer_id as string) as customer_id,
        cast(measure_value as double) as measure_value,
        cast(tier_code as string) as tier_code,
        cast(tier_name as string) as tier_name,
        cast(tier_rank as integer) as tier_rank
    from tiers
)

select * from final
