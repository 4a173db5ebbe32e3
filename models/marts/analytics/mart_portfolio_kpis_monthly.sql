{#
    Portfolio KPIs by month, by the semantic layer's definitions (models/marts/semantic/
    _metrics.yml; the same as `mf query ... --group-by metric_time__month`): customers observed
    in the month, active customers, spend, transactions, average spend per active customer,
    income utilisation and fraud rate. Within a month customer_month_kpis has one row per
    customer (customer_monthly_features, tested unique on customer and month), so the metrics'
    distinct customers are counted as rows: the same numbers, without a distinct set per month
    (0.44 -> 0.08 s at 10M transactions, 13 s of the build at 100M).
#}
with

customer_months as (select * from {{ ref('customer_month_kpis') }}),

final as (
    select
        month_start_date,
        {{ to_date_key('month_start_date') }} as date_key,
        cast(count(customer_id) as bigint) as customers,
        cast(count(case when is_active then customer_id end) as bigint) as active_customers,
        cast(sum(total_spend) as double) as total_spend,
        cast(sum(txn_count) as bigint) as txn_count,
        cast(
            sum(total_spend) / nullif(count(case when is_active then customer_id end), 0)
            as double
        ) as avg_spend_per_active_customer,
        cast(sum(income_known_spend) / nullif(sum(monthly_income), 0) as double) as income_utilisation,
        cast(sum(fraud_txn_count) as bigint) as fraud_txn_count,
        cast(sum(fraud_txn_count) / nullif(sum(fraud_labelled_txn_count), 0) as double) as fraud_rate
    from customer_months
    group by month_start_date
)

select * from final
