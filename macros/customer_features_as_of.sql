{#
    The customer-grain feature query, observed up to a cut-off: all months when
    months_held_out = 0 (customer_features), or all but the last N months when a later outcome
    window must stay unseen (the risk classifiers' training set). One definition for both, so
    the classifiers are trained on exactly the features they are later applied to.

    Reads only customer_monthly_features and the small loan facts, never fct_transactions.
    Every feature is DOUBLE for the ML step. Missing-value rules:
      - counts, amounts and shares are 0 when the customer has no activity;
      - recency_days is the length of the observed window when the customer never transacted;
      - recent_spend_ratio is 1.0 (no change) when there is no baseline spend to compare with;
      - income_utilisation, avg_repayment_days, age and tenure_months stay NULL when unknown.
#}
{% macro customer_features_as_of(months_held_out=0) -%}
{%- set shares = ['atm', 'online', 'cross_border', 'night', 'discretionary', 'essential'] -%}
{%- set recent_months = var('spike_recent_months', 3) -%}
with

monthly as (select * from {{ ref('customer_monthly_features') }}),

customers as (
    select
        customer_id,
        city,
        occupation,
        age_band,
        age,
        monthly_income,
        tenure_months,
        product_count,
    from {{ ref('dim_customer') }}
),

loans as (
    select
        customer_id,
        disbursed_date,
        principal_amount,
    from {{ ref('fct_loans') }}
),

repayments as (
    select
        customer_id,
        paid_date,
        days_to_repay,
        is_late,
    from {{ ref('fct_loan_repayments') }}
),

-- Read apart from `monthly`, which DuckDB would otherwise store whole (a CTE read twice).
window_bounds as (
    select
        min(month_start_date) as first_month,
        cast({{ dbt.dateadd('month', -months_held_out, 'max(month_start_date)') }} as date)
            as last_month,
    from {{ ref('customer_monthly_features') }}
),

observation as (
    select
        first_month,
        last_month,
        cast({{ dbt.last_day('last_month', 'month') }} as date) as as_of_date,
        cast({{ dbt.dateadd('month', 1 - recent_months, 'last_month') }} as date) as recent_from,
    from window_bounds
),

observed_months as (
    select
        monthly.*,
        observation.recent_from,
    from monthly
    cross join observation
    where monthly.month_start_date <= observation.last_month
),

spend as (
    select
        customer_id,
        sum(total_spend) as total_spend,
        sum(txn_count) as txn_count,
        count(*) as months_observed,
        sum(case when txn_count > 0 then 1 else 0 end) as months_active,
        max(last_transaction_date) as last_transaction_date,
        avg(total_spend) as avg_monthly_spend,
        max(total_spend) as max_monthly_spend,
        stddev_pop(total_spend) as monthly_spend_stddev,
        {%- for share in shares %}
        sum({{ share }}_spend) as {{ share }}_spend,
        {%- endfor %}
        sum(fraud_txn_count) as fraud_txn_count,
        sum(case when month_start_date >= recent_from then total_spend else 0 end) as recent_spend,
        sum(case when month_start_date >= recent_from then 1 else 0 end) as recent_months,
        sum(case when month_start_date < recent_from then total_spend else 0 end) as baseline_spend,
        sum(case when month_start_date < recent_from then 1 else 0 end) as baseline_months,
        avg(end_of_month_balance) as avg_end_of_month_balance,
    from observed_months
    group by customer_id
),

borrowing as (
    select
        loans.customer_id,
        count(*) as loan_count,
        avg(loans.principal_amount) as loan_avg_amount,
        sum(loans.principal_amount) as loan_total_amount,
    from loans
    cross join observation
    where loans.disbursed_date <= observation.as_of_date
    group by loans.customer_id
),

repaying as (
    select
        repayments.customer_id,
        avg(repayments.days_to_repay) as avg_repayment_days,
        avg(case when repayments.is_late then 1.0 else 0.0 end) as late_repayment_share,
    from repayments
    cross join observation
    where repayments.paid_date <= observation.as_of_date
    group by repayments.customer_id
),

final as (
    select
        customers.customer_id,
        customers.city,
        customers.occupation,
        customers.age_band,
        observation.as_of_date as observation_end_date,
        cast(coalesce(spend.total_spend, 0) as double) as total_spend,
        cast(coalesce(spend.txn_count, 0) as double) as txn_count,
        cast(coalesce(spend.months_observed, 0) as double) as months_observed,
        cast(coalesce(spend.months_active, 0) as double) as months_active,
        cast(coalesce(
            {{ dbt.datediff('spend.last_transaction_date', 'observation.as_of_date', 'day') }},
            {{ dbt.datediff('observation.first_month', 'observation.as_of_date', 'day') }} + 1
        ) as double) as recency_days,
        cast(coalesce(spend.txn_count / nullif(spend.months_observed, 0), 0) as double)
            as frequency,
        cast(coalesce(spend.total_spend, 0) as double) as monetary_total,
        cast(coalesce(spend.total_spend / nullif(spend.txn_count, 0), 0) as double)
            as monetary_avg,
        cast(coalesce(spend.avg_monthly_spend, 0) as double) as avg_monthly_spend,
        cast(coalesce(spend.max_monthly_spend, 0) as double) as max_monthly_spend,
        cast(
            coalesce(spend.monthly_spend_stddev / nullif(spend.avg_monthly_spend, 0), 0)
            as double
        ) as spend_volatility,
        {%- for share in shares %}
        cast(coalesce(spend.{{ share }}_spend / nullif(spend.total_spend, 0), 0) as double)
            as {{ share }}_share,
        {%- endfor %}
        cast(spend.avg_monthly_spend / nullif(customers.monthly_income, 0) as double)
            as income_utilisation,
        cast(customers.monthly_income as double) as monthly_income,
        cast(coalesce(borrowing.loan_count, 0) as double) as loan_count,
        cast(coalesce(borrowing.loan_avg_amount, 0) as double) as loan_avg_amount,
        cast(coalesce(borrowing.loan_total_amount, 0) as double) as loan_total_amount,
        cast(repaying.avg_repayment_days as double) as avg_repayment_days,
        cast(coalesce(repaying.late_repayment_share, 0) as double) as late_repayment_share,
        cast(customers.age as double) as age,
        cast(customers.tenure_months as double) as tenure_months,
        cast(coalesce(customers.product_count, 0) as double) as product_count,
        cast(coalesce(spend.fraud_txn_count, 0) as double) as fraud_txn_count,
        cast(
            case
                when spend.baseline_spend > 0 and spend.recent_months > 0
                    then (spend.recent_spend / spend.recent_months)
                        / (spend.baseline_spend / spend.baseline_months)
                else 1.0
            end
            as double
        ) as recent_spend_ratio,
        cast(spend.avg_end_of_month_balance as double) as avg_end_of_month_balance,
    from customers
    cross join observation
    left join spend
        on customers.customer_id = spend.customer_id
    left join borrowing
        on customers.customer_id = borrowing.customer_id
    left join repaying
        on customers.customer_id = repaying.customer_id
)

select * from final
{%- endmacro %}
