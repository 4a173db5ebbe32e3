{# One row per customer: its spend tier (pd.qcut semantics, computed by ml_customer_spend_tiers). #}
with

tiers as (select * from {{ ref('ml_customer_spend_tiers') }}),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(measure_value as double) as measure_value,
        cast(tier_code as varchar) as tier_code,
        cast(tier_name as varchar) as tier_name,
        cast(tier_rank as integer) as tier_rank,
    from tiers
)

select * from final
