{#
    One row per spend tier: the value range and the quantile edges. A value v belongs to a tier
    when lower_edge < v <= upper_edge (the lowest tier also takes v = lower_edge), the lowest
    such tier when edges are equal (a tier between two equal edges is empty): the rule BI tools
    reuse, e.g. the generated DAX measure.
#}
with

thresholds as (
    select *
    from {{ ref('ml_customer_spend_tiers') }}
    where output = 'thresholds'
),

final as (
    select
        cast(tier_code as string) as tier_code,
        cast(tier_name as string) as tier_name,
        cast(tier_rank as integer) as tier_rank,
        cast(min_value as double) as min_value,
        cast(max_value as double) as max_value,
        cast(lower_edge as double) as lower_edge,
        cast(upper_edge as double) as upper_edge,
        cast(customers as bigint) as customers,
        cast(mean_value as double) as mean_value,
        cast(method as string) as method
    from thresholds
)

select * from final
