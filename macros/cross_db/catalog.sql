{#
    A query of (table_schema, table_name, column_name) for every column of every table and view
    in `schemas`, column names in lower case. DuckDB reads its information_schema; Spark's
    session catalog has none, so the relations are listed and described while compiling.
#}
{% macro catalog_columns_sql(schemas) -%}
    {{ return(adapter.dispatch('catalog_columns_sql', 'bankmart')(schemas)) }}
{%- endmacro %}

{% macro default__catalog_columns_sql(schemas) -%}
    select
        table_schema,
        table_name,
        lower(column_name) as column_name
    from information_schema.columns
    where lower(table_catalog) = lower({{ sql_text(target.database) }})
        and lower(table_schema) in ({{ sql_text_list(schemas) }})
{%- endmacro %}

{% macro spark__catalog_columns_sql(schemas) -%}
    {%- set rows = [] -%}
    {%- for schema in schemas if execute -%}
        {%- for table in run_query('show tables in ' ~ schema).rows if not table[2] -%}
            {%- set relation = api.Relation.create(schema=schema, identifier=table[1]) -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do rows.append('(' ~ sql_text(schema) ~ ', ' ~ sql_text(table[1]) ~ ', ' ~ sql_text(column.name | lower) ~ ')') -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if rows -%}
    select * from (values {{ rows | join(', ') }}) as catalog_columns (table_schema, table_name, column_name)
    {%- else -%}
    select cast(null as string) as table_schema, cast(null as string) as table_name, cast(null as string) as column_name
    where false
    {%- endif -%}
{%- endmacro %}
