{#
    Age bands (inclusive bounds) and income bands (inclusive lower, exclusive upper bound) must
    tile their range: each band starts where the previous one ends, so every age and income
    lands in exactly one band. Fails with every band that overlaps or leaves a gap after the
    band before it, or is empty.
#}
with

age_bands as (
    select
        'age_bands' as seed_name,
        age_band as band,
        min_age as lower_bound,
        max_age as upper_bound,
        lag(max_age) over (order by min_age) + 1 as expected_lower_bound
    from {{ ref('age_bands') }}
),

income_bands as (
    select
        'income_bands' as seed_name,
        income_band as band,
        min_income as lower_bound,
        max_income as upper_bound,
        lag(max_income) over (order by min_income) as expected_lower_bound
    from {{ ref('income_bands') }}
),

bands as (
    select * from age_bands
    union all
    select * from income_bands
)

select *
from bands
where lower_bound <> expected_lower_bound
    or upper_bound < lower_bound
