{#
    Customer x cut-off: every customer-level feature, observed up to two cut-offs, in one
    definition so the risk classifiers are trained on exactly the features they are later applied
    to:
      - 'current': every month of the data (customer_features);
      - 'before_outcome_window': all but the last var risk_outcome_months months
        (int_customer_features_before_outcome_window, the classifiers' training rows).

    Reads customer_monthly_features and the small loan facts, never fct_transactions. Every
    feature is DOUBLE for the ML step. NULL means "the data cannot tell", never 0 by default:
      - shares are measured over the spend whose flag the data tells (see
        customer_monthly_features) and are NULL for a customer without such spend;
      - counts, frequency and tickets are NULL where the bank's spend aggregates do not count
        transactions;
      - the fraud count is NULL for every customer of a bank with no fraud label at all, and the
        loan features are NULL for every customer of a bank with no clean loan: a feature the
        bank lacks is not assessable, which is not the same as "no fraud" or "no late payment";
        in a bank that has them, a customer with none gets 0;
      - recency_days is the length of the observed window when the customer never spent;
      - income_utilisation, avg_repayment_days, age, tenure_months and the balance stay NULL
        when unknown.

    Behaviour mix, for segmentation: how often the customer uses each channel (share of the
    transactions whose channel is known), goes abroad and transacts at night (shares of the
    transactions whose country or time is known), how the purchases split over merchant
    categories (share of the purchases whose category is known, counted: one large electronics
    purchase would otherwise outweigh a year of groceries; see purchase_categories()), how much the monthly transaction count varies (txn_count_volatility) and how
    often the customer borrows (loans_per_year).

    Risk signals: each compares the recent window (the last var risk_recent_months months
    before the cut-off) with the customer's own baseline (the observed months before it), so a
    burst in the last quarter is not diluted across years of ordinary months. A signal is NULL,
    "not assessable", when the customer has fewer than var risk_baseline_min_months baseline
    months, no baseline spend, or when the data does not tell what the signal counts (no
    channel for cash withdrawals, no country for abroad transactions):
      - spend_spike_ratio: average monthly spend, recent / baseline;
      - txn_count_spike_ratio: average monthly transaction count, recent / baseline;
      - cash_withdrawal_surge: average monthly ATM withdrawals, recent minus baseline, in units
        of the customer's baseline monthly spend (1.0 = an extra month of usual spend withdrawn
        in cash every month); a difference rather than a ratio, because a customer who never
        used ATMs has no baseline to divide by;
      - cross_border_txn_surge: average monthly transactions abroad, recent minus baseline.
#}
{%- set shares = [
    ('atm', 'channel'),
    ('online', 'channel'),
    ('cross_border', 'country'),
    ('night', 'time'),
    ('discretionary', 'category'),
    ('essential', 'category'),
] -%}
{%- set channels = spend_channels() -%}
{%- set purchase_categories = purchase_categories() -%}
{%- set recent_months = var('risk_recent_months', 3) -%}
{%- set baseline_min_months = var('risk_baseline_min_months', 3) -%}
{#- A cutoff's last observed month: the data's last month, less the months it holds out. #}
{%- set cutoff_last_month = dbt.dateadd('month', '-cutoffs.months_held_out', 'bounds.last_month') -%}

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
        product_count
    from {{ ref('dim_customer') }}
),

loans as (
    select
        customer_id,
        disbursed_date,
        principal_amount
    from {{ ref('fct_loans') }}
),

repayments as (
    select
        customer_id,
        paid_date,
        days_to_repay,
        is_late
    from {{ ref('fct_loan_repayments') }}
),

period as (select * from {{ ref('int_reporting_period') }}),

cutoffs as (
    select
        'current' as cutoff,
        0 as months_held_out
    union all
    select
        'before_outcome_window' as cutoff,
        {{ var('risk_outcome_months', 3) }} as months_held_out
),

-- Read apart from `monthly`, which DuckDB would otherwise store whole (a CTE read twice). A bank
-- without any customer-month (no activity at all) is observed over its reporting period.
bounds as (
    select
        coalesce(
            (select min(monthly.month_start_date) from {{ ref('customer_monthly_features') }} as monthly),
            period.first_activity_month
        ) as first_month,
        coalesce(
            (select max(monthly.month_start_date) from {{ ref('customer_monthly_features') }} as monthly),
            period.last_activity_month
        ) as last_month,
        coalesce(
            (select sum(monthly.fraud_labelled_txn_count) from {{ ref('customer_monthly_features') }} as monthly),
            0
        ) > 0 as has_fraud_labels,
        (select count(*) from {{ ref('fct_loans') }}) > 0 as has_loans
    from period
),

observation as (
    select
        cutoffs.cutoff,
        bounds.first_month,
        bounds.has_fraud_labels,
        bounds.has_loans,
        cast({{ cutoff_last_month }} as date) as last_month,
        cast({{ dbt.last_day(cutoff_last_month, 'month') }} as date) as as_of_date,
        cast({{ dbt.dateadd('month', 1 - recent_months, cutoff_last_month) }} as date) as recent_from
    from cutoffs
    cross join bounds
),

observed_months as (
    select
        monthly.*,
        observation.cutoff,
        monthly.month_start_date >= observation.recent_from as is_recent
    from monthly
    inner join observation
        on monthly.month_start_date <= observation.last_month
),

spend as (
    select
        customer_id,
        cutoff,
        sum(total_spend) as total_spend,
        case when bool_and(txn_count is not null) then sum(txn_count) end as txn_count,
        count(*) as months_observed,
        sum(case when total_spend > 0 or txn_count > 0 then 1 else 0 end) as months_active,
        coalesce(
            max(last_transaction_date),
            max(case when total_spend > 0 then {{ dbt.last_day('month_start_date', 'month') }} end)
        ) as last_activity_date,
        avg(total_spend) as avg_monthly_spend,
        max(total_spend) as max_monthly_spend,
        stddev_pop(total_spend) as monthly_spend_stddev,
        {%- for share, known in shares %}
        sum({{ share }}_spend) as {{ share }}_spend,
        {%- endfor %}
        {%- for known in ['channel', 'country', 'time', 'category'] %}
        sum({{ known }}_known_spend) as {{ known }}_known_spend,
        {%- endfor %}
        {%- for channel in channels %}
        sum({{ channel }}_txn_count) as {{ channel }}_txn_count,
        {%- endfor %}
        sum(channel_known_txn_count) as channel_known_txn_count,
        {%- for counted in ['cross_border', 'country_known', 'night', 'time_known'] %}
        sum({{ counted }}_txn_count) as {{ counted }}_txn_count,
        {%- endfor %}
        {%- for category in purchase_categories %}
        sum({{ category }}_txn_count) as {{ category }}_txn_count,
        {%- endfor %}
        sum(purchase_txn_count) as purchase_txn_count,
        case
            when bool_and(txn_count is not null)
                then stddev_pop(txn_count) / nullif(avg(txn_count), 0)
        end as txn_count_volatility,
        sum(fraud_txn_count) as fraud_txn_count,
        -- the recent window against the customer's own baseline (avg ignores the other window)
        count(case when is_recent then 1 end) as recent_months,
        count(case when not is_recent then 1 end) as baseline_months,
        avg(case when is_recent then total_spend end) as recent_monthly_spend,
        avg(case when not is_recent then total_spend end) as baseline_monthly_spend,
        avg(case when is_recent then txn_count end) as recent_monthly_txn_count,
        avg(case when not is_recent then txn_count end) as baseline_monthly_txn_count,
        avg(case when is_recent then atm_spend end) as recent_monthly_atm_spend,
        avg(case when not is_recent then atm_spend end) as baseline_monthly_atm_spend,
        avg(case when is_recent then cross_border_txn_count end) as recent_monthly_cross_border_txns,
        avg(case when not is_recent then cross_border_txn_count end) as baseline_monthly_cross_border_txns,
        avg(end_of_month_balance) as avg_end_of_month_balance
    from observed_months
    group by customer_id, cutoff
),

-- A baseline to compare the recent window with: enough months before it, and some spend there.
compared as (
    select
        *,
        (
            recent_months > 0
            and baseline_months >= {{ baseline_min_months }}
            and baseline_monthly_spend > 0
        ) as has_baseline
    from spend
),

borrowing as (
    select
        loans.customer_id,
        observation.cutoff,
        count(*) as loan_count,
        avg(loans.principal_amount) as loan_avg_amount,
        sum(loans.principal_amount) as loan_total_amount
    from loans
    inner join observation
        on loans.disbursed_date <= observation.as_of_date
    group by loans.customer_id, observation.cutoff
),

repaying as (
    select
        repayments.customer_id,
        observation.cutoff,
        avg(repayments.days_to_repay) as avg_repayment_days,
        -- 1 and 0, not 1.0 and 0.0: Spark averages a decimal literal as a decimal of five places
        avg(case when repayments.is_late then 1 else 0 end) as late_repayment_share
    from repayments
    inner join observation
        on repayments.paid_date <= observation.as_of_date
    group by repayments.customer_id, observation.cutoff
),

final as (
    select
        customers.customer_id,
        observation.cutoff,
        customers.city,
        customers.occupation,
        customers.age_band,
        observation.as_of_date as observation_end_date,
        cast(coalesce(spend.total_spend, 0) as double) as total_spend,
        cast(case when spend.customer_id is null then 0 else spend.txn_count end as double) as txn_count,
        cast(coalesce(spend.months_observed, 0) as double) as months_observed,
        cast(coalesce(spend.months_active, 0) as double) as months_active,
        cast(coalesce(
            {{ dbt.datediff('spend.last_activity_date', 'observation.as_of_date', 'day') | trim }},
            {{ dbt.datediff('observation.first_month', 'observation.as_of_date', 'day') | trim }} + 1
        ) as double) as recency_days,
        cast(
            case when spend.customer_id is null then 0 else spend.txn_count / nullif(spend.months_observed, 0) end
            as double
        ) as frequency,
        cast(coalesce(spend.total_spend, 0) as double) as monetary_total,
        cast(spend.total_spend / nullif(spend.txn_count, 0) as double) as monetary_avg,
        cast(coalesce(spend.avg_monthly_spend, 0) as double) as avg_monthly_spend,
        cast(coalesce(spend.max_monthly_spend, 0) as double) as max_monthly_spend,
        cast(
            coalesce(spend.monthly_spend_stddev / nullif(spend.avg_monthly_spend, 0), 0)
            as double
        ) as spend_volatility,
        {%- for share, known in shares %}
        cast(spend.{{ share }}_spend / nullif(spend.{{ known }}_known_spend, 0) as double)
            as {{ share }}_share,
        {%- endfor %}
        cast(spend.avg_monthly_spend / nullif(customers.monthly_income, 0) as double)
            as income_utilisation,
        cast(customers.monthly_income as double) as monthly_income,
        cast(case when observation.has_loans then coalesce(borrowing.loan_count, 0) end as double)
            as loan_count,
        cast(case when observation.has_loans then coalesce(borrowing.loan_avg_amount, 0) end as double)
            as loan_avg_amount,
        cast(case when observation.has_loans then coalesce(borrowing.loan_total_amount, 0) end as double)
            as loan_total_amount,
        cast(repaying.avg_repayment_days as double) as avg_repayment_days,
        cast(case when observation.has_loans then coalesce(repaying.late_repayment_share, 0) end as double)
            as late_repayment_share,
        cast(customers.age as double) as age,
        cast(customers.tenure_months as double) as tenure_months,
        cast(coalesce(customers.product_count, 0) as double) as product_count,
        cast(case when observation.has_fraud_labels then coalesce(spend.fraud_txn_count, 0) end as double)
            as fraud_txn_count,
        cast(spend.avg_end_of_month_balance as double) as avg_end_of_month_balance,
        {%- for channel in channels %}
        cast(spend.{{ channel }}_txn_count / nullif(spend.channel_known_txn_count, 0) as double)
            as {{ channel }}_txn_share,
        {%- endfor %}
        cast(spend.cross_border_txn_count / nullif(spend.country_known_txn_count, 0) as double)
            as cross_border_txn_share,
        cast(spend.night_txn_count / nullif(spend.time_known_txn_count, 0) as double)
            as night_txn_share,
        {%- for category in purchase_categories %}
        cast(spend.{{ category }}_txn_count / nullif(spend.purchase_txn_count, 0) as double)
            as {{ category }}_purchase_share,
        {%- endfor %}
        cast(spend.txn_count_volatility as double) as txn_count_volatility,
        cast(
            case
                when observation.has_loans and spend.months_observed > 0
                    then coalesce(borrowing.loan_count, 0) * 12.0 / spend.months_observed
            end
            as double
        ) as loans_per_year,
        cast(
            case
                when spend.has_baseline
                    then spend.recent_monthly_spend / spend.baseline_monthly_spend
            end
            as double
        ) as spend_spike_ratio,
        cast(
            case
                when spend.has_baseline
                    then spend.recent_monthly_txn_count / nullif(spend.baseline_monthly_txn_count, 0)
            end
            as double
        ) as txn_count_spike_ratio,
        cast(
            case
                when spend.has_baseline and spend.channel_known_spend > 0
                    then (
                        (spend.recent_monthly_atm_spend - spend.baseline_monthly_atm_spend)
                        / spend.baseline_monthly_spend
                    )
            end
            as double
        ) as cash_withdrawal_surge,
        cast(
            case
                when spend.has_baseline and spend.country_known_txn_count > 0
                    then spend.recent_monthly_cross_border_txns - spend.baseline_monthly_cross_border_txns
            end
            as double
        ) as cross_border_txn_surge
    from customers
    cross join observation
    left join compared as spend
        on customers.customer_id = spend.customer_id
        and observation.cutoff = spend.cutoff
    left join borrowing
        on customers.customer_id = borrowing.customer_id
        and observation.cutoff = borrowing.cutoff
    left join repaying
        on customers.customer_id = repaying.customer_id
        and observation.cutoff = repaying.cutoff
)

select * from final
