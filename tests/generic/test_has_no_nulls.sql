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

final as (
    {%- for column in columns %}
    select
        {{ sql_text(column) }} as column_name,
        null_rows_{{ loop.index }} as null_rows
    from null_counts
    where null_rows_{{ loop.index }} > 0
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final

{% endtest %}
