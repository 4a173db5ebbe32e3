{#
    Customer x month: what each customer did in each month of the reporting window, zeros
    included, so that volatility, recency and spikes are measured on a complete series. This is
    the single pass over the clean transactions (int_transactions_enriched, the rows of
    fct_transactions with the natural ids) for the feature layer; customer_features and the risk
    training set aggregate these rows, never the facts.

    Spend comes from the transactions; a customer-month without transactions takes the bank's
    monthly spend aggregates instead (stg_core__monthly_spend, for banks that deliver spend by
    month, category and payment type rather than transactions), and activity_source says which.
    Each share is measured over the spend whose flag the data can tell (the channel for ATM and
    online, the country for cross-border, the time of day for night, the category for
    discretionary and essential): a bank without times has night_share NULL, not 0 or 1, and
    the *_known_spend columns say how much spend each share rests on. Counts and tickets are NULL
    in months whose aggregates do not count transactions.

    Counts beside amounts: transactions per channel (the channels seed) over the transactions
    whose channel is known, and abroad and night-time transactions over those whose country or
    time is known, so that behaviour can be measured by how often a customer does something, not
    only by how much money it moved (one large transfer would otherwise outweigh fifty card
    payments). Purchases are counted per merchant category too (purchase_categories(): what the
    customer buys, not cash or transfers), over the purchases whose category the data tells
    (purchase_txn_count).

    Incremental: a build recomputes only the customer-months that new facts can change, and
    replaces them (delete+insert on customer_id, month_start_date): every customer's row for each
    month that has transactions newer than this table's watermark (late rows included), every
    month new to the window, and every month of a customer new to the table. On Spark the table
    is partitioned by month and a build overwrites the partitions it writes (insert_overwrite),
    so a month a new customer has is rebuilt for every customer. When
    the transactions were rebuilt from scratch, the pre-hook empties this table first. Changed
    monthly spend aggregates need a full refresh.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=incremental_strategy(),
        partition_by=incremental_partitions(['month_start_date']),
        unique_key=['customer_id', 'month_start_date'],
        on_schema_change='fail',
        pre_hook="{{ reset_when_upstream_rebuilt(ref('int_transactions_enriched')) }}"
    )
}}
{%- set categories = spend_categories() %}
{%- set channels = spend_channels() %}
{%- set purchases = purchase_categories() %}
{%- set incremental = is_incremental() %}
{#- Most banks deliver no monthly spend aggregates: the transactions are then the only source,
    and from_transactions is read once (at 100M transactions, reading it a second time for the
    anti join below made DuckDB store all 21M customer-months first: 91 s instead of 75 s). -#}
{%- set has_monthly_spend = raw_table_is_present('monthly_spend') %}
{%- set flagged = [
    ('atm', 'is_atm', 'channel'),
    ('online', 'is_online', 'channel'),
    ('cross_border', 'is_cross_border', 'country'),
    ('night', 'is_night', 'time'),
    ('discretionary', 'is_discretionary', 'category'),
    ('essential', 'is_essential', 'category'),
] %}
{%- set knowns = ['channel', 'country', 'time', 'category'] %}

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
        channel,
        is_atm,
        is_online,
        is_cross_border,
        is_night,
        is_discretionary,
        is_essential,
        is_fraud,
        has_fraud_label,
        loaded_at
    from {{ ref('int_transactions_enriched') }}
),

{% if has_monthly_spend -%}
monthly_spend as (
    select
        monthly_spend.customer_id,
        monthly_spend.spend_month,
        cast(monthly_spend.amount as double) as amount,
        monthly_spend.transaction_count,
        monthly_spend.category,
        monthly_spend.channel,
        channels.is_atm,
        channels.is_online,
        cast(null as boolean) as is_cross_border,
        cast(null as boolean) as is_night,
        spend_categories.is_discretionary,
        spend_categories.is_essential
    from {{ ref('stg_core__monthly_spend') }} as monthly_spend
    left join {{ ref('channels') }} as channels
        on monthly_spend.channel = channels.channel
    left join {{ ref('int_spend_categories') }} as spend_categories
        on monthly_spend.category = spend_categories.category
),
{%- endif %}

customers as (
    select
        customer_id,
        joined_date
    from {{ ref('dim_customer') }}
),

balances as (
    select
        customer_id,
        balance_month,
        sum(balance) as end_of_month_balance
    from {{ ref('stg_core__account_balances') }}
    group by customer_id, balance_month
),

-- The watermark, read from the facts apart from `transactions`: a CTE read more than once is
-- stored whole by DuckDB, and that one holds every transaction.
watermark as (
    select coalesce(max(loaded_at), {{ run_loaded_at() }}) as loaded_at
    from {{ ref('int_transactions_enriched') }}
),

