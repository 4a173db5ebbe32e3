{#
    The materialization of the models that load only new raw files (base_core__transactions,
    base_core__account_balances, customer_monthly_features): incremental with delete+insert on
    DuckDB. Spark has no delete+insert (and merge needs Delta or Iceberg): there they are
    tables, rebuilt in full on every run, which gives what a full refresh gives.
#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'bankmart')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
