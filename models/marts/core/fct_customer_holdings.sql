{#
    Holdings grain: one row per customer, snapshot date and product the bank's holdings extract
    reports (deposits, current and savings accounts, foreign-currency accounts, credit cards,
    loans, business lending, superannuation, properties), with the balance and the count held.
    Empty for a bank without a holdings extract (customer_holdings absent).
#}
with

holdings as (select * from {{ ref('stg_core__customer_holdings') }}),

account_types as (select * from {{ ref('account_types') }}),

final as (
    select
        holdings.customer_id,
        holdings.snapshot_date,
        {{ to_date_key('holdings.snapshot_date') }} as date_key,
        holdings.product,
        account_types.account_type_label as product_label,
        account_types.product_group,
        coalesce(account_types.is_credit, false) as is_credit,
        cast(holdings.balance as decimal(18, 2)) as balance,
        cast(holdings.quantity as double) as quantity,
        holdings.dq_flags,
        holdings.derived_columns
    from holdings
    left join account_types
        on holdings.product = account_types.account_type
)

select * from final
