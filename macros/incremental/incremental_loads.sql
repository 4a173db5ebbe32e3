{#
    Incremental loads of a file-partitioned raw table (transactions and account balances, one
    hive folder per month). The raw files are the unit of work: a file that its base model
    (base_core__transactions, base_core__account_balances) has loaded is never read again; each
    build reads only the files it has not seen.

    raw_load_plan(table_name): what an incremental build of the base model must read, as a dict
        files        the raw files not loaded yet (sorted), to read with raw_source_files();
        reload       true when the loaded files cannot be extended exactly and the table must be
                     reloaded from every file: a loaded file has disappeared (a full refresh
                     would drop its rows), a new file sorts before a loaded one (a full
                     refresh ranks duplicates by file name, so an old kept row could lose to it);
        loaded_files how many files the table holds.
    Only called while executing (run_query): at parse time it returns an empty plan.
#}
{% macro raw_load_plan(table_name) -%}
    {%- set plan = {'files': [], 'reload': false, 'loaded_files': 0} -%}
    {%- if not execute -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set raw_format = (var('raw_format', 'parquet') | string | lower) -%}
    {{ require_loaded_at(this) }}
    {%- set listed = [] -%}
    {%- for listed_table, file in raw_files(raw_dir, [table_name], raw_format) -%}
        {%- do listed.append(file) -%}
    {%- endfor -%}
    {%- set loaded_sql -%}
        select distinct source_file_name
        from {{ this }}
        where source_file_name is not null
    {%- endset -%}
    {%- set loaded = run_query(loaded_sql).columns[0].values() | list -%}
    {%- set new_files = listed | reject('in', loaded) | list -%}
    {%- set missing = loaded | reject('in', listed) | list -%}
    {#- listed is sorted: a new file sorting before the last loaded one changes the ranking -#}
    {%- set out_of_order = new_files and loaded and new_files[0] < loaded | max -%}
    {%- do plan.update({
        'files': new_files,
        'reload': (missing | length > 0) or (out_of_order | as_bool),
        'loaded_files': loaded | length,
    }) -%}
    {{ return(plan) }}
{%- endmacro %}


{#
    raw_source_files(source_name, table_name, files, prefix=''): raw_source() over an explicit
    list of files instead of the whole folder, with the same reader options as the source's
    external_location (hive partitions, union by name, file name and row number), the same
    typed-NULL filling of optional columns and the same output columns. An empty list gives an
    empty row set of the same shape.
#}
{% macro raw_source_files(source_name, table_name, files, prefix='') -%}
    {{ return(adapter.dispatch('raw_source_files', 'bankmart')(source_name, table_name, files, prefix)) }}
{%- endmacro %}

{% macro spark__raw_source_files(source_name, table_name, files, prefix) -%}
    {{ return(spark_raw_rows(source_name, table_name, prefix, files)) }}
{%- endmacro %}

{% macro default__raw_source_files(source_name, table_name, files, prefix) -%}
    {%- set declared = raw_columns(source_name, table_name) -%}
    {%- set raw_format = (var('raw_format', 'parquet') | string | lower) -%}
    {%- set quoted_files = sql_text_list(files) -%}
    (
        select
            {%- for column in declared %}
            {{ adapter.quote(column.name) }} as {{ adapter.quote(prefix ~ column.name) }},
            {%- endfor %}
            filename as source_file_name,
            file_row_number as source_file_row_number
        from (
            {%- if files %}
            {%- if raw_format == 'csv' %}
            select *, cast(null as bigint) as file_row_number
            from read_csv([{{ quoted_files }}], header = true, all_varchar = true, union_by_name = true, hive_partitioning = true, filename = true, encoding = {{ sql_text(csv_encoding()) }})
            {%- else %}
            select *
            from read_parquet([{{ quoted_files }}], hive_partitioning = true, union_by_name = true, filename = true, file_row_number = true)
            {%- endif %}
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


{#
    Pre-hook of the base model: empties the table before an incremental build whose plan says
    reload, so that the build (which then reads every file) leaves exactly a full refresh's rows.
    dbt renders the model before its pre-hooks run, so both see the same plan.
#}
{% macro reset_when_raw_reload(table_name) -%}
    {%- if execute and is_incremental() and raw_load_plan(table_name).reload -%}
        {%- do log("bankmart: " ~ this ~ " reloads every raw " ~ table_name ~ " file (a loaded file disappeared or a new file sorts before a loaded one)", info=true) -%}
        {{ empty_table(this) }}
    {%- endif -%}
{%- endmacro %}


{#
    Pre-hook of the incremental marts: when every row of the upstream model is newer than this
    table's watermark (max loaded_at), the upstream was rebuilt from scratch (a full refresh or a
    reload of the base model), so this table is emptied and rebuilt from all upstream rows
    instead of being patched: rows that disappeared upstream disappear here too.
#}
{% macro reset_when_upstream_rebuilt(upstream) -%}
    {%- if execute and is_incremental() -%}
        {{ require_loaded_at(this) }}
        {%- set check_sql -%}
            select
                (select min(loaded_at) from {{ upstream }}) > (select max(loaded_at) from {{ this }})
                or (select max(loaded_at) from {{ this }}) is null as is_rebuilt
        {%- endset -%}
        {%- if run_query(check_sql).columns[0].values()[0] -%}
            {%- do log("bankmart: " ~ upstream ~ " was rebuilt, so " ~ this ~ " is rebuilt from all its rows", info=true) -%}
            {{ empty_table(this) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#
    The watermark of an incremental model: the newest loaded_at it holds, or a timestamp before
    any load when it is empty.
#}
{% macro loaded_watermark(relation) -%}
    {%- if has_loaded_at(relation) -%}
    (select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) from {{ relation }})
    {%- else -%}
    cast('1900-01-01' as timestamp)
    {%- endif -%}
{%- endmacro %}


{#
    has_loaded_at(relation): whether the table already has the loaded_at column. A warehouse
    built before incremental builds lacks it; require_loaded_at() then stops the build with the
    fix (one full refresh) instead of an SQL error about a missing column.
#}
{% macro has_loaded_at(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower == 'loaded_at' -%}
        {{ return(true) }}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}


{# The instant this dbt invocation started, as a TIMESTAMP (UTC): the loaded_at of its rows. #}
{% macro run_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{% macro require_loaded_at(relation) -%}
    {%- if not has_loaded_at(relation) -%}
        {{ exceptions.raise_compiler_error(
            relation ~ " was built before incremental builds (it has no loaded_at column). "
            ~ "How to fix: rebuild once from the raw files with `dbt build --full-refresh` "
            ~ "(or `bankmart build -- --full-refresh`); later builds are incremental."
        ) }}
    {%- endif -%}
{%- endmacro %}
