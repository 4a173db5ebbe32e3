{#
    Every raw merchant row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__merchants exposes. The category comes from the raw category when given (it must
    be a known category), else from the MCC via the merchant_categories seed, else 'others'.
    Cities are matched to the cities seed like customers' cities.
#}
{%- set key_columns = ['merchant_id'] -%}
{%- set checks = [
    ('merchant_id is null', 'missing_key', "'merchant_id is empty'"),
    ('category_key is not null and known_category is null', 'unknown_category',
        "'category ' || " ~ quote_raw('raw_category') ~ " || ' is not in the merchant_categories seed'"),
    ('country_key is not null and known_country_code is null', 'unknown_country_code',
        "'country_code ' || " ~ quote_raw('raw_country_code') ~ " || ' is not in the countries seed'"),
] -%}

with

source as (select * from {{ raw_source('core', 'merchants', prefix='raw_') }}),

code_lookups as (select * from {{ ref('stg_reference__code_lookups') }}),

cities as (select * from {{ ref('cities') }}),

typed as (
    select
        *,
        {{ clean_text('raw_merchant_id') }} as merchant_id,
        {{ clean_text('raw_merchant_name') }} as merchant_name,
        -- ISO 18245 codes are four digits; '742' is 0742 once leading zeros are restored
        case
            when regexp_full_match({{ clean_text('raw_mcc') }}, '\d{1,4}')
                then lpad({{ clean_text('raw_mcc') }}, 4, '0')
        end as mcc,
        {{ normalise_code('raw_category') }} as category_key,
        {{ normalise_code('raw_city') }} as city_key,
        {{ normalise_code('raw_country_code') }} as country_key,
        {{ row_fingerprint('core', 'merchants', prefix='raw_') }} as row_fingerprint,
    from source
),

looked_up as (
    select
        typed.*,
        categories.code as known_category,
        mcc_categories.code as mcc_category,
        city_names.code as canonical_city,
        cities.country_code as city_country_code,
        countries.code as known_country_code,
    from typed
    left join code_lookups as categories
        on categories.code_set = 'category'
        and typed.category_key = categories.lookup_key
    left join code_lookups as mcc_categories
        on mcc_categories.code_set = 'mcc'
        and typed.mcc = mcc_categories.lookup_key
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
    from ranked
),

final as (
    select
        merchant_id,
        merchant_name,
        mcc,
        coalesce(known_category, mcc_category, 'others') as category,
        coalesce(canonical_city, {{ title_case('raw_city') }}) as city,
        coalesce(known_country_code, city_country_code) as country_code,
        cast(raw_merchant_id as varchar) as source_row_key,
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        case
            when quarantine_reason is not null
                then {{ raw_record_json('core', 'merchants', prefix='raw_') }}
        end as raw_record,
    from flagged
)

select * from final
