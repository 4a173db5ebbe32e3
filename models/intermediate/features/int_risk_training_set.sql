{#
    Training rows for the supervised risk classifiers: features observed before the outcome
    window, and a label from inside it. is_at_risk = 1 when, in the last `risk_outcome_months`
    months, the customer had a confirmed fraud transaction, paid a microloan repayment late, or
    let a loan fall overdue. Nothing in the features comes from the outcome window, and the
    label columns are kept apart by name so the ML step can refuse them as features.
#}
with

features as (select * from {{ ref('int_customer_features_before_outcome_window') }}),

monthly as (
    select
        customer_id,
        month_start_date,
        fraud_txn_count
    from {{ ref('customer_monthly_features') }}
),

repayments as (
    select
        customer_id,
        paid_date,
        is_late
    from {{ ref('fct_loan_repayments') }}
),

loans as (
    select
        customer_id,
        due_date,
        loan_status
    from {{ ref('fct_loans') }}
),

outcome_window as (
    select distinct observation_end_date as window_starts_after
    from features
),

fraud_outcomes as (
    select
        monthly.customer_id,
        sum(monthly.fraud_txn_count) as outcome_fraud_txn_count
    from monthly
    cross join outcome_window
    where monthly.month_start_date > outcome_window.window_starts_after
    group by monthly.customer_id
),

late_outcomes as (
    select
        repayments.customer_id,
        count(*) as outcome_late_repayment_count
    from repayments
    cross join outcome_window
    where repayments.paid_date > outcome_window.window_starts_after
        and repayments.is_late
    group by repayments.customer_id
),

overdue_outcomes as (
    select
        loans.customer_id,
        count(*) as outcome_overdue_loan_count
    from loans
    cross join outcome_window
    where loans.due_date > outcome_window.window_starts_after
        and loans.loan_status = 'overdue'
    group by loans.customer_id
),

final as (
    select
        features.*,
        cast(coalesce(fraud_outcomes.outcome_fraud_txn_count, 0) as integer)
            as outcome_fraud_txn_count,
        cast(coalesce(late_outcomes.outcome_late_repayment_count, 0) as integer)
            as outcome_late_repayment_count,
        cast(coalesce(overdue_outcomes.outcome_overdue_loan_count, 0) as integer)
            as outcome_overdue_loan_count,
        cast(
            case
                when coalesce(fraud_outcomes.outcome_fraud_txn_count, 0) > 0
                    or coalesce(late_outcomes.outcome_late_repayment_count, 0) > 0
                    or coalesce(overdue_outcomes.outcome_overdue_loan_count, 0) > 0
                    then 1
                else 0
            end
            as integer
        ) as is_at_risk
    from features
    left join fraud_outcomes
        on features.customer_id = fraud_outcomes.customer_id
    left join late_outcomes
        on features.customer_id = late_outcomes.customer_id
    left join overdue_outcomes
        on features.customer_id = overdue_outcomes.customer_id
)

select * from final
