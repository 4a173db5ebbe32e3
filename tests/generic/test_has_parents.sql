{#
    Fails with one row per listed column whose values are missing from the relation they refer
    to, with the number of such rows: the relationships of a large model checked in one scan of
    it and one dbt node (dbt's relationships test reads the whole model once per column). NULL
    values are not checked, as in dbt's relationships test (has_no_nulls checks those).

    parents: [{column: <the model's column>, to: ref('<relation>'), field: <its column>}, ...]
#}
{% test has_parents(model, parents) %}

with

{% for parent in parents -%}
parent_{{ loop.index }} as (
    select distinct {{ parent.field }} as parent_key
    from {{ parent.to }}
),

{% endfor -%}
orphan_counts as (
    select
        {%- for parent in parents %}
        count(
            case when child.{{ parent.column }} is not null and parent_{{ loop.index }}.parent_key is null then 1 end
        ) as orphan_rows_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {%- for parent in parents %}
            {{ parent.column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}
    ) as child
    {%- for parent in parents %}
    left join parent_{{ loop.index }}
        on child.{{ parent.column }} = parent_{{ loop.index }}.parent_key
    {%- endfor %}
),

{%- set counts = [] %}
{%- for parent in parents %}
    {%- do counts.append((
        'orphan_rows_' ~ loop.index,
        [('column_name', sql_text(parent.column)), ('parent_relation', sql_text(parent.to | string))]
    )) %}
{%- endfor %}

final as (
    {{- counts_as_rows('orphan_counts', counts, 'orphan_rows') }}
)

select * from final

{% endtest %}
