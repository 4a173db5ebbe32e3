{# One row per clean account, with its owner and the product attributes of its type. #}
with

accounts as (select * from {{ ref('stg_core__accounts') }}),

account_types as (select * from {{ ref('account_types') }}),

final as (
    select
        accounts.account_id,
        accounts.customer_id,
        accounts.account_type,
        account_types.account_type_label,
        account_types.product_group,
        coalesce(account_types.is_credit, false) as is_credit,
        accounts.opened_date,
        accounts.closed_date,
        accounts.currency,
        cast(accounts.credit_limit as decimal(18, 2)) as credit_limit,
        accounts.status,
        accounts.is_open,
    from accounts
    left join account_types
        on accounts.account_type = account_types.account_type
)

select * from final
