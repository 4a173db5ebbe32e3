{#
    Reading raw tables whose files may lack optional columns.

    raw_columns(source_name, table_name): the columns of a raw table in contract order, as dicts
    {name, data_type, required}, from raw_contract() (the sources YAML holds the same list;
    dbt's graph is not available in unit tests, the macro is).
#}
{% macro raw_columns(source_name, table_name) -%}
    {%- set contract = raw_contract() -%}
    {%- if source_name != 'core' or table_name not in contract -%}
        {{ exceptions.raise_compiler_error("raw_columns: " ~ source_name ~ "." ~ table_name ~ " is not a raw table of the contract (macros/staging/raw_contract.sql)") }}
    {%- endif -%}
    {{ return(contract[table_name]) }}
{%- endmacro %}


{#
    raw_source(source_name, table_name, prefix=''): a subquery over the raw table with exactly
    the declared columns, in contract order, each renamed <prefix><name>. A declared column that
    no file carries comes back as a typed NULL, so an importer only writes what its data set has;
    columns the contract does not know (hive partition keys, extras) are dropped. Required
    columns are guaranteed by the on-run-start check check_raw_sources(). Two more columns say
    where each row comes from: source_file_name and source_file_row_number (NULL where the
    reader cannot tell, e.g. the row number of CSV files and unit-test fixtures).
#}
{% macro raw_source(source_name, table_name, prefix='') -%}
    {{ return(adapter.dispatch('raw_source', 'bankmart')(source_name, table_name, prefix)) }}
{%- endmacro %}

{% macro default__raw_source(source_name, table_name, prefix) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set declared = raw_columns(source_name, table_name) -%}
    {#- UNION ALL BY NAME with an empty, fully typed row set adds the missing columns as NULLs;
        DuckDB drops the empty branch when planning, so the files are scanned as before. -#}
    (
        select
            {%- for column in declared %}
            {{ adapter.quote(column.name) }} as {{ adapter.quote(prefix ~ column.name) }},
            {%- endfor %}
            filename as source_file_name,
            file_row_number as source_file_row_number
        from (
            select * from {{ relation }}
            union all by name
            select
                {%- for column in declared %}
                cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }},
                {%- endfor %}
                cast(null as varchar) as filename,
                cast(null as bigint) as file_row_number
            where false
        ) as raw_rows
    )
{%- endmacro %}


{#
    raw_record_json(source_name, table_name, prefix=''): the original raw values of a row as JSON
    text ({"customer_id": "C1", ...}, contract order, NULLs kept), so a quarantined row can be
    inspected and replayed without going back to the files.
#}
{% macro raw_record_json(source_name, table_name, prefix='') -%}
    {{ return(adapter.dispatch('raw_record_json', 'bankmart')(source_name, table_name, prefix)) }}
{%- endmacro %}

{% macro default__raw_record_json(source_name, table_name, prefix) -%}
    cast(json_object(
        {%- for column in raw_columns(source_name, table_name) %}
        '{{ column.name }}', {{ adapter.quote(prefix ~ column.name) }}{{ "," if not loop.last }}
        {%- endfor %}
    ) as varchar)
{%- endmacro %}


{#
    row_fingerprint(source_name, table_name, prefix=''): a hash of every raw value of the row. Two
    rows with the same fingerprint are exact duplicates; ordering by it picks the same winner
    among same-id rows on every build, whatever order the files are read in.
#}
{% macro row_fingerprint(source_name, table_name, prefix='') -%}
    {{ return(adapter.dispatch('row_fingerprint', 'bankmart')(source_name, table_name, prefix)) }}
{%- endmacro %}

{% macro default__row_fingerprint(source_name, table_name, prefix) -%}
    {%- set columns = [] -%}
    {%- for column in raw_columns(source_name, table_name) -%}
        {%- do columns.append(adapter.quote(prefix ~ column.name)) -%}
    {%- endfor -%}
    hash({{ columns | join(', ') if columns else 'null' }})
{%- endmacro %}
