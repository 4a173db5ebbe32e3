{#
    Clean month-end balances: one row per account and month (balance_month is the first day of the
    month) of a clean account, with the account's owner and type. loaded_at is the base row's
    load time (incremental builds test the rows they loaded).
#}
with

account_balances as (select * from {{ ref('base_core__account_balances') }}),

final as (
    select
        account_id,
        balance_month,
        balance,
        dq_flags,
        derived_columns,
        customer_id,
        account_type,
        loaded_at
    from account_balances
    where quarantine_reason is null
)

select * from final
