{#
    How the incremental models (base_core__transactions, base_core__account_balances,
    customer_monthly_features) replace what a build loads again, per engine:

    incremental_strategy()       delete+insert on DuckDB: the rows whose unique_key the build
                                 writes are deleted first. insert_overwrite on Spark (its only
                                 strategy without Delta or Iceberg jars): every partition the
                                 build writes is replaced whole, so the model must write back
                                 the untouched rows of each partition it touches (see
                                 overwrites_partitions()). Where the lakehouse has Delta or
                                 Iceberg, merge on the same unique_key gives DuckDB's semantics.
    incremental_partitions(columns)
                                 the Spark partition columns (dynamic partition overwrite);
                                 none on DuckDB, which does not partition its tables.
    overwrites_partitions()      whether this incremental build replaces whole partitions.
    empty_table(relation)        the statement that empties a table before it is reloaded:
                                 delete on DuckDB, truncate on Spark (no delete without Delta).
#}
{% macro incremental_strategy() -%}
    {{ return(adapter.dispatch('incremental_strategy', 'bankmart')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro incremental_partitions(columns) -%}
    {{ return(adapter.dispatch('incremental_partitions', 'bankmart')(columns)) }}
{%- endmacro %}

{% macro default__incremental_partitions(columns) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__incremental_partitions(columns) -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro overwrites_partitions() -%}
    {{ return(is_incremental() and config.get('incremental_strategy') == 'insert_overwrite') }}
{%- endmacro %}


{% macro empty_table(relation) -%}
    {{ return(adapter.dispatch('empty_table', 'bankmart')(relation)) }}
{%- endmacro %}

{% macro default__empty_table(relation) -%}
    delete from {{ relation }}
{%- endmacro %}

{% macro spark__empty_table(relation) -%}
    truncate table {{ relation }}
{%- endmacro %}
