{#
    Every raw account row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__accounts exposes. Account type, currency and status codes are normalised (case,
    spaces, hyphens, code_aliases) and must be known; the owning customer must be a clean
    customer. An empty currency means the home currency; an empty status is derived from
    closed_date.
#}
{%- set key_columns = ['account_id'] -%}
{%- set checks = [
    ('account_id is null', 'missing_key', "'account_id is empty'"),
    ('customer_id is null', 'missing_key', "'customer_id is empty'"),
    ('account_type_key is null', 'missing_value', "'account_type is empty'"),
    ('raw_opened_date is not null and opened_date is null', 'unparseable_date',
        "'opened_date ' || " ~ quote_raw('raw_opened_date') ~ " || ' is not a date'"),
    ('raw_closed_date is not null and closed_date is null', 'unparseable_date',
        "'closed_date ' || " ~ quote_raw('raw_closed_date') ~ " || ' is not a date'"),
    ('opened_date > as_of_date', 'future_dated',
        "'opened_date ' || cast(opened_date as varchar) || ' is after the as-of date ' || cast(as_of_date as varchar)"),
    ('account_type is null', 'unknown_account_type',
        "'account_type ' || " ~ quote_raw('raw_account_type') ~ " || ' is not in the account_types seed'"),
    ('currency_key is not null and known_currency is null', 'unknown_currency',
        "'currency ' || " ~ quote_raw('raw_currency') ~ " || ' is not in the currencies seed'"),
    ('status_key is not null and known_status is null', 'unknown_account_status',
        "'status ' || " ~ quote_raw('raw_status') ~ " || ' is not open, closed or frozen'"),
    ('clean_customer_id is null', 'orphan_customer',
        "'customer_id ' || " ~ quote_raw('customer_id') ~ " || ' is not a clean customer'"),
] -%}

with

source as (select * from {{ raw_source('core', 'accounts', prefix='raw_') }}),

code_lookups as (select * from {{ ref('stg_reference__code_lookups') }}),

clean_customers as (
    select customer_id
    from {{ ref('base_core__customers') }}
    where quarantine_reason is null
),

typed as (
    select
        *,
        {{ clean_text('raw_account_id') }} as account_id,
        {{ clean_text('raw_customer_id') }} as customer_id,
        {{ normalise_code('raw_account_type') }} as account_type_key,
        {{ parse_date('raw_opened_date') }} as opened_date,
        {{ parse_date('raw_closed_date') }} as closed_date,
        {{ normalise_code('raw_currency') }} as currency_key,
        {{ dbt.safe_cast('raw_credit_limit', 'double') }} as credit_limit_value,
        {{ normalise_code('raw_status') }} as status_key,
        {{ as_of_date() }} as as_of_date,
        {{ row_fingerprint('core', 'accounts', prefix='raw_') }} as row_fingerprint,
    from source
),

looked_up as (
    select
        typed.*,
        account_types.code as account_type,
        currencies.code as known_currency,
        statuses.code as known_status,
        clean_customers.customer_id as clean_customer_id,
    from typed
    left join code_lookups as account_types
        on account_types.code_set = 'account_type'
        and typed.account_type_key = account_types.lookup_key
    left join code_lookups as currencies
        on currencies.code_set = 'currency'
        and typed.currency_key = currencies.lookup_key
    left join code_lookups as statuses
        on statuses.code_set = 'account_status'
        and typed.status_key = statuses.lookup_key
    left join clean_customers
        on typed.customer_id = clean_customers.customer_id
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
        coalesce(
            known_status,
            case when closed_date is not null then 'closed' else 'open' end
        ) as status,
    from ranked
),

final as (
    select
        account_id,
        customer_id,
        account_type,
        opened_date,
        closed_date,
        coalesce(known_currency, '{{ var("home_currency", "INR") }}') as currency,
        cast(case when credit_limit_value >= 0 then credit_limit_value end as decimal(18, 2)) as credit_limit,
        status,
        status <> 'closed' and closed_date is null as is_open,
        cast(raw_account_id as varchar) as source_row_key,
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        case
            when quarantine_reason is not null
                then {{ raw_record_json('core', 'accounts', prefix='raw_') }}
        end as raw_record,
    from flagged
)

select * from final
