{#
    The base of every portfolio KPI: one row per customer and month of the reporting window, with
    the additive figures the semantic layer (MetricFlow, models/marts/semantic/_metrics.yml), the
    Power BI measures (bi/powerbi/measures.dax, generated from those metrics) and the dashboard
    sum. A view over customer_monthly_features and dim_customer: the stated income is read from
    dim_customer when queried, so a changed income never leaves stale months behind.

    Income utilisation is summed over customer-months: the spend of the months whose customer
    states an income, over that income summed over the same months. It adds up over any slice
    (a month, a segment, a city) and needs no per-customer average.
#}
with

months as (
    select
        customer_id,
        month_start_date,
        date_key,
        total_spend,
        txn_count,
        fraud_txn_count,
        fraud_labelled_txn_count
    from {{ ref('customer_monthly_features') }}
),

customers as (
    select
        customer_id,
        monthly_income
    from {{ ref('dim_customer') }}
),

final as (
    select
        months.customer_id || '|' || cast(months.date_key as string) as customer_month_id,
        months.customer_id,
        months.month_start_date,
        months.date_key,
        coalesce(months.total_spend > 0 or months.txn_count > 0, false) as is_active,
        months.total_spend,
        months.txn_count,
        months.fraud_txn_count,
        months.fraud_labelled_txn_count,
        cast(case when customers.monthly_income > 0 then customers.monthly_income end as double)
            as monthly_income,
        case when customers.monthly_income > 0 then months.total_spend end as income_known_spend
    from months
    left join customers
        on months.customer_id = customers.customer_id
)

select * from final
