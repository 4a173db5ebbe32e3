{#
    City x segment for the top cities by customers: how each city's customers split across
    segments, and each city's RFM profile normalised to 0..1 across the top cities (min-max),
    so cities can be compared on one scale.
#}
{%- set top_n = var('top_cities', 20) %}

with

customers as (
    select
        customer_id,
        city
    from {{ ref('dim_customer') }}
    where city is not null
),

features as (
    select
        customer_id,
        recency_days,
        frequency,
        total_spend
    from {{ ref('customer_features') }}
),

segments as (
    select
        customer_id,
        segment_id,
        segment_name
    from {{ ref('customer_segments') }}
),

top_cities as (
    select
        city,
        count(*) as city_customers
    from customers
    group by city
    order by city_customers desc, city asc
    limit {{ top_n }}
),

city_rfm as (
    select
        customers.city,
        avg(features.recency_days) as avg_recency_days,
        avg(features.frequency) as avg_frequency,
        avg(features.total_spend) as avg_spend
    from customers
    inner join top_cities
        on customers.city = top_cities.city
    inner join features
        on customers.customer_id = features.customer_id
    group by customers.city
),

city_rfm_normalised as (
    select
        city,
        avg_recency_days,
        avg_frequency,
        avg_spend,
        (avg_recency_days - min(avg_recency_days) over ())
        / nullif(max(avg_recency_days) over () - min(avg_recency_days) over (), 0)
            as norm_recency,
        (avg_frequency - min(avg_frequency) over ())
        / nullif(max(avg_frequency) over () - min(avg_frequency) over (), 0)
            as norm_frequency,
        (avg_spend - min(avg_spend) over ())
        / nullif(max(avg_spend) over () - min(avg_spend) over (), 0)
            as norm_spend
    from city_rfm
),

city_segments as (
    select
        customers.city,
        segments.segment_id,
        segments.segment_name,
        count(*) as customers
    from customers
    inner join top_cities
        on customers.city = top_cities.city
    inner join segments
        on customers.customer_id = segments.customer_id
    group by customers.city, segments.segment_id, segments.segment_name
),

final as (
    select
        city_segments.city,
        city_segments.segment_id,
        city_segments.segment_name,
        cast(city_segments.customers as bigint) as customers,
        cast(top_cities.city_customers as bigint) as city_customers,
        cast(city_segments.customers / top_cities.city_customers as double) as share_of_city,
        cast(city_rfm_normalised.avg_recency_days as double) as avg_recency_days,
        cast(city_rfm_normalised.avg_frequency as double) as avg_frequency,
        cast(city_rfm_normalised.avg_spend as double) as avg_spend,
        cast(coalesce(city_rfm_normalised.norm_recency, 0) as double) as norm_recency,
        cast(coalesce(city_rfm_normalised.norm_frequency, 0) as double) as norm_frequency,
        cast(coalesce(city_rfm_normalised.norm_spend, 0) as double) as norm_spend
    from city_segments
    inner join top_cities
        on city_segments.city = top_cities.city
    left join city_rfm_normalised
        on city_segments.city = city_rfm_normalised.city
)

select * from final
