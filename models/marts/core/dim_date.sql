{#
    A gap-free calendar in whole years covering every date the facts and accounts carry. Bounds
    are cheap column min/max of built tables; the transactions' come from int_transactions_period,
    so the calendar does not wait for fct_transactions. Whole calendar years because Power BI's
    time intelligence expects a date table that starts on 1 January and ends on 31 December.
#}
with

transactions as (
    select
        first_transaction_date as first_date,
        last_transaction_date as last_date,
    from {{ ref('int_transactions_period') }}
),

accounts as (
    select
        min(opened_date) as first_date,
        greatest(max(opened_date), max(closed_date)) as last_date,
    from {{ ref('dim_account') }}
),

loans as (
    select
        min(disbursed_date) as first_date,
        greatest(max(disbursed_date), max(due_date)) as last_date,
    from {{ ref('fct_loans') }}
),

repayments as (
    select
        min(paid_date) as first_date,
        max(paid_date) as last_date,
    from {{ ref('fct_loan_repayments') }}
),

balances as (
    select
        min(balance_month) as first_date,
        max(balance_month) as last_date,
    from {{ ref('fct_account_balances_monthly') }}
),

all_bounds as (
    select * from transactions
    union all
    select * from accounts
    union all
    select * from loans
    union all
    select * from repayments
    union all
    select * from balances
),

-- min/max ignore the NULLs of empty tables; an entirely empty warehouse gets the current year.
calendar_bounds as (
    select
        make_date(year(coalesce(min(first_date), current_date)), 1, 1) as start_date,
        make_date(year(coalesce(max(last_date), current_date)), 12, 31) as end_date,
    from all_bounds
),

date_spine as (
    select
        cast(unnest(generate_series(start_date, end_date, interval 1 day)) as date) as date_day,
    from calendar_bounds
),

final as (
    select
        {{ to_date_key('date_day') }} as date_key,
        date_day,
        cast(isodow(date_day) as integer) as day_of_week,
        dayname(date_day) as day_name,
        strftime(date_day, '%a') as day_short,
        cast(day(date_day) as integer) as day_of_month,
        cast(dayofyear(date_day) as integer) as day_of_year,
        isodow(date_day) in (6, 7) as is_weekend,
        -- Weeks start on Monday; week 1 is the week holding 1 January (Power BI WEEKNUM(d, 2)).
        cast(
            (dayofyear(date_day) + isodow(make_date(year(date_day), 1, 1)) - 2) // 7 + 1
            as integer
        ) as week_of_year,
        cast(weekofyear(date_day) as integer) as iso_week,
        cast(isoyear(date_day) as integer) as iso_year,
        strftime(date_day, '%G-W%V') as iso_year_week,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        last_day(date_day) as month_end_date,
        date_day = last_day(date_day) as is_month_end,
        cast(month(date_day) as integer) as month_number,
        monthname(date_day) as month_name,
        strftime(date_day, '%b') as month_short,
        cast(quarter(date_day) as integer) as quarter,
        'Q' || quarter(date_day) as quarter_label,
        cast(year(date_day) as integer) as year,
        strftime(date_day, '%Y-%m') as year_month,
        cast(year(date_day) * 100 + month(date_day) as integer) as year_month_number,
        year(date_day) || '-Q' || quarter(date_day) as year_quarter,
    from date_spine
)

select * from final
