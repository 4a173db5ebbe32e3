{#
    Repayment grain: one row per clean repayment joined to its loan, with how long the borrower
    took and how late the payment was against the loan's due date.
#}
with

repayments as (select * from {{ ref('stg_core__loan_repayments') }}),

loans as (select * from {{ ref('stg_core__loans') }}),

joined as (
    select
        repayments.repayment_id,
        repayments.loan_id,
        loans.customer_id,
        loans.disbursed_date,
        loans.due_date,
        repayments.paid_date,
        loans.principal_amount,
        repayments.amount
    from repayments
    left join loans
        on repayments.loan_id = loans.loan_id
),

final as (
    select
        loan_id,
        repayment_id,
        customer_id,
        disbursed_date,
        due_date,
        paid_date,
        principal_amount,
        amount,
        cast({{ dbt.datediff('disbursed_date', 'paid_date', 'day') | trim }} as integer) as days_to_repay,
        -- DuckDB's greatest() skips NULLs: an unknown due date must stay unknown, not 0.
        case
            when due_date is not null
                then cast(greatest({{ dbt.datediff('due_date', 'paid_date', 'day') | trim }}, 0) as integer)
        end as days_late,
        coalesce(paid_date > due_date, false) as is_late,
        {{ to_date_key('paid_date') }} as date_key
    from joined
)

select * from final
