{#
    The period the clean transactions cover, in one row. The marts measured "up to the end of
    the data" (dim_customer's tenure, fct_loans' status, dim_date's calendar) read it here from
    staging instead of from fct_transactions, so they build beside the fact table rather than
    after it and its tests. NULLs when there are no clean transactions.
#}
{{ config(materialized='table') }}

with

transactions as (
    select transaction_at,
    from {{ ref('stg_core__transactions') }}
),

final as (
    select
        cast(min(transaction_at) as date) as first_transaction_date,
        cast(max(transaction_at) as date) as last_transaction_date,
        cast({{ dbt.date_trunc('month', 'max(transaction_at)') }} as date) as last_transaction_month,
    from transactions
)

select * from final
