{#
    Every spelling staging accepts for a code, mapped to the code itself: one row per
    (code_set, lookup_key). The seeds' own codes map to themselves and code_aliases adds other
    spellings (UPI -> instant_payment, Bangalore -> Bengaluru, M -> male). Keys go through
    normalise_code(), the same function applied to raw values, so case, spaces, hyphens and '&'
    never matter. Base models left-join it once per code column: no match for a non-empty value
    means an unknown code.
#}
with

channels as (select * from {{ ref('channels') }}),

payment_types as (select * from {{ ref('payment_types') }}),

account_types as (select * from {{ ref('account_types') }}),

merchant_categories as (select * from {{ ref('merchant_categories') }}),

currencies as (select * from {{ ref('currencies') }}),

countries as (select * from {{ ref('countries') }}),

cities as (select * from {{ ref('cities') }}),

code_aliases as (select * from {{ ref('code_aliases') }}),

seed_codes as (
    select 'channel' as code_set, channel as spelling, channel as code from channels
    union all
    select 'payment_type', payment_type, payment_type from payment_types
    union all
    select 'account_type', account_type, account_type from account_types
    union all
    select distinct 'category', category, category from merchant_categories
    union all
    select 'mcc', cast(mcc as varchar), category from merchant_categories
    union all
    select 'currency', currency_code, currency_code from currencies
    union all
    select 'country_code', country_code, country_code from countries
    union all
    select 'country_code', country_name, country_code from countries
    union all
    select 'city', city, city from cities
),

aliases as (
    select
        code_set,
        alias as spelling,
        code,
    from code_aliases
),

spellings as (
    select * from seed_codes
    union all
    select * from aliases
),

final as (
    select distinct
        code_set,
        {{ normalise_code('spelling') }} as lookup_key,
        code,
    from spellings
)

select * from final
