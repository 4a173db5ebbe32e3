{#
    The Kaggle analysis's city profiles: for the top `top_cities` (default 20) cities by
    customers with transactions, how the city's customers split across the RFM + age segments
    (mart_rfm_segments) and the city's average recency, frequency, monetary value and age.
#}
{%- set top_n = var('top_cities', 20) %}

with

segments as (
    select *
    from {{ ref('mart_rfm_segments') }}
    where city is not null
),

top_cities as (
    select
        city,
        count(*) as city_customers,
        avg(recency_days) as avg_recency_days,
        avg(frequency) as avg_frequency,
        avg(monetary_total) as avg_monetary_total,
        avg(age) as avg_age,
        row_number() over (order by count(*) desc, city asc) as city_rank
    from segments
    group by city
    qualify city_rank <= {{ top_n }}
),

final as (
    select
        top_cities.city,
        cast(top_cities.city_rank as integer) as city_rank,
        segments.rfm_segment,
        cast(count(*) as bigint) as customers,
        cast(top_cities.city_customers as bigint) as city_customers,
        cast(count(*) / top_cities.city_customers as double) as share_of_city,
        cast(top_cities.avg_recency_days as double) as city_avg_recency_days,
        cast(top_cities.avg_frequency as double) as city_avg_frequency,
        cast(top_cities.avg_monetary_total as double) as city_avg_monetary_total,
        cast(top_cities.avg_age as double) as city_avg_age
    from segments
    inner join top_cities
        on segments.city = top_cities.city
    group by
        top_cities.city,
        top_cities.city_rank,
        segments.rfm_segment,
        top_cities.city_customers,
        top_cities.avg_recency_days,
        top_cities.avg_frequency,
        top_cities.avg_monetary_total,
        top_cities.avg_age
)

select * from final
