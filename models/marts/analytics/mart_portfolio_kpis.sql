{#
    The portfolio on one row, over the whole reporting window, by the semantic layer's
    definitions (models/marts/semantic/_metrics.yml; tests/python/test_semantic_layer.py checks
    this row against `mf query`): customers, active customers, spend, transactions, spend per
    customer observed, income utilisation (summed over customer-months: the spend of the months
    whose customer states an income over that income), fraud rate (confirmed fraud among the
    transactions the bank labels; NULL for a bank without fraud labels), open risk alerts (0, not
    NULL, when the queue is empty) and how many customers the scorecard could assess at all (an
    empty queue says "no risk found" only about them). txn_count is NULL when no spend counts
    transactions (a bank whose monthly aggregates count none).
#}
with

customer_months as (select * from {{ ref('customer_month_kpis') }}),

customers as (
    select count(*) as customers
    from {{ ref('dim_customer') }}
),

-- count() and a filtered count() are 0 on an empty queue (a sum() would be NULL).
alerts as (
    select
        count(*) as alert_count,
        count(*) filter (where risk_tier = 'High') as high_risk_alerts
    from {{ ref('risk_alerts') }}
),

assessed as (
    select count(*) filter (where rules_assessed > 0) as risk_assessed_customers
    from {{ ref('customer_risk_scores') }}
),

window_bounds as (
    select
        first_activity_month as first_month,
        last_activity_month as last_month
    from {{ ref('int_reporting_period') }}
),

totals as (
    select
        count(distinct customer_id) as customers_observed,
        count(distinct case when is_active then customer_id end) as active_customers,
        sum(total_spend) as total_spend,
        sum(txn_count) as txn_count,
        sum(income_known_spend) as income_known_spend,
        sum(monthly_income) as stated_income,
        sum(fraud_txn_count) as fraud_txn_count,
        sum(fraud_labelled_txn_count) as fraud_labelled_txn_count
    from customer_months
),

final as (
    select
        window_bounds.first_month,
        window_bounds.last_month,
        cast(customers.customers as bigint) as customers,
        cast(totals.customers_observed as bigint) as customers_observed,
        cast(totals.active_customers as bigint) as active_customers,
        cast(coalesce(totals.total_spend, 0) as double) as total_spend,
        cast(totals.txn_count as bigint) as txn_count,
        cast(totals.total_spend / nullif(totals.customers_observed, 0) as double)
            as avg_spend_per_customer,
        cast(totals.income_known_spend / nullif(totals.stated_income, 0) as double)
            as income_utilisation,
        cast(totals.fraud_txn_count as bigint) as fraud_txn_count,
        cast(totals.fraud_txn_count / nullif(totals.fraud_labelled_txn_count, 0) as double) as fraud_rate,
        cast(alerts.alert_count as bigint) as alert_count,
        cast(alerts.high_risk_alerts as bigint) as high_risk_alerts,
        cast(assessed.risk_assessed_customers as bigint) as risk_assessed_customers
    from totals
    cross join customers
    cross join alerts
    cross join assessed
    cross join window_bounds
)

select * from final
