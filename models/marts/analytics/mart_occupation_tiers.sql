{#
    Spend tier x occupation x age band: who fills each tier. share_of_tier is the group's share
    of the tier's customers; share_of_group how much of the occupation/age-band group reaches
    the tier.
#}
with

tiers as (
    select
        customer_id,
        tier_code,
        tier_name,
        tier_rank
    from {{ ref('customer_spend_tiers') }}
),

customers as (
    select
        customer_id,
        coalesce(occupation, 'Unknown') as occupation,
        coalesce(age_band, 'Unknown') as age_band
    from {{ ref('dim_customer') }}
),

counted as (
    select
        tiers.tier_code,
        tiers.tier_name,
        tiers.tier_rank,
        customers.occupation,
        customers.age_band,
        count(*) as customers
    from tiers
    inner join customers
        on tiers.customer_id = customers.customer_id
    group by all
),

final as (
    select
        tier_code,
        tier_name,
        cast(tier_rank as integer) as tier_rank,
        occupation,
        age_band,
        cast(customers as bigint) as customers,
        cast(customers / sum(customers) over (partition by tier_code) as double) as share_of_tier,
        cast(
            customers / sum(customers) over (partition by occupation, age_band) as double
        ) as share_of_group
    from counted
)

select * from final
