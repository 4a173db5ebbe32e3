{#
    Every raw loan row, typed, with quarantine_reason NULL for the rows stg_core__loans exposes.
    The borrower must be a clean customer and the loan account, when the bank books one, a clean
    account; the principal must be positive and not absurd; the disbursement date must parse and
    not lie after the as-of date (the due date may, of course).
#}
{%- set key_columns = ['loan_id'] -%}
{%- set checks = [
    ('loan_id is null', 'missing_key', "'loan_id is empty'"),
    ('customer_id is null', 'missing_key', "'customer_id is empty'"),
    ('disbursed_date_text is null', 'missing_value', "'disbursed_date is empty'"),
    ('principal_text is null', 'missing_value', "'principal_amount is empty'"),
    ('disbursed_date is null', 'unparseable_date',
        "'disbursed_date ' || " ~ quote_raw('raw_disbursed_date') ~ " || ' is not a date'"),
    ('raw_due_date is not null and due_date is null', 'unparseable_date',
        "'due_date ' || " ~ quote_raw('raw_due_date') ~ " || ' is not a date'"),
    ('principal_value is null', 'unparseable_number',
        "'principal_amount ' || " ~ quote_raw('raw_principal_amount') ~ " || ' is not a number'"),
    ('disbursed_date > as_of_date', 'future_dated',
        "'disbursed_date ' || cast(disbursed_date as varchar) || ' is after the as-of date ' || cast(as_of_date as varchar)"),
    ('principal_value <= 0', 'non_positive_amount',
        "'principal_amount ' || cast(principal_value as varchar) || ' is not positive'"),
    ('principal_value > ' ~ absurd_amount_threshold(), 'absurd_amount',
        "'principal_amount ' || cast(principal_value as varchar) || ' is above the absurd_amount_threshold " ~ absurd_amount_threshold() ~ "'"),
    ('clean_customer_id is null', 'orphan_customer',
        "'customer_id ' || " ~ quote_raw('customer_id') ~ " || ' is not a clean customer'"),
    ('account_id is not null and clean_account_id is null', 'orphan_account',
        "'account_id ' || " ~ quote_raw('account_id') ~ " || ' is not a clean account'"),
] -%}

with

source as (select * from {{ raw_source('core', 'loans', prefix='raw_') }}),

clean_customers as (
    select customer_id
    from {{ ref('base_core__customers') }}
    where quarantine_reason is null
),

clean_accounts as (
    select account_id
    from {{ ref('base_core__accounts') }}
    where quarantine_reason is null
),

typed as (
    select
        *,
        {{ clean_text('raw_loan_id') }} as loan_id,
        {{ clean_text('raw_customer_id') }} as customer_id,
        {{ clean_text('raw_account_id') }} as account_id,
        {{ clean_text('raw_disbursed_date') }} as disbursed_date_text,
        {{ parse_date('raw_disbursed_date') }} as disbursed_date,
        {{ clean_text('raw_principal_amount') }} as principal_text,
        {{ dbt.safe_cast('raw_principal_amount', 'double') }} as principal_value,
        {{ parse_date('raw_due_date') }} as due_date,
        {{ dbt.safe_cast('raw_interest_rate', 'double') }} as interest_rate,
        {{ as_of_date() }} as as_of_date,
        {{ row_fingerprint('core', 'loans', prefix='raw_') }} as row_fingerprint,
    from source
),

looked_up as (
    select
        typed.*,
        clean_customers.customer_id as clean_customer_id,
        clean_accounts.account_id as clean_account_id,
    from typed
    left join clean_customers
        on typed.customer_id = clean_customers.customer_id
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
        loan_id,
        customer_id,
        account_id,
        disbursed_date,
        cast(case when quarantine_reason is null then principal_value end as decimal(18, 2)) as principal_amount,
        due_date,
        interest_rate,
        cast(raw_loan_id as varchar) as source_row_key,
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        case
            when quarantine_reason is not null
                then {{ raw_record_json('core', 'loans', prefix='raw_') }}
        end as raw_record,
    from flagged
)

select * from final
