{#
    Fails with one row per column of `columns` that holds a NULL, with how many rows do: the
    not_null test for every required column of a model in one scan (and one dbt node) instead
    of one per column.
#}
{% test has_no_nulls(model, columns) %}

with

null_counts as (
    select
        {%- for column in columns %}
        count(*) - count({{ column }}) as null_rows_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
),

{%- set counts = [] %}
{%- for column in columns %}
    {%- do counts.append(('null_rows_' ~ loop.index, [('column_name', sql_text(column))])) %}
{%- endfor %}

final as (
    {{- counts_as_rows('null_counts', counts, 'null_rows') }}
)

select * from final

{% endtest %}
