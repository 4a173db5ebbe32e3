{#
    Every raw customer row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__customers exposes. A table: both the stg view and quarantine.quarantined_rows read
    it, and accounts and loans validate their customer_id against its clean keys.

    Rules: the id is required; unparseable or future birth/joined dates quarantine the row;
    1800-01-01 style sentinel birth dates (<= 1900-01-01) become NULL with
    has_sentinel_birth_date, the row stays. Gender and marital status are mapped to fixed codes
    ('unknown' when empty or unrecognised); the city is matched case- and space-insensitively to
    the cities seed (with aliases such as Bangalore -> Bengaluru), else trimmed and title-cased.
#}
{%- set key_columns = ['customer_id'] -%}
{%- set checks = [
    ('customer_id is null', 'missing_key', "'customer_id is empty'"),
    ('raw_birth_date is not null and parsed_birth_date is null', 'unparseable_date',
        "'birth_date ' || " ~ quote_raw('raw_birth_date') ~ " || ' is not a date'"),
    ('raw_joined_date is not null and joined_date is null', 'unparseable_date',
        "'joined_date ' || " ~ quote_raw('raw_joined_date') ~ " || ' is not a date'"),
    ('parsed_birth_date > as_of_date', 'future_dated',
        "'birth_date ' || cast(parsed_birth_date as varchar) || ' is after the as-of date ' || cast(as_of_date as varchar)"),
    ('joined_date > as_of_date', 'future_dated',
        "'joined_date ' || cast(joined_date as varchar) || ' is after the as-of date ' || cast(as_of_date as varchar)"),
    ('country_key is not null and known_country_code is null', 'unknown_country_code',
        "'country_code ' || " ~ quote_raw('raw_country_code') ~ " || ' is not in the countries seed'"),
] -%}

with

source as (select * from {{ raw_source('core', 'customers', prefix='raw_') }}),

code_lookups as (select * from {{ ref('stg_reference__code_lookups') }}),

cities as (select * from {{ ref('cities') }}),

typed as (
    select
        *,
        {{ clean_text('raw_customer_id') }} as customer_id,
        {{ clean_text('raw_full_name') }} as full_name,
        {{ parse_date('raw_birth_date') }} as parsed_birth_date,
        {{ dbt.safe_cast('raw_age', 'integer') }} as raw_age_years,
        {{ clean_text('raw_age_group') }} as age_group,
        {{ normalise_code('raw_gender') }} as gender_key,
        {{ normalise_code('raw_marital_status') }} as marital_status_key,
        {{ normalise_code('raw_city') }} as city_key,
        {{ normalise_code('raw_country_code') }} as country_key,
        {{ clean_text('raw_occupation') }} as occupation,
        {{ dbt.safe_cast('raw_monthly_income', 'double') }} as monthly_income_value,
        {{ parse_date('raw_joined_date') }} as joined_date,
        {{ clean_text('raw_loyalty_class') }} as loyalty_class,
        {{ clean_text('raw_fee_structure') }} as fee_structure,
        {{ clean_text('raw_relationship_type') }} as relationship_type,
        {{ clean_text('raw_nationality') }} as nationality,
        {{ dbt.safe_cast('raw_risk_weighting', 'integer') }} as risk_weighting_value,
        {{ as_of_date() }} as as_of_date,
        {{ row_fingerprint('core', 'customers', prefix='raw_') }} as row_fingerprint,
    from source
),

looked_up as (
    select
        typed.*,
        genders.code as gender_code,
        marital_statuses.code as marital_status_code,
        city_names.code as canonical_city,
        cities.region as city_region,
        cities.country_code as city_country_code,
        countries.code as known_country_code,
    from typed
    left join code_lookups as genders
        on genders.code_set = 'gender'
        and typed.gender_key = genders.lookup_key
    left join code_lookups as marital_statuses
        on marital_statuses.code_set = 'marital_status'
        and typed.marital_status_key = marital_statuses.lookup_key
    left join code_lookups as city_names
        on city_names.code_set = 'city'
        and typed.city_key = city_names.lookup_key
    left join cities
        on city_names.code = cities.city
    left join code_lookups as countries
        on countries.code_set = 'country_code'
        and typed.country_key = countries.lookup_key
),

checked as (
    select
        *,
        {{ first_issue_code(checks) }} as row_issue,
        {{ first_issue_detail(checks) }} as row_issue_detail,
    from looked_up
),

ranked as (
    select
        *,
        {{ duplicate_ranking(key_columns) }},
    from checked
),

flagged as (
    select
        *,
        {{ quarantine_reason(key_columns) }} as quarantine_reason,
        {{ quarantine_detail(key_columns) }} as quarantine_detail,
        parsed_birth_date <= cast('1900-01-01' as date) as is_sentinel_birth_date,
        case when parsed_birth_date > cast('1900-01-01' as date) then parsed_birth_date end as birth_date,
        -- '25-34' -> 25 and 34; open-ended '45+' -> 45
        {{ dbt.safe_cast("regexp_extract(age_group, '^(\\d+)\\s*(-|to)\\s*(\\d+)$', 1)", 'integer') }} as age_group_low,
        {{ dbt.safe_cast("regexp_extract(age_group, '^(\\d+)\\s*(-|to)\\s*(\\d+)$', 3)", 'integer') }} as age_group_high,
        {{ dbt.safe_cast("regexp_extract(age_group, '^(\\d+)\\s*\\+$', 1)", 'integer') }} as age_group_open_low,
    from ranked
),

-- Age: full years from the birth date to the as-of date, else the raw age, else the middle of
-- the age group ('25-34' -> 29; open-ended '45+' -> 50).
final as (
    select
        customer_id,
        full_name,
        birth_date,
        cast(coalesce(
            {{ dbt.datediff('birth_date', 'as_of_date', 'year') }}
                - case
                    when {{ dbt.dateadd('year', dbt.datediff('birth_date', 'as_of_date', 'year'), 'birth_date') }}
                        > as_of_date then 1
                    else 0
                end,
            case when raw_age_years between 0 and 120 then raw_age_years end,
            (age_group_low + age_group_high) // 2,
            age_group_open_low + 5
        ) as integer) as age,
        age_group,
        coalesce(gender_code, 'unknown') as gender,
        coalesce(marital_status_code, 'unknown') as marital_status,
        coalesce(canonical_city, {{ title_case('raw_city') }}) as city,
        city_region as region,
        coalesce(known_country_code, city_country_code) as country_code,
        occupation,
        cast(case when monthly_income_value >= 0 then monthly_income_value end as decimal(18, 2)) as monthly_income,
        joined_date,
        loyalty_class,
        fee_structure,
        relationship_type,
        nationality,
        case when risk_weighting_value between 1 and 5 then risk_weighting_value end as risk_weighting,
        coalesce(is_sentinel_birth_date, false) as has_sentinel_birth_date,
        cast(raw_customer_id as varchar) as source_row_key,
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        case
            when quarantine_reason is not null
                then {{ raw_record_json('core', 'customers', prefix='raw_') }}
        end as raw_record,
    from flagged
)

select * from final
