{#
    Clean loan repayments: one row per repayment_id of a clean loan, with a positive amount.
#}
with

loan_repayments as (select * from {{ ref('base_core__loan_repayments') }}),

final as (
    select
        repayment_id,
        loan_id,
        paid_date,
        amount,
        dq_flags,
        derived_columns
    from loan_repayments
    where quarantine_reason is null
)

select * from final
