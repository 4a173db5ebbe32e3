{#
    Product holdings per customer: which products the customer holds today (accounts that are not
    closed) and how many distinct products that makes, and when the customer's first account was
    opened (closed accounts included). Microloans in the loan book count as a loan even when the
    bank books no loan account for them.
#}
with

accounts as (select * from {{ ref('stg_core__accounts') }}),

loans as (select * from {{ ref('stg_core__loans') }}),

-- A business loan is a loan product for the purpose of holdings.
held_accounts as (
    select
        customer_id,
        case when account_type = 'business_loan' then 'loan' else account_type end as product
    from accounts
    where closed_date is null
        and coalesce(status, 'open') <> 'closed'
),

borrowers as (
    select distinct
        customer_id,
        'loan' as product
    from loans
),

first_opened as (
    select
        customer_id,
        min(opened_date) as first_account_opened_date
    from accounts
    group by customer_id
),

holdings as (
    select * from held_accounts
    union all
    select * from borrowers
),

held as (
    select
        customer_id,
        bool_or(product = 'current') as has_current_account,
        bool_or(product = 'savings') as has_savings_account,
        bool_or(product = 'credit_card') as has_credit_card,
        bool_or(product = 'loan') as has_loan,
        bool_or(product = 'deposit') as has_deposit,
        bool_or(product = 'foreign_currency') as has_foreign_currency_account,
        cast(count(distinct product) filter (
            where product in (
                'current', 'savings', 'credit_card', 'loan', 'deposit', 'foreign_currency'
            )
        ) as integer) as product_count
    from holdings
    group by customer_id
),

final as (
    select
        coalesce(held.customer_id, first_opened.customer_id) as customer_id,
        coalesce(held.has_current_account, false) as has_current_account,
        coalesce(held.has_savings_account, false) as has_savings_account,
        coalesce(held.has_credit_card, false) as has_credit_card,
        coalesce(held.has_loan, false) as has_loan,
        coalesce(held.has_deposit, false) as has_deposit,
        coalesce(held.has_foreign_currency_account, false) as has_foreign_currency_account,
        coalesce(held.product_count, 0) as product_count,
        first_opened.first_account_opened_date
    from held
    full outer join first_opened
        on held.customer_id = first_opened.customer_id
)

select * from final
