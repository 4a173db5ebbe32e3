{#
    One row per clean merchant, plus the inferred members (merchant ids that clean transactions
    carry but the merchants table does not list: the bank has no merchants table, or the merchant
    row was rejected; is_inferred = true, attributes unknown), plus the '-1' "No merchant" member,
    which facts use for ATM withdrawals, transfers and other payments without a merchant, so
    every fact row joins.
#}
with

merchants as (select * from {{ ref('stg_core__merchants') }}),

spend_categories as (select * from {{ ref('int_spend_categories') }}),

transaction_merchants as (
    select distinct merchant_id
    from {{ ref('stg_core__transactions') }}
    where merchant_id is not null
),

described as (
    select
        merchants.merchant_id,
        merchants.merchant_name,
        merchants.mcc,
        merchants.category,
        spend_categories.category_label,
        coalesce(spend_categories.is_discretionary, false) as is_discretionary,
        coalesce(spend_categories.is_essential, false) as is_essential,
        merchants.city,
        merchants.country_code,
        coalesce(merchants.country_code = '{{ var("home_country", "IN") }}', false) as is_domestic,
        false as is_inferred,
        merchants.dq_flags,
        merchants.derived_columns
    from merchants
    left join spend_categories
        on merchants.category = spend_categories.category
),

inferred as (
    select
        transaction_merchants.merchant_id,
        cast(null as string) as merchant_name,
        cast(null as string) as mcc,
        cast(null as string) as category,
        'Unknown (inferred from transactions)' as category_label,
        false as is_discretionary,
        false as is_essential,
        cast(null as string) as city,
        cast(null as string) as country_code,
        cast(null as boolean) as is_domestic,
        true as is_inferred,
        cast(null as string) as dq_flags,
        cast(null as string) as derived_columns
    from transaction_merchants
    anti join merchants
        on transaction_merchants.merchant_id = merchants.merchant_id
    where transaction_merchants.merchant_id <> '-1'
),

no_merchant as (
    select
        '-1' as merchant_id,
        'No merchant' as merchant_name,
        cast(null as string) as mcc,
        cast(null as string) as category,
        'No merchant' as category_label,
        false as is_discretionary,
        false as is_essential,
        cast(null as string) as city,
        cast(null as string) as country_code,
        cast(null as boolean) as is_domestic,
        false as is_inferred,
        cast(null as string) as dq_flags,
        cast(null as string) as derived_columns
),

-- Dense surrogate keys in merchant_id order; the "No merchant" member is -1.
keyed as (
    select
        cast(row_number() over (order by merchant_id) as integer) as merchant_key,
        *
    from (
        select * from described
        union all
        select * from inferred
    )
),

final as (
    select * from keyed
    union all
    select
        -1 as merchant_key,
        *
    from no_merchant
)

select * from final
