{#
    Repayment totals per loan, so fct_loans can report what was repaid and when without
    aggregating inside a join.
#}
with

repayments as (select * from {{ ref('stg_core__loan_repayments') }}),

final as (
    select
        loan_id,
        cast(count(*) as integer) as repayment_count,
        cast(sum(amount) as decimal(18, 2)) as repaid_amount,
        min(paid_date) as first_paid_date,
        max(paid_date) as last_paid_date
    from repayments
    group by loan_id
)

select * from final
