{#
    Fails with one row per column of the model named like a raw column the raw contract marks
    sensitive (`meta: {sensitive: true}` in the sources YAML, rendered from
    src/bankmart/raw_schema.py): a person's name or birth date. Those stay in staging; the
    served marts carry ages, bands and keys. Every model and seed in var served_schemas carries
    this test (tests/python/test_marts.py checks that none is left out), and `bankmart publish`
    checks the same marks again on the file it serves.
#}
{% test has_no_sensitive_columns(model) %}

{%- set sensitive = [] -%}
{%- for source in (graph.get('sources') or {}).values() if execute -%}
    {%- for column in source.columns.values() -%}
        {%- set meta = column.get('meta') or {} -%}
        {%- set config_meta = (column.get('config') or {}).get('meta') or {} -%}
        {%- if (meta.get('sensitive') or config_meta.get('sensitive')) and column.name | lower not in sensitive -%}
            {%- do sensitive.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endfor -%}

with

model_columns as (
    select
        lower(column_name) as column_name,
    from information_schema.columns
    where lower(table_catalog) = lower({{ sql_text(model.database) }})
        and lower(table_schema) = lower({{ sql_text(model.schema) }})
        and lower(table_name) = lower({{ sql_text(model.identifier) }})
),

sensitive_columns as (
    {%- for name in sensitive %}
    select {{ sql_text(name) }} as column_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not sensitive %}
    select cast(null as varchar) as column_name where false
    {%- endif %}
)

select
    model_columns.column_name,
from model_columns
inner join sensitive_columns
    on model_columns.column_name = sensitive_columns.column_name

{% endtest %}
