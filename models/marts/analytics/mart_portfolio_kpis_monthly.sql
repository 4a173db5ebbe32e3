{#
    Portfolio KPIs by month: customers on book, active customers (at least one transaction),
    spend, average spend per active customer, income utilisation and fraud rate.
#}
with

monthly as (
    select
        customer_id,
        month_start_date,
        total_spend,
        txn_count,
        fraud_txn_count,
        fraud_labelled_txn_count,
    from {{ ref('customer_monthly_features') }}
),

customers as (
    select
        customer_id,
        monthly_income,
    from {{ ref('dim_customer') }}
),

final as (
    select
        monthly.month_start_date,
        {{ to_date_key('monthly.month_start_date') }} as date_key,
        cast(count(*) as bigint) as customers,
        cast(count(*) filter (where monthly.total_spend > 0 or monthly.txn_count > 0) as bigint)
            as active_customers,
        cast(sum(monthly.total_spend) as double) as total_spend,
        cast(sum(monthly.txn_count) as bigint) as txn_count,
        cast(
            sum(monthly.total_spend)
            / nullif(count(*) filter (where monthly.total_spend > 0 or monthly.txn_count > 0), 0)
            as double
        ) as avg_spend_per_active_customer,
        cast(
            sum(case when customers.monthly_income > 0 then monthly.total_spend end)
            / nullif(sum(case when customers.monthly_income > 0 then customers.monthly_income end), 0)
            as double
        ) as income_utilisation,
        cast(sum(monthly.fraud_txn_count) as bigint) as fraud_txn_count,
        cast(sum(monthly.fraud_txn_count) / nullif(sum(monthly.fraud_labelled_txn_count), 0) as double)
            as fraud_rate,
    from monthly
    left join customers
        on monthly.customer_id = customers.customer_id
    group by monthly.month_start_date
)

select * from final
