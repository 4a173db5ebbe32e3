{#
    Every code a clean raw row can carry after normalisation has a seed row: fails with each
    distinct code value in the clean staging models that the matching seed lacks. Staging
    already sets unknown codes to NULL (flagged), so a failure here means a seed and a staging
    rule disagree (e.g. a code accepted through code_aliases that maps to a code the seed lost).
#}
with

-- One pass over the largest model: its distinct code combinations are few.
transaction_codes as (
    select distinct
        channel,
        payment_type,
        category,
        currency
    from {{ ref('stg_core__transactions') }}
),

accounts as (select * from {{ ref('stg_core__accounts') }}),

merchants as (select * from {{ ref('stg_core__merchants') }}),

used_codes as (
    select distinct
        'channel' as code_set,
        channel as code
    from transaction_codes
    where channel is not null
    union all
    select distinct
        'payment_type' as code_set,
        payment_type as code
    from transaction_codes
    where payment_type is not null
    union all
    select distinct
        'category' as code_set,
        category as code
    from transaction_codes
    where category is not null
    union all
    select distinct
        'category' as code_set,
        category as code
    from merchants
    union all
    select distinct
        'currency' as code_set,
        currency as code
    from transaction_codes
    where currency is not null
    union all
    select distinct
        'currency' as code_set,
        currency as code
    from accounts
    where currency is not null
    union all
    select distinct
        'account_type' as code_set,
        account_type as code
    from accounts
),

seed_codes as (
    select
        'channel' as code_set,
        channel as code
    from {{ ref('channels') }}
    union all
    select
        'payment_type' as code_set,
        payment_type as code
    from {{ ref('payment_types') }}
    union all
    select distinct
        'category' as code_set,
        category as code
    from {{ ref('merchant_categories') }}
    union all
    select
        'currency' as code_set,
        currency_code as code
    from {{ ref('currencies') }}
    union all
    select
        'account_type' as code_set,
        account_type as code
    from {{ ref('account_types') }}
)

select used_codes.*
from used_codes
anti join seed_codes
    on used_codes.code_set = seed_codes.code_set
    and used_codes.code = seed_codes.code
