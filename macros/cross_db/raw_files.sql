{#
    The file steps of the raw data check (check_raw_sources) and of reading raw tables, per
    engine. DuckDB reads the files in place (glob, read_blob, parquet_schema). Spark lists them
    with its binaryFile source and reads each raw table through an external table in schema
    var raw_schema, which the check (re)registers at the start of every run.
#}

{# Whether the raw folder holds any file at all. #}
{% macro raw_folder_has_files(raw_dir) -%}
    {{ return(adapter.dispatch('raw_folder_has_files', 'bankmart')(raw_dir)) }}
{%- endmacro %}

{% macro default__raw_folder_has_files(raw_dir) -%}
    {%- set listing_sql -%}
        select count(*) as file_count from glob({{ sql_text(raw_dir ~ '/**') }})
    {%- endset -%}
    {{ return(run_query(listing_sql).columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro spark__raw_folder_has_files(raw_dir) -%}
    {{ return(spark_raw_listing(raw_dir) | length > 0) }}
{%- endmacro %}


{#
    raw_files(raw_dir, table_names, file_format): [(table, file), ...], the files of the given
    raw tables with that extension, in each table's folder and its sub-folders, sorted by file.
#}
{% macro raw_files(raw_dir, table_names, file_format) -%}
    {{ return(adapter.dispatch('raw_files', 'bankmart')(raw_dir, table_names, file_format)) }}
{%- endmacro %}

{% macro default__raw_files(raw_dir, table_names, file_format) -%}
    {%- if not table_names -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(run_query(raw_files_sql(raw_dir, table_names, file_format) ~ ' order by 2').rows) }}
{%- endmacro %}

{% macro spark__raw_files(raw_dir, table_names, file_format) -%}
    {%- set found = [] -%}
    {%- set prefix_length = (spark_qualified_dir(raw_dir) | length) + 1 -%}
    {%- for path in spark_raw_listing(raw_dir) -%}
        {%- set relative = path[prefix_length:] -%}
        {%- set table_name = relative.split('/')[0] -%}
        {%- if '/' in relative and table_name in table_names and path.endswith('.' ~ file_format) -%}
            {%- do found.append((table_name, path)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found | sort(attribute=1)) }}
{%- endmacro %}


{# DuckDB: a query of (raw_table, file) over the tables' files. #}
{% macro raw_files_sql(raw_dir, table_names, file_format) -%}
    {%- for table_name in table_names %}
    select {{ sql_text(table_name) }} as raw_table, file
    from glob({{ sql_text(raw_table_glob(raw_dir, table_name, file_format)) }})
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
{%- endmacro %}


{#
    Spark: every file under the raw folder whose name matches file_name_glob (paths as DuckDB
    spells them: a local file without the file: scheme), from the binaryFile source, which lists
    without reading contents.
#}
{% macro spark_raw_listing(raw_dir, file_name_glob='*') -%}
    {%- do run_query(
        "create or replace temporary view bankmart_raw_listing using binaryFile options (path "
        ~ sql_text(spark_qualified_dir(raw_dir)) ~ ", recursiveFileLookup 'true', pathGlobFilter "
        ~ sql_text(file_name_glob) ~ ")"
    ) -%}
    {%- set paths = [] -%}
    {%- for row in run_query("select path from bankmart_raw_listing").rows -%}
        {%- do paths.append(row[0][5:] if row[0].startswith('file:/') else row[0]) -%}
    {%- endfor -%}
    {{ return(paths) }}
{%- endmacro %}


{# Spark: the raw folder as an absolute path or URL (Spark resolves relative paths itself). #}
{% macro spark_qualified_dir(raw_dir) -%}
    {%- if ':' in raw_dir or raw_dir.startswith('/') -%}
        {{ return(raw_dir) }}
    {%- endif -%}
    {{ return(env_var('PWD', '.') ~ '/' ~ raw_dir) }}
{%- endmacro %}


{# The Parquet files among `files` that are not readable (no PAR1 magic at both ends). #}
{% macro unreadable_parquet_files(files) -%}
    {{ return(adapter.dispatch('unreadable_parquet_files', 'bankmart')(files)) }}
{%- endmacro %}

{% macro default__unreadable_parquet_files(files) -%}
    {{ return(files_where(files, "size < 12 or content[1:4] <> 'PAR1'::blob or content[-4:] <> 'PAR1'::blob")) }}
{%- endmacro %}

{# Spark: binaryFile would read every file whole to look at its ends; a damaged file fails the
   base model that reads it instead, with Spark's message naming the file. #}
{% macro spark__unreadable_parquet_files(files) -%}
    {{ return([]) }}
{%- endmacro %}


{#
    empty_csv_files(files): the CSV files among `files` holding nothing but a byte-order mark or
    whitespace (no header line), sorted. Sizes are read first; only the few small files are read.
#}
{% macro empty_csv_files(files) -%}
    {{ return(adapter.dispatch('empty_csv_files', 'bankmart')(files)) }}
{%- endmacro %}

{% macro default__empty_csv_files(files) -%}
    {{ return(files_where(
        files_where(files, 'size <= 64'),
        "coalesce(regexp_full_match(try(decode(content)), '[\\s\\x{FEFF}]*'), false)"
    )) }}
{%- endmacro %}

{# Spark: its CSV reader takes an empty file as no rows and checks no header here. #}
{% macro spark__empty_csv_files(files) -%}
    {{ return([]) }}
{%- endmacro %}


{#
    DuckDB: the files among `files` whose read_blob() row (filename, size, content, ...) meets
    `condition`, sorted; content is read only when the condition uses it.
#}
{% macro files_where(files, condition) -%}
    {%- if not files -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set files_sql -%}
        select filename from read_blob([{{ sql_text_list(files) }}]) where {{ condition }} order by filename
    {%- endset -%}
    {{ return(run_query(files_sql).columns[0].values() | list) }}
{%- endmacro %}


{#
    register_raw_tables(raw_dir, raw_format, present, absent): make the raw tables readable as
    source('core', <table>). DuckDB reads the files in place (the sources' external_location):
    nothing to do. Spark: an external table over each present table's folder (all its files,
    sub-folders included, optional columns merged), none for an absent one.
#}
{% macro register_raw_tables(raw_dir, raw_format, present, absent) -%}
    {{ return(adapter.dispatch('register_raw_tables', 'bankmart')(raw_dir, raw_format, present, absent)) }}
{%- endmacro %}

{% macro default__register_raw_tables(raw_dir, raw_format, present, absent) -%}
{%- endmacro %}

{% macro spark__register_raw_tables(raw_dir, raw_format, present, absent) -%}
    {%- do run_query('create schema if not exists ' ~ var('raw_schema', 'raw')) -%}
    {%- for table_name in present + absent -%}
        {%- do run_query('drop table if exists ' ~ spark_raw_relation(table_name)) -%}
    {%- endfor -%}
    {%- for table_name in present -%}
        {%- set options = [
            'path ' ~ sql_text(spark_qualified_dir(raw_dir) ~ '/' ~ table_name),
            "recursiveFileLookup 'true'",
            'pathGlobFilter ' ~ sql_text('*.' ~ raw_format),
        ] + (["header 'true'", "inferSchema 'false'", "encoding " ~ sql_text({'utf-8': 'UTF-8', 'latin-1': 'ISO-8859-1'}[csv_encoding()])]
            if raw_format == 'csv' else ["mergeSchema 'true'"]) -%}
        {%- do run_query(
            'create table ' ~ spark_raw_relation(table_name) ~ ' using ' ~ raw_format
            ~ ' options (' ~ (options | join(', ')) ~ ')'
        ) -%}
    {%- endfor -%}
{%- endmacro %}


{#
    raw_missing_required_columns(raw_dir, raw_format, file_rows, requirements): the raw tables
    some of whose files lack a required column, as rows (raw_table, missing requirements joined
    by '; ', number of files lacking one, first such file). requirements: (table, requirement,
    column) triples; a requirement is met when any of its columns is there.
#}
{% macro raw_missing_required_columns(raw_dir, raw_format, file_rows, requirements, skipped_files=[]) -%}
    {{ return(adapter.dispatch('raw_missing_required_columns', 'bankmart')(raw_dir, raw_format, file_rows, requirements, skipped_files)) }}
{%- endmacro %}

{% macro default__raw_missing_required_columns(raw_dir, raw_format, file_rows, requirements, skipped_files) -%}
    {%- set table_names = requirements | map(attribute=0) | unique | list -%}
    {%- set encoding = sql_text(csv_encoding()) if raw_format == 'csv' else none -%}
    {%- set columns_sql -%}
        with

        file_columns as (
        {%- if raw_format == 'parquet' %}
            select file_name, lower(name) as column_name
            from parquet_schema([
                {%- for row in file_rows %}{{ sql_text(row[1]) }}{{ ", " if not loop.last }}{% endfor -%}
            ])
        {%- else %}
            {%- for row in file_rows %}
            select {{ sql_text(row[1]) }} as file_name, lower(unnest(Columns).name) as column_name
            from sniff_csv({{ sql_text(row[1]) }}, header = true, encoding = {{ encoding }})
            {%- if not loop.last %}
            union all
            {%- endif -%}
            {%- endfor %}
        {%- endif %}
        ),

        -- one branch per table (a branch per file would exceed DuckDB's expression depth on
        -- banks with thousands of partition files)
        files as (
            select raw_table, file as file_name
            from ({{ raw_files_sql(raw_dir, table_names, raw_format) }})
            {%- if skipped_files %}
            where file not in ({{ sql_text_list(skipped_files) }})
            {%- endif %}
        ),

        requirements as (
            select * from (values
                {%- for table_name, requirement, column in requirements %}
                ({{ sql_text(table_name) }}, {{ sql_text(requirement) }}, {{ sql_text(column | lower) }}){{ "," if not loop.last }}
                {%- endfor %}
            ) as requirements (raw_table, requirement, column_name)
        ),

        -- a requirement is met in a file when any of its columns is there (a group of
        -- alternatives lists one row per column)
        required as (
            select
                files.raw_table,
                files.file_name,
                requirements.requirement,
                bool_or(file_columns.column_name is not null) as is_met
            from files
            inner join requirements
                on files.raw_table = requirements.raw_table
            left join file_columns
                on files.file_name = file_columns.file_name
                and requirements.column_name = file_columns.column_name
            group by files.raw_table, files.file_name, requirements.requirement
        ),

        missing as (
            select * from required where not is_met
        )

        select
            raw_table,
            string_agg(distinct requirement, '; ' order by requirement) as missing_columns,
            count(distinct file_name) as file_count,
            min(file_name) as first_file
        from missing
        group by raw_table
        order by raw_table
    {%- endset -%}
    {{ return(run_query(columns_sql).rows) }}
{%- endmacro %}

{# Spark: the registered table's columns (the union over its files, as Spark merges them), so
   a required column missing from only some files reads as NULL there, and base models
   quarantine those rows (missing_key, missing_value) instead of stopping the build. #}
{% macro spark__raw_missing_required_columns(raw_dir, raw_format, file_rows, requirements, skipped_files) -%}
    {%- set missing = {} -%}
    {%- for table_name in requirements | map(attribute=0) | unique -%}
        {%- set present = spark_raw_table_columns(table_name) -%}
        {%- set met = [] -%}
        {%- for table, requirement, column in requirements if table == table_name and column | lower in present -%}
            {%- do met.append(requirement) -%}
        {%- endfor -%}
        {%- for table, requirement, column in requirements if table == table_name and requirement not in met -%}
            {%- do missing.setdefault(table_name, []).append(requirement) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set rows = [] -%}
    {%- for table_name, requirements_missing in missing | dictsort -%}
        {%- set files = file_rows | selectattr(0, 'equalto', table_name) | map(attribute=1) | list -%}
        {%- do rows.append((table_name, requirements_missing | unique | sort | join('; '), files | length, files | first)) -%}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}


{# Spark: the external table the raw check registers for a raw table (schema var raw_schema). #}
{% macro spark_raw_relation(table_name) -%}
    {{ return(api.Relation.create(schema=var('raw_schema', 'raw'), identifier=table_name)) }}
{%- endmacro %}

{# Spark: the columns of a raw table's registered table (the union over its files), lower case. #}
{% macro spark_raw_table_columns(table_name) -%}
    {{ return(adapter.get_columns_in_relation(spark_raw_relation(table_name)) | map(attribute='name') | map('lower') | list) }}
{%- endmacro %}
