{#
    Integer yyyymmdd key of a date or timestamp expression: the join key from every fact to
    dim_date. Arithmetic rather than strftime because it runs once per fact row.
#}
{% macro to_date_key(date_expression) -%}
    cast(
        year({{ date_expression }}) * 10000
        + month({{ date_expression }}) * 100
        + day({{ date_expression }})
        as integer
    )
{%- endmacro %}
