{#
    Account x month grain: the end-of-month balance of every clean account, with its owner. A
    view: the balances are stored once, in base_core__account_balances, which carries the
    account's owner and type (`bankmart publish` serves this view as a table).
#}
{{ config(materialized='view') }}

with

balances as (select * from {{ ref('stg_core__account_balances') }}),

final as (
    select
        account_id,
        customer_id,
        account_type,
        balance_month,
        {{ to_date_key('balance_month') }} as date_key,
        balance,
        loaded_at,
    from balances
)

select * from final
