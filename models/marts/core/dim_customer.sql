{#
    One row per clean customer: demographics as ages and bands (no names, no birth dates), home
    city attributes, the bank's own classifications and product holdings. Tenure comes from the
    customer's own dates: the joined date, else the opening of the first account (tenure_basis
    says which; NULL when the bank gives neither), measured up to the last month of activity in
    the data (int_reporting_period), so rebuilding the same files gives the same answer and a
    bank without transactions still has tenures.
#}
{#- Whole months from the month the customer started to the last month of activity. #}
{%- set months_since_start = dbt.datediff(
    dbt.date_trunc('month', 'coalesce(banded.joined_date, holdings.first_account_opened_date)'),
    'reporting_period.as_of_month',
    'month'
) | trim -%}
with

customers as (select * from {{ ref('stg_core__customers') }}),

cities as (select * from {{ ref('cities') }}),

age_bands as (select * from {{ ref('age_bands') }}),

income_bands as (select * from {{ ref('income_bands') }}),

holdings as (select * from {{ ref('int_accounts_aggregated_to_customer') }}),

reporting_period as (
    select last_activity_month as as_of_month
    from {{ ref('int_reporting_period') }}
),

located as (
    select
        customers.*,
        cities.state,
        cities.region as city_region,
        cities.tier as city_tier,
        cities.tier_label as city_tier_label
    from customers
    left join cities
        on lower(customers.city) = lower(cities.city)
),

banded as (
    select
        located.*,
        age_bands.age_band,
        age_bands.sort_order as age_band_sort_order,
        income_bands.income_band,
        income_bands.sort_order as income_band_sort_order
    from located
    left join age_bands
        on located.age between age_bands.min_age and age_bands.max_age
    left join income_bands
        on located.monthly_income >= income_bands.min_income
        and (located.monthly_income < income_bands.max_income or income_bands.max_income is null)
),

final as (
    select
        -- Dense surrogate key in customer_id order: the same customers give the same keys.
        cast(row_number() over (order by banded.customer_id) as integer) as customer_key,
        banded.customer_id,
        cast(banded.age as integer) as age,
        banded.age_band,
        cast(banded.age_band_sort_order as integer) as age_band_sort_order,
        banded.gender,
        banded.marital_status,
        banded.occupation,
        banded.city,
        banded.state,
        coalesce(banded.region, banded.city_region) as region,
        cast(banded.city_tier as integer) as city_tier,
        banded.city_tier_label,
        banded.country_code,
        cast(banded.monthly_income as decimal(18, 2)) as monthly_income,
        banded.income_band,
        cast(banded.income_band_sort_order as integer) as income_band_sort_order,
        banded.joined_date,
        -- DuckDB's greatest() skips NULLs, so an unknown start is handled explicitly.
        case
            when coalesce(banded.joined_date, holdings.first_account_opened_date) is not null
                then cast(greatest({{ months_since_start }}, 0) as integer)
        end as tenure_months,
        case
            when banded.joined_date is not null then 'joined_date'
            when holdings.first_account_opened_date is not null then 'first_account_opened'
        end as tenure_basis,
        banded.loyalty_class,
        banded.fee_structure,
        banded.relationship_type,
        cast(banded.risk_weighting as integer) as risk_weighting,
        coalesce(holdings.has_current_account, false) as has_current_account,
        coalesce(holdings.has_savings_account, false) as has_savings_account,
        coalesce(holdings.has_credit_card, false) as has_credit_card,
        coalesce(holdings.has_loan, false) as has_loan,
        coalesce(holdings.has_deposit, false) as has_deposit,
        coalesce(holdings.has_foreign_currency_account, false) as has_foreign_currency_account,
        coalesce(holdings.product_count, 0) as product_count,
        banded.dq_flags,
        banded.derived_columns
    from banded
    cross join reporting_period
    left join holdings
        on banded.customer_id = holdings.customer_id
)

select * from final
