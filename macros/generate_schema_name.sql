{#
    Use the folder's schema name as-is (staging, intermediate, marts, quarantine) instead of
    dbt's default "<target>_<custom>", so BI tools see marts.dim_customer.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
