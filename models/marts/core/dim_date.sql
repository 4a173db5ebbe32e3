{#
    A gap-free calendar in whole years covering the bank's data: every date of activity
    (transactions, balances, loans, repayments, monthly spend, holdings; int_reporting_period)
    plus the dates accounts and loans carry (opened, closed, due), so account cohorts have a
    calendar too. No single row can stretch it: activity is bounded by the data window
    (base_core__data_window), account dates by the placeholder rule (1900-01-01 or earlier is
    NULL), and due dates more than two years past the last activity are left without a calendar
    row. Whole calendar years because Power BI's time intelligence expects a date table that
    starts on 1 January and ends on 31 December.
#}
with

period as (select * from {{ ref('int_reporting_period') }}),

accounts as (
    select
        min(opened_date) as first_date,
        greatest(max(opened_date), max(closed_date)) as last_date
    from {{ ref('stg_core__accounts') }}
),

loans as (
    select
        min(disbursed_date) as first_date,
        greatest(max(disbursed_date), max(due_date)) as last_date
    from {{ ref('stg_core__loans') }}
),

all_bounds as (
    select
        first_activity_date as first_date,
        last_activity_date as last_date
    from period
    union all
    select * from accounts
    union all
    select * from loans
),

calendar_bounds as (
    select
        make_date(year(min(all_bounds.first_date)), 1, 1) as start_date,
        make_date(year(least(
            max(all_bounds.last_date),
            max({{ dbt.dateadd('year', 2, 'period.last_activity_date') }})
        )), 12, 31) as end_date
    from all_bounds
    cross join period
),

date_spine as (
    {{ date_spine_rows('start_date', 'end_date', 'calendar_bounds', 'date_day') }}
),

final as (
    select
        {{ to_date_key('date_day') }} as date_key,
        date_day,
        cast({{ iso_day_of_week('date_day') }} as integer) as day_of_week,
        {{ day_name('date_day') }} as day_name,
        {{ format_date('date_day', '%a') }} as day_short,
        cast(day(date_day) as integer) as day_of_month,
        cast(dayofyear(date_day) as integer) as day_of_year,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend,
        -- Weeks start on Monday; week 1 is the week holding 1 January (Power BI WEEKNUM(d, 2)).
        cast(
            {{ integer_divide(
                '(dayofyear(date_day) + ' ~ iso_day_of_week('make_date(year(date_day), 1, 1)') ~ ' - 2)', '7'
            ) }} + 1
            as integer
        ) as week_of_year,
        cast(weekofyear(date_day) as integer) as iso_week,
        cast({{ iso_year('date_day') }} as integer) as iso_year,
        {{ format_date('date_day', '%G-W%V') }} as iso_year_week,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        last_day(date_day) as month_end_date,
        date_day = last_day(date_day) as is_month_end,
        cast(month(date_day) as integer) as month_number,
        {{ month_name('date_day') }} as month_name,
        {{ format_date('date_day', '%b') }} as month_short,
        cast(quarter(date_day) as integer) as quarter,
        'Q' || quarter(date_day) as quarter_label,
        cast(year(date_day) as integer) as year,
        {{ format_date('date_day', '%Y-%m') }} as year_month,
        cast(year(date_day) * 100 + month(date_day) as integer) as year_month_number,
        year(date_day) || '-Q' || quarter(date_day) as year_quarter
    from date_spine
)

select * from final
