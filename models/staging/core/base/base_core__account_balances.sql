{#
    Every raw month-end balance row, typed, with quarantine_reason NULL for the rows
    stg_core__account_balances exposes. The key is (account_id, balance_month): 'YYYY-MM' (or a
    date in that month) becomes the first day of the month, so two spellings of one month are
    duplicates. Balances may be negative (credit owed); the account must be a clean account.

    Second largest table: as in base_core__transactions, only the rows whose key another row also
    carries go through the ranking window; the rest stream from the files to the table.
#}
{%- set key_columns = ['account_id', 'balance_month'] -%}
{%- set checks = [
    ('account_id is null', 'missing_key', "'account_id is empty'"),
    ('balance_month is null and ' ~ is_blank('raw_balance_month'), 'missing_key', "'balance_month is empty'"),
    ('balance_value is null and ' ~ is_blank('raw_balance'), 'missing_value', "'balance is empty'"),
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

{#- The raw rows, read where they are used: a CTE read twice would be materialised whole. -#}
{%- set raw_rows = raw_source('core', 'account_balances', prefix='raw_') -%}
{%- set raw_account_key = clean_text('raw_account_id') -%}
{%- set raw_month_key = parse_month('raw_balance_month') -%}

with

clean_accounts as (
    select account_id
    from {{ ref('base_core__accounts') }}
    where quarantine_reason is null
),

-- The (account, month) keys more than one row carries, as hashes: only their rows need ranking
-- (a hash collision only sends a few more rows through it).
duplicate_keys as (
    {{ repeated_hashes('hash(' ~ raw_account_key ~ ', ' ~ raw_month_key ~ ')', raw_rows ~ ' as raw_rows') }}
),

{#- The same typing and checks for rows with a unique key and rows sharing one (few). #}
{%- for rows in ['unique', 'duplicated'] %}

{{ rows }}_typed as (
    select
        raw_rows.*,
        {{ raw_account_key }} as account_id,
        {{ raw_month_key }} as balance_month,
        {{ dbt.safe_cast('raw_balance', 'double') }} as balance_value,
        {{ as_of_date() }} as as_of_date,
        {{ row_fingerprint('core', 'account_balances', prefix='raw_') }} as row_fingerprint,
    from {{ raw_rows }} as raw_rows
    {%- if rows == 'duplicated' %}
    where hash({{ raw_account_key }}, {{ raw_month_key }}) in (select key_hash from duplicate_keys)
    {%- endif %}
),

{{ rows }}_checked as (
    select
        *,
        {{ first_issue_code(checks) }} as row_issue,
        {{ first_issue_detail(checks) }} as row_issue_detail,
    from (
        select
            typed.*,
            clean_accounts.account_id as clean_account_id,
        from {{ rows }}_typed as typed
        {%- if rows == 'unique' %}
        anti join duplicate_keys
            on hash(typed.account_id, typed.balance_month) = duplicate_keys.key_hash
        {%- endif %}
        left join clean_accounts
            on typed.account_id = clean_accounts.account_id
    ) as looked_up
),
{%- endfor %}

ranked as (
    {{ rank_shared_keys('unique_checked', 'duplicated_checked', key_columns) }}
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
        case when quarantine_reason is not null then cast(raw_account_id as varchar) || '|' || coalesce(cast(raw_balance_month as varchar), '') end as source_row_key,
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
