{#
    Every raw loan repayment row, typed, with quarantine_reason NULL for the rows
    stg_core__loan_repayments exposes. The loan must be a clean loan; the amount positive and not
    absurd; the payment date parseable and not after the as-of date.
#}
{%- set key_columns = ['repayment_id'] -%}
{%- set checks = [
    ('repayment_id is null', 'missing_key', "'repayment_id is empty'"),
    ('loan_id is null', 'missing_key', "'loan_id is empty'"),
    ('paid_date_text is null', 'missing_value', "'paid_date is empty'"),
    ('amount_text is null', 'missing_value', "'amount is empty'"),
    ('paid_date is null', 'unparseable_date',
        "'paid_date ' || " ~ quote_raw('raw_paid_date') ~ " || ' is not a date'"),
    ('amount_value is null', 'unparseable_number',
        "'amount ' || " ~ quote_raw('raw_amount') ~ " || ' is not a number'"),
    ('paid_date > as_of_date', 'future_dated',
        "'paid_date ' || cast(paid_date as varchar) || ' is after the as-of date ' || cast(as_of_date as varchar)"),
    ('amount_value <= 0', 'non_positive_amount',
        "'amount ' || cast(amount_value as varchar) || ' is not positive'"),
    ('amount_value > ' ~ absurd_amount_threshold(), 'absurd_amount',
        "'amount ' || cast(amount_value as varchar) || ' is above the absurd_amount_threshold " ~ absurd_amount_threshold() ~ "'"),
    ('clean_loan_id is null', 'orphan_loan',
        "'loan_id ' || " ~ quote_raw('loan_id') ~ " || ' is not a clean loan'"),
] -%}

with

source as (select * from {{ raw_source('core', 'loan_repayments', prefix='raw_') }}),

clean_loans as (
    select loan_id
    from {{ ref('base_core__loans') }}
    where quarantine_reason is null
),

typed as (
    select
        *,
        {{ clean_text('raw_repayment_id') }} as repayment_id,
        {{ clean_text('raw_loan_id') }} as loan_id,
        {{ clean_text('raw_paid_date') }} as paid_date_text,
        {{ parse_date('raw_paid_date') }} as paid_date,
        {{ clean_text('raw_amount') }} as amount_text,
        {{ dbt.safe_cast('raw_amount', 'double') }} as amount_value,
        {{ as_of_date() }} as as_of_date,
        {{ row_fingerprint('core', 'loan_repayments', prefix='raw_') }} as row_fingerprint,
    from source
),

looked_up as (
    select
        typed.*,
        clean_loans.loan_id as clean_loan_id,
    from typed
    left join clean_loans
        on typed.loan_id = clean_loans.loan_id
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
        repayment_id,
        loan_id,
        paid_date,
        cast(case when quarantine_reason is null then amount_value end as decimal(18, 2)) as amount,
        cast(raw_repayment_id as varchar) as source_row_key,
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        case
            when quarantine_reason is not null
                then {{ raw_record_json('core', 'loan_repayments', prefix='raw_') }}
        end as raw_record,
    from flagged
)

select * from final
