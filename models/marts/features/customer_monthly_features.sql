{#
    Customer x month: what each customer did in each month of the reporting window, zeros
    included, so that volatility, recency and spikes are measured on a complete series. This is
    the single pass over fct_transactions for the feature layer; customer_features and the risk
    training set aggregate these rows, never the facts.

    Incremental: a build recomputes only the customer-months that new facts can change, and
    replaces them (delete+insert on customer_id, month_start_date): every customer's row for each
    month that has fct_transactions newer than this table's watermark (late rows included), every
    month new to the window, and every month of a customer new to the table. When
    fct_transactions was rebuilt from scratch, the pre-hook empties this table first.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['customer_id', 'month_start_date'],
        on_schema_change='fail',
        pre_hook="{{ reset_when_upstream_rebuilt(ref('fct_transactions')) }}",
    )
}}
{%- set categories = var('spend_categories') %}
{%- set incremental = is_incremental() %}

with

transactions as (
    select
        customer_id,
        transaction_month,
        transaction_date,
        -- The features are DOUBLE: summing doubles keeps the grouping state half the size of
        -- DECIMAL sums (one customer-month holds twenty of them), about a third faster.
        cast(amount as double) as amount,
        category,
        is_atm,
        is_online,
        is_cross_border,
        is_night,
        is_discretionary,
        is_essential,
        is_fraud,
        loaded_at,
    from {{ ref('fct_transactions') }}
),

customers as (
    select
        customer_id,
        joined_date,
    from {{ ref('dim_customer') }}
),

balances as (
    select
        customer_id,
        balance_month,
        sum(balance) as end_of_month_balance,
    from {{ ref('fct_account_balances_monthly') }}
    group by customer_id, balance_month
),

-- The window and the watermark, read from the facts apart from `transactions`: a CTE read
-- more than once is stored whole by DuckDB, and that one holds every transaction.
window_bounds as (
    select
        min(transaction_month) as first_month,
        max(transaction_month) as last_month,
        max(loaded_at) as loaded_at,
    from {{ ref('fct_transactions') }}
),

months as (
    select distinct
        month_start_date,
    from {{ ref('dim_date') }}
    cross join window_bounds
    where month_start_date between window_bounds.first_month and window_bounds.last_month
),

-- Each customer is observed from the later of the window start and the month they joined.
all_customer_months as (
    select
        customers.customer_id,
        months.month_start_date,
    from customers
    cross join months
    where customers.joined_date is null
        or months.month_start_date >= {{ dbt.date_trunc('month', 'customers.joined_date') }}
),

{% if incremental -%}
-- Months with facts newer than this table, months new to the window, customers new to the table.
touched_months as (
    select distinct transaction_month as month_start_date,
    from {{ ref('fct_transactions') }}
    where loaded_at > {{ loaded_watermark(this) }}
    union
    select month_start_date,
    from months
    where month_start_date not in (select distinct month_start_date from {{ this }})
),

new_customers as (
    select customer_id,
    from customers
    where customer_id not in (select distinct customer_id from {{ this }})
),

customer_months as (
    select all_customer_months.*,
    from all_customer_months
    where month_start_date in (select month_start_date from touched_months)
        or customer_id in (select customer_id from new_customers)
),

touched_transactions as (
    select *
    from transactions
    where transaction_month in (select month_start_date from touched_months)
        or customer_id in (select customer_id from new_customers)
),
{%- else -%}
customer_months as (select * from all_customer_months),

touched_transactions as (select * from transactions),
{%- endif %}

aggregated as (
    select
        customer_id,
        transaction_month as month_start_date,
        sum(amount) as total_spend,
        count(*) as txn_count,
        max(amount) as max_txn_amount,
        max(transaction_date) as last_transaction_date,
        sum(case when is_atm then amount else 0 end) as atm_spend,
        sum(case when is_online then amount else 0 end) as online_spend,
        sum(case when is_cross_border then amount else 0 end) as cross_border_spend,
        sum(case when is_night then amount else 0 end) as night_spend,
        sum(case when is_discretionary then amount else 0 end) as discretionary_spend,
        sum(case when is_essential then amount else 0 end) as essential_spend,
        sum(case when is_fraud then 1 else 0 end) as fraud_txn_count,
        {%- for category in categories %}
        sum(case when category = '{{ category }}' then amount else 0 end) as spend_{{ category }},
        {%- endfor %}
    from touched_transactions
    group by customer_id, transaction_month
),

final as (
    select
        customer_months.customer_id,
        customer_months.month_start_date,
        {{ to_date_key('customer_months.month_start_date') }} as date_key,
        cast(coalesce(aggregated.total_spend, 0) as double) as total_spend,
        cast(coalesce(aggregated.txn_count, 0) as integer) as txn_count,
        cast(aggregated.total_spend / nullif(aggregated.txn_count, 0) as double) as avg_ticket,
        cast(coalesce(aggregated.max_txn_amount, 0) as double) as max_txn_amount,
        aggregated.last_transaction_date,
        {%- for measure in ['atm', 'online', 'cross_border', 'night', 'discretionary', 'essential'] %}
        cast(coalesce(aggregated.{{ measure }}_spend, 0) as double) as {{ measure }}_spend,
        cast(
            coalesce(aggregated.{{ measure }}_spend / nullif(aggregated.total_spend, 0), 0)
            as double
        ) as {{ measure }}_share,
        {%- endfor %}
        cast(coalesce(aggregated.fraud_txn_count, 0) as integer) as fraud_txn_count,
        {%- for category in categories %}
        cast(coalesce(aggregated.spend_{{ category }}, 0) as double) as spend_{{ category }},
        {%- endfor %}
        cast(balances.end_of_month_balance as double) as end_of_month_balance,
        window_bounds.loaded_at,
    from customer_months
    cross join window_bounds
    left join aggregated
        on customer_months.customer_id = aggregated.customer_id
        and customer_months.month_start_date = aggregated.month_start_date
    left join balances
        on customer_months.customer_id = balances.customer_id
        and customer_months.month_start_date = balances.balance_month
)

select * from final
