{#
    The bank's data window, in one row: the first month of activity the warehouse believes, and
    the as-of date. Transactions, balances, loans, repayments, monthly spend and holdings dated
    before window_start are quarantined as outside_data_window (after the as-of date: future_dated),
    so one stray row (a 0001-01-01 or a 1999 transaction in a bank that starts in 2024) can neither
    stretch dim_date over centuries nor dilute every monthly average.

    window_start is var data_window_start when set. Otherwise it is decided from the profile of
    those dates (base_core__date_profile), by month: the months are split into runs wherever two
    consecutive months with data lie more than var data_window_max_gap_months (12) apart; runs
    holding at most var data_window_outlier_share (1 %) of the dated values are outliers; the
    window starts at the first month of the earliest run that is not, and never before 1900 (no
    bank extract holds activity older than that, however small the bank). A bank whose history
    has a real gap of more than a year keeps both sides as long as each holds more than 1 % of its
    rows.
#}
{%- set activity_columns = {
    'transactions': ['transaction_at', 'transaction_date'],
    'account_balances': ['balance_month'],
    'loans': ['disbursed_date'],
    'loan_repayments': ['paid_date'],
    'monthly_spend': ['spend_month'],
    'customer_holdings': ['snapshot_date'],
} -%}
{%- set configured_start = var('data_window_start', none) -%}
{%- set has_configured_start = configured_start is not none
    and (configured_start | string | trim) not in ('', 'None', 'null') -%}
{%- if has_configured_start and not modules.re.fullmatch('\d{4}-\d{2}-\d{2}', configured_start | string | trim) -%}
    {{ exceptions.raise_compiler_error("var data_window_start is '" ~ configured_start ~ "': give a date as YYYY-MM-DD, or null to decide it from the data") }}
{%- endif -%}

with

profile as (select * from {{ ref('base_core__date_profile') }}),

orders as (select * from {{ ref('base_core__date_orders') }}),

as_of as (select {{ as_of_date() }} as as_of_date),

-- Every profiled activity date's fields, month and day in its column's day/month order.
fields as (
    select
        profile.value_count,
        profile.form,
        profile.year_text,
        profile.first_field,
        case when orders.date_order = 'mdy' then profile.first_field else profile.second_field end as month_field,
        case when orders.date_order = 'mdy' then profile.second_field else profile.first_field end as day_field
    from profile
    inner join orders
        on profile.table_name = orders.table_name
        and profile.column_name = orders.column_name
    where
        {%- for table, columns in activity_columns.items() %}
        (
            profile.table_name = '{{ table }}'
            and profile.column_name in (
                '{{ columns | join("', '") }}'
            )
        )
        or
        {%- endfor %}
        false
),

-- The month of every profiled activity date, with the two-digit-year rule of parse_date(): the
-- latest century that does not put the date after the as-of date.
dated as (
    select
        fields.value_count,
        case
            when fields.form in ('ymd', 'ym')
                then {{ try_make_date('cast(fields.year_text as integer)', 'fields.first_field', '1') }}
            when length(fields.year_text) = 4
                then {{ try_make_date('cast(fields.year_text as integer)', 'fields.month_field', '1') }}
            when
                {{ try_make_date(
                    '2000 + cast(fields.year_text as integer)', 'fields.month_field', 'fields.day_field'
                ) }}
                <= as_of.as_of_date
                then {{ try_make_date('2000 + cast(fields.year_text as integer)', 'fields.month_field', '1') }}
            else {{ try_make_date('1900 + cast(fields.year_text as integer)', 'fields.month_field', '1') }}
        end as activity_month
    from fields
    cross join as_of
),

months as (
    select
        dated.activity_month,
        sum(dated.value_count) as value_count
    from dated
    cross join as_of
    where dated.activity_month is not null
        and dated.activity_month <= as_of.as_of_date
    group by dated.activity_month
),

gaps as (
    select
        *,
        {{ dbt.datediff('lag(activity_month) over (order by activity_month)', 'activity_month', 'month') | trim }}
            as months_since_previous
    from months
),

runs as (
    select
        *,
        sum(
            case
                when months_since_previous is null
                    or months_since_previous > {{ var('data_window_max_gap_months', 12) }}
                    then 1
                else 0
            end
        ) over (order by activity_month rows between unbounded preceding and current row) as run_number
    from gaps
),

run_sizes as (
    select
        run_number,
        min(activity_month) as first_month,
        max(activity_month) as last_month,
        sum(value_count) as value_count
    from runs
    group by run_number
),

decided as (
    select
        min(first_month) filter (
            where value_count > {{ var('data_window_outlier_share', 0.01) }} * (
                select sum(all_runs.value_count) from run_sizes as all_runs
            )
        ) as detected_start,
        count(*) as runs,
        sum(value_count) as dated_values
    from run_sizes
),

final as (
    select
        {%- if has_configured_start %}
        cast('{{ configured_start }}' as date) as window_start,
        'var data_window_start' as decided_by,
        {%- else %}
        greatest(coalesce(decided.detected_start, cast('1900-01-01' as date)), cast('1900-01-01' as date))
            as window_start,
        case
            when decided.detected_start is null then 'no dated activity: no lower bound'
            when decided.runs > 1
                then (
                    'first month of the earliest run of months holding more than '
                    || {{ var('data_window_outlier_share', 0.01) * 100 }} || '% of the dated values ('
                    || decided.runs || ' runs split by gaps over {{ var("data_window_max_gap_months", 12) }} months)'
                )
            else 'first month with activity'
        end as decided_by,
        {%- endif %}
        as_of.as_of_date as window_end,
        cast(coalesce(decided.dated_values, 0) as bigint) as dated_values
    from decided
    cross join as_of
)

select * from final