period as (select * from {{ ref('int_reporting_period') }}),

months as (
    select distinct dates.month_start_date
    from {{ ref('dim_date') }} as dates
    cross join period
    where dates.month_start_date between period.first_activity_month and period.last_activity_month
        and period.has_activity
),

-- Each customer is observed from the later of the window start and the month they joined.
all_customer_months as (
    select
        customers.customer_id,
        months.month_start_date
    from customers
    cross join months
    where customers.joined_date is null
        or months.month_start_date >= {{ dbt.date_trunc('month', 'customers.joined_date') }}
),

{% if incremental -%}
new_customers as (
    select customer_id
    from customers
    where customer_id not in (select distinct built.customer_id from {{ this }} as built)
),

-- Months with facts newer than this table, months new to the window, customers new to the table.
touched_months as (
    select distinct transaction_month as month_start_date
    from {{ ref('int_transactions_enriched') }}
    where loaded_at > {{ loaded_watermark(this) }}
    union
    select month_start_date
    from months
    where month_start_date not in (select distinct built.month_start_date from {{ this }} as built)
    {%- if overwrites_partitions() %}
    -- Spark replaces whole month partitions: every month a new customer has is rebuilt whole
    union
    select distinct all_customer_months.month_start_date
    from all_customer_months
    where all_customer_months.customer_id in (select new_customers.customer_id from new_customers)
    {%- endif %}
),

customer_months as (
    select all_customer_months.*
    from all_customer_months
    where all_customer_months.month_start_date in (select touched_months.month_start_date from touched_months)
        or all_customer_months.customer_id in (select new_customers.customer_id from new_customers)
),

touched_transactions as (
    select *
    from transactions
    where transaction_month in (select touched_months.month_start_date from touched_months)
        or customer_id in (select new_customers.customer_id from new_customers)
),
{%- else -%}
customer_months as (select * from all_customer_months),

touched_transactions as (select * from transactions),
{%- endif %}

from_transactions as (
    select
        customer_id,
        transaction_month as month_start_date,
        sum(amount) as total_spend,
        count(*) as txn_count,
        max(amount) as max_txn_amount,
        max(transaction_date) as last_transaction_date,
        {%- for measure, flag, known in flagged %}
        sum(case when {{ flag }} then amount else 0 end) as {{ measure }}_spend,
        {%- endfor %}
        {%- for category in categories %}
        sum(case when category = '{{ category }}' then amount else 0 end) as spend_{{ category }},
        {%- endfor %}
        sum(case when is_atm is not null then amount else 0 end) as channel_known_spend,
        sum(case when is_cross_border is not null then amount else 0 end) as country_known_spend,
        sum(case when is_night is not null then amount else 0 end) as time_known_spend,
        sum(case when is_discretionary is not null then amount else 0 end) as category_known_spend,
        {%- for category in purchases %}
        count(case when category = '{{ category }}' and (is_essential or is_discretionary) then 1 end)
            as {{ category }}_txn_count,
        {%- endfor %}
        count(case when is_essential or is_discretionary then 1 end) as purchase_txn_count,
        {%- for channel in channels %}
        count(case when channel = '{{ channel }}' then 1 end) as {{ channel }}_txn_count,
        {%- endfor %}
        count(case when is_atm is not null then 1 end) as channel_known_txn_count,
        count(case when is_cross_border then 1 end) as cross_border_txn_count,
        count(case when is_cross_border is not null then 1 end) as country_known_txn_count,
        count(case when is_night then 1 end) as night_txn_count,
        count(case when is_night is not null then 1 end) as time_known_txn_count,
        count(case when is_fraud then 1 end) as fraud_txn_count,
        count(case when has_fraud_label then 1 end) as fraud_labelled_txn_count
    from touched_transactions
    group by customer_id, transaction_month
),

