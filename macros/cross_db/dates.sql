{#
    dbt's datediff and dateadd on Spark, as DuckDB computes them. dbt-spark's own versions
    differ: its datediff counts whole elapsed years and months (DuckDB counts calendar
    boundaries: 2023-12-31 to 2024-01-01 is one year), both stop the query with an error on a
    NULL date instead of giving NULL, and its dateadd returns a timestamp.
#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}
        datediff({{ second_date }}, {{ first_date }})
    {%- elif datepart == 'month' -%}
        ((year({{ second_date }}) - year({{ first_date }})) * 12 + month({{ second_date }}) - month({{ first_date }}))
    {%- elif datepart == 'quarter' -%}
        ((year({{ second_date }}) - year({{ first_date }})) * 4 + quarter({{ second_date }}) - quarter({{ first_date }}))
    {%- elif datepart == 'year' -%}
        (year({{ second_date }}) - year({{ first_date }}))
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff on Spark: datepart '" ~ datepart ~ "' is not supported (day, month, quarter, year)") }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart == 'day' -%}
        date_add({{ from_date_or_timestamp }}, cast({{ interval }} as int))
    {%- elif datepart == 'month' -%}
        add_months({{ from_date_or_timestamp }}, cast({{ interval }} as int))
    {%- elif datepart == 'year' -%}
        add_months({{ from_date_or_timestamp }}, cast({{ interval }} as int) * 12)
    {%- else -%}
        {{ exceptions.raise_compiler_error("dateadd on Spark: datepart '" ~ datepart ~ "' is not supported (day, month, year)") }}
    {%- endif -%}
{%- endmacro %}
