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
    select
        'channel' as code_set,
        channel as spelling,
        channel as code
    from channels
    union all
    select
        'payment_type' as code_set,
        payment_type as spelling,
        payment_type as code
    from payment_types
    union all
    select
        'account_type' as code_set,
        account_type as spelling,
        account_type as code
    from account_types
    union all
    select distinct
        'category' as code_set,
        category as spelling,
        category as code
    from merchant_categories
    union all
    select
        'mcc' as code_set,
        cast(mcc as string) as spelling,
        category as code
    from merchant_categories
    union all
    select
        'currency' as code_set,
        currency_code as spelling,
        currency_code as code
    from currencies
    union all
    select
        'country_code' as code_set,
        country_code as spelling,
        country_code as code
    from countries
    union all
    select
        'country_code' as code_set,
        country_name as spelling,
        country_code as code
    from countries
    union all
    select
        'city' as code_set,
        city as spelling,
        city as code
    from cities
),

aliases as (
    select
        code_set,
        alias as spelling,
        code
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
        code
    from spellings
)

select * from final