{% if has_monthly_spend -%}
-- Monthly aggregates, for the customer-months without transactions.
from_aggregates as (
    select
        customer_id,
        spend_month as month_start_date,
        sum(amount) as total_spend,
        case when count(transaction_count) = count(*) then sum(transaction_count) end as txn_count,
        cast(null as double) as max_txn_amount,
        cast(null as date) as last_transaction_date,
        {%- for measure, flag, known in flagged %}
        sum(case when {{ flag }} then amount else 0 end) as {{ measure }}_spend,
        {%- endfor %}
        {%- for category in categories %}
        sum(case when category = '{{ category }}' then amount else 0 end) as spend_{{ category }},
        {%- endfor %}
        sum(case when is_atm is not null then amount else 0 end) as channel_known_spend,
        sum(case when is_cross_border is not null then amount else 0 end) as country_known_spend,
        sum(case when is_night is not null then amount else 0 end) as time_known_spend,
        sum(case when is_discretionary is not null then amount else 0 end) as category_known_spend,
        -- Counts only when every aggregate row of the month counts its transactions.
        {%- for category in purchases %}
        case
            when count(transaction_count) = count(*)
                then sum(
                    case
                        when category = '{{ category }}' and (is_essential or is_discretionary) then transaction_count
                        else 0
                    end
                )
        end as {{ category }}_txn_count,
        {%- endfor %}
        case
            when count(transaction_count) = count(*)
                then sum(case when is_essential or is_discretionary then transaction_count else 0 end)
        end as purchase_txn_count,
        {%- for channel in channels %}
        case
            when count(transaction_count) = count(*)
                then sum(case when channel = '{{ channel }}' then transaction_count else 0 end)
        end as {{ channel }}_txn_count,
        {%- endfor %}
        case
            when count(transaction_count) = count(*)
                then sum(case when is_atm is not null then transaction_count else 0 end)
        end as channel_known_txn_count,
        0 as cross_border_txn_count,
        0 as country_known_txn_count,
        0 as night_txn_count,
        0 as time_known_txn_count,
        0 as fraud_txn_count,
        0 as fraud_labelled_txn_count
    from monthly_spend
    group by customer_id, spend_month
),
{%- endif %}

-- from_transactions and from_aggregates list the same columns in the same order: Spark
-- stacks them by position (union_all_by_name()).
aggregated as (
    select
        *,
        'transactions' as activity_source
    from from_transactions
    {%- if has_monthly_spend %}
    {{ union_all_by_name() }}
    select
        from_aggregates.*,
        'monthly_aggregates' as activity_source
    from from_aggregates
    anti join from_transactions
        on from_aggregates.customer_id = from_transactions.customer_id
        and from_aggregates.month_start_date = from_transactions.month_start_date
    {%- endif %}
),

final as (
    select
        customer_months.customer_id,
        customer_months.month_start_date,
        {{ to_date_key('customer_months.month_start_date') }} as date_key,
        coalesce(aggregated.activity_source, 'none') as activity_source,
        cast(coalesce(aggregated.total_spend, 0) as double) as total_spend,
        cast(case when aggregated.customer_id is null then 0 else aggregated.txn_count end as integer) as txn_count,
        cast(aggregated.total_spend / nullif(aggregated.txn_count, 0) as double) as avg_ticket,
        cast(
            case when aggregated.customer_id is null then 0 else aggregated.max_txn_amount end
            as double
        ) as max_txn_amount,
        aggregated.last_transaction_date,
        {%- for measure, flag, known in flagged %}
        cast(coalesce(aggregated.{{ measure }}_spend, 0) as double) as {{ measure }}_spend,
        cast(aggregated.{{ measure }}_spend / nullif(aggregated.{{ known }}_known_spend, 0) as double)
            as {{ measure }}_share,
        {%- endfor %}
        {%- for known in knowns %}
        cast(coalesce(aggregated.{{ known }}_known_spend, 0) as double) as {{ known }}_known_spend,
        {%- endfor %}
        {%- for counted in purchases + ['purchase'] + channels + ['channel_known'] %}
        cast(case when aggregated.customer_id is null then 0 else aggregated.{{ counted }}_txn_count end as integer)
            as {{ counted }}_txn_count,
        {%- endfor %}
        {%- for counted in ['cross_border', 'country_known', 'night', 'time_known'] %}
        cast(coalesce(aggregated.{{ counted }}_txn_count, 0) as integer) as {{ counted }}_txn_count,
        {%- endfor %}
        cast(coalesce(aggregated.fraud_txn_count, 0) as integer) as fraud_txn_count,
        cast(coalesce(aggregated.fraud_labelled_txn_count, 0) as integer) as fraud_labelled_txn_count,
        {%- for category in categories %}
        cast(coalesce(aggregated.spend_{{ category }}, 0) as double) as spend_{{ category }},
        {%- endfor %}
        cast(balances.end_of_month_balance as double) as end_of_month_balance,
        watermark.loaded_at
    from customer_months
    cross join watermark
    left join aggregated
        on customer_months.customer_id = aggregated.customer_id
        and customer_months.month_start_date = aggregated.month_start_date
    left join balances
        on customer_months.customer_id = balances.customer_id
        and customer_months.month_start_date = balances.balance_month
)

select * from final
