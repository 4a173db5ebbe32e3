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
    columns the contract does not know (hive partition keys, extras) are dropped. A raw table the
    bank does not have (no files, or listed in var absent_raw_tables) reads as no rows of the same
    shape. Required columns are guaranteed by the on-run-start check check_raw_sources(). Two more
    columns say where each row comes from: source_file_name and source_file_row_number (NULL
    where the reader cannot tell, e.g. the row number of CSV files and unit-test fixtures).
#}
{% macro raw_source(source_name, table_name, prefix='') -%}
    {{ return(adapter.dispatch('raw_source', 'bankmart')(source_name, table_name, prefix)) }}
{%- endmacro %}

{% macro default__raw_source(source_name, table_name, prefix) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set declared = raw_columns(source_name, table_name) -%}
    {%- set present = raw_table_is_present(table_name) -%}
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
            {%- if present %}
            select * from {{ relation }}
            union all by name
            {%- endif %}
            select
                {%- for column in declared %}
                cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }},
                {%- endfor %}
                cast(null as string) as filename,
                cast(null as bigint) as file_row_number
            where false
        ) as raw_rows
    )
{%- endmacro %}


{% macro spark__raw_source(source_name, table_name, prefix) -%}
    {{ return(spark_raw_rows(source_name, table_name, prefix)) }}
{%- endmacro %}


