{# Account x month grain: the end-of-month balance of every clean account, with its owner. #}
with

balances as (select * from {{ ref('stg_core__account_balances') }}),

accounts as (
    select
        account_id,
        customer_id,
        account_type,
    from {{ ref('stg_core__accounts') }}
),

final as (
    select
        balances.account_id,
        accounts.customer_id,
        accounts.account_type,
        balances.balance_month,
        {{ to_date_key('balances.balance_month') }} as date_key,
        balances.balance,
    from balances
    left join accounts
        on balances.account_id = accounts.account_id
)

select * from final
