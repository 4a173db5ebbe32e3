{#
    Fails with one row per gap (reported as the day before it) in a date column that must form a
    continuous calendar, and with a row for any duplicated day.
#}
{% test has_no_date_gaps(model, column_name) %}

with

days as (
    select
        {{ column_name }} as date_day,
        lead({{ column_name }}) over (order by {{ column_name }}) as next_day
    from {{ model }}
),

broken as (
    select
        date_day,
        next_day
    from days
    where next_day is not null
        and next_day <> date_day + interval 1 day
)

select * from broken

{% endtest %}
