{#
    Income utilisation by spend tier, occupation and age group, the Mitron analysis's measure:
    the group's average monthly spend per customer over its average stated monthly income
    ((total spend / months / customers) / average income, months being each customer's months
    observed). Age group is the bank's own age_group where it gives one (Mitron's 21-24, 25-34,
    35-45, 45+), else the warehouse's age band. Only customers with a stated income count, and
    only in a bank that delivers spend (transactions or monthly aggregates).
#}
with

features as (
    select
        customer_id,
        total_spend,
        months_observed,
        avg_monthly_spend,
        monthly_income
    from {{ ref('customer_features') }}
    where monthly_income > 0
        -- a bank that delivers no spend at all (a holdings extract) has no utilisation to
        -- measure, rather than a utilisation of zero
        and (
            exists (select 1 from {{ ref('int_transactions_enriched') }})
            or exists (select 1 from {{ ref('fct_monthly_spend') }})
        )
),

tiers as (
    select
        customer_id,
        tier_name,
        tier_rank
    from {{ ref('customer_spend_tiers') }}
),

customers as (
    select
        dim.customer_id,
        dim.occupation,
        coalesce(stg.age_group, dim.age_band) as age_group,
        dim.age_band_sort_order
    from {{ ref('dim_customer') }} as dim
    left join {{ ref('stg_core__customers') }} as stg
        on dim.customer_id = stg.customer_id
),

grouped as (
    select
        'spend_tier' as group_type,
        tiers.tier_name as group_value,
        tiers.tier_rank as group_order,
        features.*
    from features
    inner join tiers on features.customer_id = tiers.customer_id
    union all
    select
        'occupation' as group_type,
        coalesce(customers.occupation, 'Unknown') as group_value,
        null as group_order,
        features.*
    from features
    inner join customers on features.customer_id = customers.customer_id
    union all
    select
        'age_group' as group_type,
        coalesce(customers.age_group, 'Unknown') as group_value,
        customers.age_band_sort_order as group_order,
        features.*
    from features
    inner join customers on features.customer_id = customers.customer_id
),

final as (
    select
        group_type,
        group_value,
        cast(min(group_order) as integer) as group_order,
        cast(count(*) as bigint) as customers,
        cast(sum(total_spend) as double) as total_spend,
        cast(avg(avg_monthly_spend) as double) as avg_monthly_spend,
        cast(avg(monthly_income) as double) as avg_monthly_income,
        cast(avg(avg_monthly_spend) / avg(monthly_income) as double) as income_utilisation
    from grouped
    group by group_type, group_value
)

select * from final
