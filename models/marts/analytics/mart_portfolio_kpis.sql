{#
    The portfolio on one row, over the whole reporting window: customers, active customers,
    spend, average spend per customer, income utilisation (average monthly spend / average
    monthly income, the standard Mitron-style metric), fraud rate (confirmed fraud among the
    transactions the bank labels; NULL for a bank without fraud labels), open risk alerts
    (0, not NULL, when the queue is empty) and how many customers the scorecard could assess at
    all (an empty queue says "no risk found" only about them). txn_count and fraud_txn_count are NULL for a bank
    whose spend aggregates do not count transactions.
#}
with

features as (
    select
        customer_id,
        total_spend,
        txn_count,
        avg_monthly_spend,
        monthly_income,
        fraud_txn_count,
    from {{ ref('customer_features') }}
),

-- count() and a filtered count() are 0 on an empty queue (a sum() would be NULL).
alerts as (
    select
        count(*) as alert_count,
        count(*) filter (where risk_tier = 'High') as high_risk_alerts,
    from {{ ref('risk_alerts') }}
),

assessed as (
    select
        count(*) filter (where rules_assessed > 0) as risk_assessed_customers,
    from {{ ref('customer_risk_scores') }}
),

window_bounds as (
    select
        first_activity_month as first_month,
        last_activity_month as last_month,
    from {{ ref('int_reporting_period') }}
),

fraud_labels as (
    select
        sum(fraud_labelled_txn_count) as labelled_txn_count,
    from {{ ref('customer_monthly_features') }}
),

totals as (
    select
        count(*) as customers,
        count(*) filter (where total_spend > 0 or txn_count > 0) as active_customers,
        sum(total_spend) as total_spend,
        case when count(txn_count) = count(*) then sum(txn_count) end as txn_count,
        sum(case when monthly_income > 0 then avg_monthly_spend end) as income_customers_spend,
        sum(case when monthly_income > 0 then monthly_income end) as income_customers_income,
        sum(fraud_txn_count) as fraud_txn_count,
    from features
),

final as (
    select
        window_bounds.first_month,
        window_bounds.last_month,
        cast(totals.customers as bigint) as customers,
        cast(totals.active_customers as bigint) as active_customers,
        cast(totals.total_spend as double) as total_spend,
        cast(totals.txn_count as bigint) as txn_count,
        cast(totals.total_spend / nullif(totals.customers, 0) as double)
            as avg_spend_per_customer,
        cast(totals.income_customers_spend / nullif(totals.income_customers_income, 0) as double)
            as income_utilisation,
        cast(totals.fraud_txn_count as bigint) as fraud_txn_count,
        cast(totals.fraud_txn_count / nullif(fraud_labels.labelled_txn_count, 0) as double) as fraud_rate,
        cast(alerts.alert_count as bigint) as alert_count,
        cast(alerts.high_risk_alerts as bigint) as high_risk_alerts,
        cast(assessed.risk_assessed_customers as bigint) as risk_assessed_customers,
    from totals
    cross join alerts
    cross join assessed
    cross join window_bounds
    cross join fraud_labels
)

select * from final
