{#
    Product holdings per customer: which products the customer holds today (accounts that are not
    closed) and how many distinct products that makes. Microloans in the loan book count as a loan
    even when the bank books no loan account for them.
#}
with

accounts as (select * from {{ ref('stg_core__accounts') }}),

loans as (select * from {{ ref('stg_core__loans') }}),

held_accounts as (
    select
        customer_id,
        account_type,
    from accounts
    where closed_date is null
        and coalesce(status, 'open') <> 'closed'
),

borrowers as (
    select distinct
        customer_id,
        'loan' as account_type,
    from loans
),

holdings as (
    select * from held_accounts
    union all
    select * from borrowers
),

final as (
    select
        customer_id,
        bool_or(account_type = 'current') as has_current_account,
        bool_or(account_type = 'savings') as has_savings_account,
        bool_or(account_type = 'credit_card') as has_credit_card,
        bool_or(account_type = 'loan') as has_loan,
        bool_or(account_type = 'deposit') as has_deposit,
        bool_or(account_type = 'foreign_currency') as has_foreign_currency_account,
        cast(count(distinct account_type) filter (
            where account_type in (
                'current', 'savings', 'credit_card', 'loan', 'deposit', 'foreign_currency'
            )
        ) as integer) as product_count,
    from holdings
    group by customer_id
)

select * from final
