{#
    Loan grain: one row per clean microloan with what has been repaid and its status at the end of
    the reporting period (the last date of activity in the data, not today).
#}
with

loans as (select * from {{ ref('stg_core__loans') }}),

repayments as (select * from {{ ref('int_loan_repayments_aggregated_to_loan') }}),

reporting_period as (
    select last_activity_date as as_of_date
    from {{ ref('int_reporting_period') }}
),

joined as (
    select
        loans.loan_id,
        loans.customer_id,
        loans.account_id,
        loans.disbursed_date,
        loans.due_date,
        loans.principal_amount,
        loans.interest_rate,
        coalesce(repayments.repayment_count, 0) as repayment_count,
        coalesce(repayments.repaid_amount, 0) as repaid_amount,
        repayments.first_paid_date,
        repayments.last_paid_date,
        reporting_period.as_of_date,
        loans.dq_flags,
        loans.derived_columns
    from loans
    cross join reporting_period
    left join repayments
        on loans.loan_id = repayments.loan_id
),

measured as (
    select
        *,
        repaid_amount >= principal_amount as is_repaid,
        -- The date the loan was cleared; NULL while it is still outstanding.
        case when repaid_amount >= principal_amount then last_paid_date end as repaid_date
    from joined
),

final as (
    select
        loan_id,
        customer_id,
        account_id,
        disbursed_date,
        due_date,
        cast({{ dbt.datediff('disbursed_date', 'due_date', 'day') | trim }} as integer) as term_days,
        principal_amount,
        interest_rate,
        repayment_count,
        cast(repaid_amount as decimal(18, 2)) as repaid_amount,
        cast(greatest(principal_amount - repaid_amount, 0) as decimal(18, 2)) as outstanding_amount,
        first_paid_date,
        last_paid_date,
        repaid_date,
        cast({{ dbt.datediff('disbursed_date', 'repaid_date', 'day') | trim }} as integer) as days_to_repay,
        is_repaid,
        case
            when is_repaid and repaid_date > due_date then 'repaid_late'
            when is_repaid then 'repaid'
            when due_date < as_of_date then 'overdue'
            else 'open'
        end as loan_status,
        {{ to_date_key('disbursed_date') }} as date_key,
        dq_flags,
        derived_columns
    from measured
)

select * from final
