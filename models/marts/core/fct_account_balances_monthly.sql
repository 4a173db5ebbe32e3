{#
    Account x month grain, narrow for BI: the end-of-month balance of every clean account with
    integer keys into dim_account, dim_customer (the owner) and dim_date instead of the bank's
    string ids; the account's type and product are in dim_account. A view: the balances are
    stored once, in base_core__account_balances (`bankmart publish` serves this view as a
    table); customer_monthly_features reads stg_core__account_balances, the same rows with the
    natural ids.
#}
{{ config(materialized='view') }}

with

balances as (select * from {{ ref('stg_core__account_balances') }}),

accounts as (
    select
        account_key,
        account_id
    from {{ ref('dim_account') }}
),

customers as (
    select
        customer_key,
        customer_id
    from {{ ref('dim_customer') }}
),

final as (
    select
        accounts.account_key,
        customers.customer_key,
        balances.balance_month,
        {{ to_date_key('balances.balance_month') }} as date_key,
        balances.balance,
        balances.loaded_at
    from balances
    -- Left joins: a balance whose account or owner is missing from its dimension keeps its row
    -- with a NULL key (the relationships tested on stg_core__account_balances rule that out).
    left join accounts
        on balances.account_id = accounts.account_id
    left join customers
        on balances.customer_id = customers.customer_id
)

select * from final
