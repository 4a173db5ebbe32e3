{#
    Clean accounts: one row per account_id whose customer is a clean customer, with normalised
    account type, currency and status codes. Rows that failed a staging check are in
    quarantine.quarantined_rows.
#}
with

accounts as (select * from {{ ref('base_core__accounts') }}),

final as (
    select
        account_id,
        customer_id,
        account_type,
        opened_date,
        closed_date,
        currency,
        credit_limit,
        status,
        is_open,
        dq_flags,
        derived_columns
    from accounts
    where quarantine_reason is null
)

select * from final
