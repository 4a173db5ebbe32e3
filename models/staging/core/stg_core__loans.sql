{#
    Clean microloans: one row per loan_id of a clean customer, with a positive principal.
#}
with

loans as (select * from {{ ref('base_core__loans') }}),

final as (
    select
        loan_id,
        customer_id,
        account_id,
        disbursed_date,
        principal_amount,
        due_date,
        interest_rate,
        dq_flags,
        derived_columns
    from loans
    where quarantine_reason is null
)

select * from final