{#
    Spark: the rows of a registered raw table as raw_source() shapes them; with files (a list of
    paths as raw_files() spells them), only the rows of those files (an empty list: no rows).
#}
{% macro spark_raw_rows(source_name, table_name, prefix, files=none) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set present = spark_raw_table_columns(table_name) if execute and raw_table_is_present(table_name) else [] -%}
    {#- The registered table carries the union of its files' columns; a declared column none of
        them has is a typed NULL. file:/ paths are spelt as DuckDB spells them. -#}
    (
        select
            {%- for column in raw_columns(source_name, table_name) %}
            {% if column.name | lower in present -%}
            {{ adapter.quote(column.name) }}
            {%- else -%}
            cast(null as {{ column.data_type }})
            {%- endif %} as {{ adapter.quote(prefix ~ column.name) }},
            {%- endfor %}
            {% if present -%}
            regexp_replace(_metadata.file_path, '^file:', '') as source_file_name,
            {{ 'cast(null as bigint)' if var('raw_format', 'parquet') | lower == 'csv' else '_metadata.row_index' }} as source_file_row_number
        from {{ relation }}
            {%- if files is not none %}
        where regexp_replace(_metadata.file_path, '^file:', '') in ({{ sql_text_list(files) if files else 'null' }})
            {%- endif %}
            {%- else -%}
            cast(null as string) as source_file_name,
            cast(null as bigint) as source_file_row_number
        where false
            {%- endif %}
    )
{%- endmacro %}


{#
    Whether the bank delivered a raw table: false when var absent_raw_tables lists it, or when its
    folder holds no file of var raw_format (Spark: when the raw check registered no table for
    it). Always true while parsing and in unit tests (their fixtures stand in for the files).
#}
{% macro raw_table_is_present(table_name) -%}
    {%- if not execute or (model is defined and model.resource_type == 'unit_test') -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if table_name in declared_absent_raw_tables() -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.dispatch('raw_table_has_files', 'bankmart')(table_name)) }}
{%- endmacro %}

{% macro default__raw_table_has_files(table_name) -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set raw_format = (var('raw_format', 'parquet') | string | lower) -%}
    {%- set listing_sql -%}
        select count(*) from glob({{ sql_text(raw_table_glob(raw_dir, table_name, raw_format)) }})
    {%- endset -%}
    {{ return(run_query(listing_sql).columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro spark__raw_table_has_files(table_name) -%}
    {{ return(adapter.get_relation(database=none, schema=spark_raw_relation(table_name).schema, identifier=table_name) is not none) }}
{%- endmacro %}


{# var absent_raw_tables as a list (a YAML list, or one comma-separated string from --vars). #}
{% macro declared_absent_raw_tables() -%}
    {%- set value = var('absent_raw_tables', []) -%}
    {%- if value is string -%}
        {{ return(value.split(',') | map('trim') | reject('equalto', '') | list) }}
    {%- endif -%}
    {{ return(value or []) }}
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
    ) as string)
{%- endmacro %}

{% macro spark__raw_record_json(source_name, table_name, prefix) -%}
    to_json(named_struct(
        {%- for column in raw_columns(source_name, table_name) %}
        '{{ column.name }}', {{ adapter.quote(prefix ~ column.name) }}{{ "," if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
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

{#- Spark's xxhash64 skips NULLs, so which values are NULL is hashed too. -#}
{% macro spark__row_fingerprint(source_name, table_name, prefix) -%}
    {%- set columns = [] -%}
    {%- for column in raw_columns(source_name, table_name) -%}
        {%- do columns.append(adapter.quote(prefix ~ column.name)) -%}
    {%- endfor -%}
    xxhash64({{ columns | join(', ') }}, concat({% for column in columns %}cast(isnull({{ column }}) as int){{ ', ' if not loop.last }}{% endfor %}))
{%- endmacro %}


{#
    Two sums over a column of 64-bit row fingerprints, as HUGEINT (no overflow): the
    fingerprints and a rehash of each. Equal sums and counts mean the same multiset of rows
    but for a coincidence of both 64-bit sums at once.
#}
{% macro fingerprint_sums(column) -%}
    {{ return(adapter.dispatch('fingerprint_sums', 'bankmart')(column)) }}
{%- endmacro %}

{% macro default__fingerprint_sums(column) -%}
    sum(cast({{ column }} as hugeint)) as fingerprint_sum,
    sum(cast(hash({{ column }}) as hugeint)) as rehash_sum
{%- endmacro %}

{% macro spark__fingerprint_sums(column) -%}
    sum(cast({{ column }} as decimal(38, 0))) as fingerprint_sum,
    sum(cast(xxhash64({{ column }}) as decimal(38, 0))) as rehash_sum
{%- endmacro %}


{# The raw date columns per table, from the contract: {table: [column, ...]}. #}
{% macro raw_date_columns() -%}
    {%- set found = {} -%}
    {%- for table, columns in raw_contract().items() -%}
        {%- for column in columns if column.is_date -%}
            {%- do found.setdefault(table, []).append(column.name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}


{#
    var date_orders, checked: {'<table>.<column>' or 'default': 'dmy' | 'mdy'}; 'auto' entries
    are dropped (auto is what happens without an entry). A key that names no raw date column or
    a value other than dmy, mdy or auto stops the build with the list of what is allowed.
#}
{% macro configured_date_orders() -%}
    {%- set value = var('date_orders', {}) or {} -%}
    {%- if value is not mapping -%}
        {{ exceptions.raise_compiler_error("var date_orders must be a mapping such as {'transactions.transaction_at': 'mdy', 'default': 'dmy'}, got " ~ value) }}
    {%- endif -%}
    {%- set allowed_keys = ['default'] -%}
    {%- for table, columns in raw_date_columns().items() -%}
        {%- for column in columns -%}
            {%- do allowed_keys.append(table ~ '.' ~ column) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set checked = {} -%}
    {%- for key, order in value.items() -%}
        {%- set order_text = (order | string | lower | trim) -%}
        {%- if key not in allowed_keys -%}
            {{ exceptions.raise_compiler_error("var date_orders: '" ~ key ~ "' is not a raw date column; use 'default' or one of " ~ (allowed_keys[1:] | join(', '))) }}
        {%- endif -%}
        {%- if order_text not in ('dmy', 'mdy', 'auto') -%}
            {{ exceptions.raise_compiler_error("var date_orders: '" ~ key ~ "' is '" ~ order ~ "'; use dmy (day first), mdy (month first) or auto (decided from the data)") }}
        {%- endif -%}
        {%- if order_text != 'auto' -%}
            {%- do checked.update({key: order_text}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(checked) }}
{%- endmacro %}


{# The order of a day/month column whose values never tell (var ambiguous_date_order). #}
{% macro fallback_date_order() -%}
    {%- set order = (var('ambiguous_date_order', 'dmy') | string | lower | trim) -%}
    {%- if order not in ('dmy', 'mdy') -%}
        {{ exceptions.raise_compiler_error("var ambiguous_date_order is '" ~ order ~ "'; use dmy (day first) or mdy (month first)") }}
    {%- endif -%}
    {{ return(order) }}
{%- endmacro %}



{#
    A query of the columns the bank's files of a raw table carry (column_name, lower case; any
    file), read from the Parquet footers or CSV headers when the query runs: no rows for an
    absent table. Runs as SQL, never while compiling, so `dbt compile` and `dbt docs generate`
    never open a raw file (the raw check reports unreadable ones when a build starts).
#}
{% macro raw_file_columns_sql(table_name) -%}
    {%- if not raw_table_is_present(table_name) -%}
        {{ return('(select cast(null as string) as column_name where false)') }}
    {%- endif -%}
    {{ return(adapter.dispatch('raw_file_columns_sql', 'bankmart')(table_name)) }}
{%- endmacro %}

{% macro default__raw_file_columns_sql(table_name) -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set raw_format = (var('raw_format', 'parquet') | string | lower) -%}
    {%- set files = sql_text(raw_table_glob(raw_dir, table_name, raw_format)) -%}
    {%- if raw_format == 'csv' -%}
        (select distinct lower(column_name) as column_name from (describe select * from read_csv({{ files }}, header = true, all_varchar = true, union_by_name = true, encoding = {{ sql_text(csv_encoding()) }})))
    {%- else -%}
        (select distinct lower(name) as column_name from parquet_schema({{ files }}))
    {%- endif -%}
{%- endmacro %}

{#- Spark: the registered table's columns (the union over its files), known while compiling. -#}
{% macro spark__raw_file_columns_sql(table_name) -%}
    (select column_name from values {% for column in spark_raw_table_columns(table_name) -%}
        ({{ sql_text(column) }}){{ ', ' if not loop.last }}
    {%- endfor %} as file_columns (column_name))
{%- endmacro %}
