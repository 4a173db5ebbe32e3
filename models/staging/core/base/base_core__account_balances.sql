{#
    Every raw month-end balance row, typed, with quarantine_reason NULL for the rows
    stg_core__account_balances exposes. The key is (account_id, balance_month): 'YYYY-MM' (or a
    date in that month) becomes the first day of the month, so two spellings of one month are
    duplicates. Balances may be negative (credit owed); the account must be a clean account.
#}
{%- set key_columns = ['account_id', 'balance_month'] -%}
{%- set checks = [
    ('account_id is null', 'missing_key', "'account_id is empty'"),
    ('balance_month_text is null', 'missing_key', "'balance_month is empty'"),
    ('balance_text is null', 'missing_value', "'balance is empty'"),
    ('balance_month is null', 'unparseable_date',
        "'balance_month ' || " ~ quote_raw('raw_balance_month') ~ " || ' is not a month (YYYY-MM)'"),
    ('balance_value is null', 'unparseable_number',
        "'balance ' || " ~ quote_raw('raw_balance') ~ " || ' is not a number'"),
    ('balance_month > as_of_date', 'future_dated',
        "'balance_month ' || cast(balance_month as varchar) || ' is after the as-of date ' || cast(as_of_date as varchar)"),
    ('abs(balance_value) >= 1e16', 'absurd_amount',
        "'balance ' || cast(balance_value as varchar) || ' does not fit DECIMAL(18, 2)'"),
    ('clean_account_id is null', 'orphan_account',
        "'account_id ' || " ~ quote_raw('account_id') ~ " || ' is not a clean account'"),
] -%}

with

source as (select * from {{ raw_source('core', 'account_balances', prefix='raw_') }}),

clean_accounts as (
    select account_id
    from {{ ref('base_core__accounts') }}
    where quarantine_reason is null
),

typed as (
    select
        *,
        {{ clean_text('raw_account_id') }} as account_id,
        {{ clean_text('raw_balance_month') }} as balance_month_text,
        {{ parse_month('raw_balance_month') }} as balance_month,
        {{ clean_text('raw_balance') }} as balance_text,
        {{ dbt.safe_cast('raw_balance', 'double') }} as balance_value,
        {{ as_of_date() }} as as_of_date,
        {{ row_fingerprint('core', 'account_balances', prefix='raw_') }} as row_fingerprint,
    from source
),

looked_up as (
    select
        typed.*,
        clean_accounts.account_id as clean_account_id,
    from typed
    left join clean_accounts
        on typed.account_id = clean_accounts.account_id
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
        account_id,
        balance_month,
        cast(case when quarantine_reason is null then balance_value end as decimal(18, 2)) as balance,
        cast(raw_account_id as varchar) || '|' || coalesce(cast(raw_balance_month as varchar), '') as source_row_key,
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        case
            when quarantine_reason is not null
                then {{ raw_record_json('core', 'account_balances', prefix='raw_') }}
        end as raw_record,
    from flagged
)

select * from final
