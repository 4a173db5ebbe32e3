{#
    One row per clean account, with its owner and the product attributes of its type, plus the
    inferred members: account ids that clean transactions carry but the accounts table does not
    list (the bank has no accounts table, or the account was rejected while the transaction could
    be linked to its customer). An inferred account has is_inferred = true, the customer of its
    transactions, and NULL product attributes, so every transaction's account joins.
#}
with

accounts as (select * from {{ ref('stg_core__accounts') }}),

account_types as (select * from {{ ref('account_types') }}),

-- The accounts of clean transactions that name an account the accounts table does not hold
-- clean: base_core__transactions flags exactly those rows (account_id:unknown_account), so only
-- they are grouped, not every transaction (dim_account at 100M transactions: 11.2 s of the
-- build). has_parents on int_transactions_enriched checks that every account joins.
transaction_accounts as (
    select
        account_id,
        min(customer_id) as customer_id
    from {{ ref('stg_core__transactions') }}
    where account_id is not null
        and dq_flags like '%account_id:unknown_account%'
    group by account_id
),

listed as (
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
        false as is_inferred,
        accounts.dq_flags,
        accounts.derived_columns
    from accounts
    left join account_types
        on accounts.account_type = account_types.account_type
),

inferred as (
    select
        transaction_accounts.account_id,
        transaction_accounts.customer_id,
        cast(null as string) as account_type,
        'Unknown (inferred from transactions)' as account_type_label,
        cast(null as string) as product_group,
        cast(null as boolean) as is_credit,
        cast(null as date) as opened_date,
        cast(null as date) as closed_date,
        cast(null as string) as currency,
        cast(null as decimal(18, 2)) as credit_limit,
        cast(null as string) as status,
        cast(null as boolean) as is_open,
        true as is_inferred,
        cast(null as string) as dq_flags,
        cast(null as string) as derived_columns
    from transaction_accounts
    anti join accounts
        on transaction_accounts.account_id = accounts.account_id
),

members as (
    select * from listed
    union all
    select * from inferred
),

final as (
    select
        -- Dense surrogate key in account_id order: the same accounts give the same keys.
        cast(row_number() over (order by account_id) as integer) as account_key,
        *
    from members
)

select * from final
