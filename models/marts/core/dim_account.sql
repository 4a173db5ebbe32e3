{# One row per clean account, with its owner. #}
with

accounts as (select * from {{ ref('stg_core__accounts') }}),

final as (
    select
        account_id,
        customer_id,
        account_type,
        opened_date,
        closed_date,
        currency,
        cast(credit_limit as decimal(18, 2)) as credit_limit,
        status,
        is_open,
    from accounts
)

select * from final
