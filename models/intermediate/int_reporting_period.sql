{#
    The period the bank's clean activity covers, in one row: transactions, month-end balances,
    loans, repayments, monthly spend aggregates and holdings snapshots, whichever the bank has.
    The marts measured "up to the end of the data" (dim_customer's tenure, fct_loans' status,
    dim_date's calendar, the feature window) read it here from staging, so a bank without
    transactions still has an end of data, and those marts build beside the fact table rather
    than after it. Every date is inside the data window (base_core__data_window), so no stray row
    stretches it. When the bank has no dated activity at all, the period is the as-of date.
#}
{{ config(materialized='table') }}

with

activity as (
    select
        min(transaction_date) as first_date,
        max(transaction_date) as last_date
    from {{ ref('stg_core__transactions') }}
    union all
    select
        min(balance_month) as first_date,
        max({{ dbt.last_day('balance_month', 'month') }}) as last_date
    from {{ ref('stg_core__account_balances') }}
    union all
    select
        min(disbursed_date) as first_date,
        max(disbursed_date) as last_date
    from {{ ref('stg_core__loans') }}
    union all
    select
        min(paid_date) as first_date,
        max(paid_date) as last_date
    from {{ ref('stg_core__loan_repayments') }}
    union all
    select
        min(spend_month) as first_date,
        max({{ dbt.last_day('spend_month', 'month') }}) as last_date
    from {{ ref('stg_core__monthly_spend') }}
    union all
    select
        min(snapshot_date) as first_date,
        max(snapshot_date) as last_date
    from {{ ref('stg_core__customer_holdings') }}
),

transactions as (
    select
        min(transaction_date) as first_transaction_date,
        max(transaction_date) as last_transaction_date
    from {{ ref('stg_core__transactions') }}
),

bounds as (
    select
        coalesce(min(first_date), {{ as_of_date() }}) as first_activity_date,
        coalesce(max(last_date), {{ as_of_date() }}) as last_activity_date,
        count(first_date) > 0 as has_activity
    from activity
),

final as (
    select
        bounds.first_activity_date,
        bounds.last_activity_date,
        cast({{ dbt.date_trunc('month', 'bounds.first_activity_date') }} as date) as first_activity_month,
        cast({{ dbt.date_trunc('month', 'bounds.last_activity_date') }} as date) as last_activity_month,
        bounds.has_activity,
        transactions.first_transaction_date,
        transactions.last_transaction_date
    from bounds
    cross join transactions
)

select * from final
