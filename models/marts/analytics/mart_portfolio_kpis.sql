{#
    The portfolio on one row, over the whole reporting window: customers, active customers,
    spend, average spend per customer, income utilisation (average monthly spend / average
    monthly income, the standard Mitron-style metric), fraud rate and open risk alerts.
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

alerts as (
    select
        count(*) as alert_count,
        sum(case when risk_tier = 'High' then 1 else 0 end) as high_risk_alerts,
    from {{ ref('risk_alerts') }}
),

window_bounds as (
    select
        min(month_start_date) as first_month,
        max(month_start_date) as last_month,
    from {{ ref('customer_monthly_features') }}
),

totals as (
    select
        count(*) as customers,
        sum(case when txn_count > 0 then 1 else 0 end) as active_customers,
        sum(total_spend) as total_spend,
        sum(txn_count) as txn_count,
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
        cast(totals.fraud_txn_count / nullif(totals.txn_count, 0) as double) as fraud_rate,
        cast(alerts.alert_count as bigint) as alert_count,
        cast(alerts.high_risk_alerts as bigint) as high_risk_alerts,
    from totals
    cross join alerts
    cross join window_bounds
)

select * from final
