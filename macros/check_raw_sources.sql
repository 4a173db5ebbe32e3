{#
    Pre-flight check of the raw files, run once before any model (on-run-start in
    dbt_project.yml). Without it a missing folder or column surfaces as an SQL error deep inside
    a base model, after other models have already been rebuilt; with it the build stops before
    touching the warehouse, with one message that names the table, the folder or file, the
    missing columns and the fix.

    For every raw table the selected nodes read directly (so `dbt seed`, marts-only selections
    and unit tests skip it), it checks that:
      1. the raw folder and the table's folder hold files of var raw_format (parquet | csv);
      2. every Parquet file is readable (starts and ends with the PAR1 magic bytes);
      3. every file carries every column the sources YAML marks `meta: {required: true}`.
         Optional columns may be missing: raw_source() fills them with typed NULLs.
    Only file listings, footers and CSV headers are read, with one query per step, so the check
    costs well under a second even on the large demo bank. It does nothing while dbt parses or
    compiles (execute is false, or the command builds nothing).
#}
{% macro check_raw_sources() %}
    {%- if not execute or flags.WHICH not in ('run', 'build', 'test') -%}
        {{ return('') }}
    {%- endif -%}

    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set raw_format = (var('raw_format', 'parquet') | string | lower) -%}
    {%- if raw_format not in ('parquet', 'csv') -%}
        {{ stop_raw_check(
            "var raw_format (env BANKMART_RAW_FORMAT) is '" ~ raw_format ~ "': use parquet or csv."
        ) }}
    {%- endif -%}

    {%- set tables = raw_tables_to_check() -%}
    {%- if not tables -%}
        {{ return('') }}
    {%- endif -%}

    {#- 1. Folders and files -#}
    {%- set listing_sql -%}
        select count(*) as file_count from glob({{ sql_text(raw_dir ~ '/**') }})
    {%- endset -%}
    {%- if run_query(listing_sql).columns[0].values()[0] == 0 -%}
        {{ stop_raw_check(
            "Raw data check failed: the raw folder " ~ raw_dir ~ " does not exist or is empty.\n"
            ~ "How to fix: generate the demo bank with `make generate` (or `bankmart generate --out DIR`), "
            ~ "or set BANKMART_RAW_DIR (dbt var raw_dir) to the folder that holds one sub-folder per raw table ("
            ~ (tables | map(attribute='name') | join(', ')) ~ ")."
        ) }}
    {%- endif -%}

    {%- set files_sql -%}
        {%- for table in tables %}
        select {{ sql_text(table.name) }} as raw_table, file
        from glob({{ sql_text(raw_table_glob(raw_dir, table.name, raw_format)) }})
        {%- if not loop.last %}
        union all
        {%- endif -%}
        {%- endfor %}
    {%- endset -%}
    {%- set file_rows = run_query(files_sql).rows -%}
    {%- set files_by_table = {} -%}
    {%- set table_of_file = {} -%}
    {%- for row in file_rows -%}
        {%- do files_by_table.setdefault(row[0], []).append(row[1]) -%}
        {%- do table_of_file.update({row[1]: row[0]}) -%}
    {%- endfor -%}

    {%- set problems = [] -%}
    {%- for table in tables if table.name not in files_by_table -%}
        {%- do problems.append(
            "raw table " ~ table.name ~ ": no *." ~ raw_format ~ " files under " ~ raw_dir ~ "/" ~ table.name
            ~ "/ (the folder is missing or empty). Every raw table needs its folder: run `make generate` "
            ~ "(or `bankmart generate --out DIR`), or point BANKMART_RAW_DIR at a complete raw folder."
        ) -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ raise_raw_check_failure(raw_dir, raw_format, problems) }}
    {%- endif -%}

    {#- 2. Readable files (Parquet: the magic bytes at both ends) -#}
    {%- if raw_format == 'parquet' -%}
        {%- set magic_sql -%}
            select filename
            from read_blob([
                {%- for row in file_rows %}{{ sql_text(row[1]) }}{{ ", " if not loop.last }}{% endfor -%}
            ])
            where size < 12
                or content[1:4] <> 'PAR1'::blob
                or content[-4:] <> 'PAR1'::blob
            order by filename
        {%- endset -%}
        {%- for row in run_query(magic_sql).rows -%}
            {%- set table_name = table_of_file.get(row[0], '?') -%}
            {%- do problems.append(
                "raw table " ~ table_name ~ ": file " ~ row[0] ~ " is not a readable Parquet file "
                ~ "(truncated or not Parquet at all). Replace or delete it: re-export the table, or "
                ~ "regenerate the demo bank with `make generate`."
            ) -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ raise_raw_check_failure(raw_dir, raw_format, problems) }}
        {%- endif -%}
    {%- endif -%}

    {#- 3. Required columns in every file -#}
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
            from sniff_csv({{ sql_text(row[1]) }}, header = true)
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
            from ({{ files_sql }})
        ),

        required_columns as (
            {%- for table in tables %}
            {%- for column in table.required %}
            select {{ sql_text(table.name) }} as raw_table, {{ sql_text(column | lower) }} as column_name
            {%- if not loop.last %} union all{% endif -%}
            {%- endfor %}
            {%- if not loop.last %} union all{% endif -%}
            {%- endfor %}
        ),

        missing as (
            select
                files.raw_table,
                files.file_name,
                required_columns.column_name,
            from files
            inner join required_columns
                on files.raw_table = required_columns.raw_table
            anti join file_columns
                on files.file_name = file_columns.file_name
                and required_columns.column_name = file_columns.column_name
        )

        select
            raw_table,
            string_agg(distinct column_name, ', ' order by column_name) as missing_columns,
            count(distinct file_name) as file_count,
            min(file_name) as first_file,
        from missing
        group by raw_table
        order by raw_table
    {%- endset -%}
    {%- for row in run_query(columns_sql).rows -%}
        {%- set table = tables | selectattr('name', 'equalto', row[0]) | first -%}
        {%- set columns_text = "column '" ~ row[1] ~ "' is" if ',' not in row[1] else "columns " ~ row[1] ~ " are" -%}
        {%- do problems.append(
            "raw table " ~ row[0] ~ ": " ~ columns_text ~ " missing from " ~ row[3]
            ~ (" and " ~ (row[2] - 1) ~ " more file(s)" if row[2] > 1 else "")
            ~ "; every file needs the required columns: " ~ (table.required | join(', '))
            ~ ". Re-export the files with these columns (optional columns may be left out), "
            ~ "or regenerate the demo bank with `make generate`."
        ) -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ raise_raw_check_failure(raw_dir, raw_format, problems) }}
    {%- endif -%}

    {{ log("Raw data check passed: " ~ (tables | length) ~ " raw tables, " ~ (file_rows | length) ~ " " ~ raw_format ~ " files under " ~ raw_dir, info=true) }}
    {{ return('') }}
{% endmacro %}


{# The raw tables the selected nodes read directly: [{name, required: [column, ...]}]. #}
{% macro raw_tables_to_check() %}
    {%- set wanted = [] -%}
    {%- for unique_id in selected_resources -%}
        {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
        {%- if node is not none and node is defined -%}
            {%- if unique_id.startswith('source.') -%}
                {%- do wanted.append(unique_id) -%}
            {%- endif -%}
            {%- for parent in (node.depends_on.nodes if node.depends_on is defined else []) -%}
                {%- if parent.startswith('source.') -%}
                    {%- do wanted.append(parent) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set tables = [] -%}
    {%- for unique_id, source_node in graph.sources.items() if unique_id in wanted -%}
        {%- set required = [] -%}
        {%- for column in source_node.columns.values() -%}
            {%- set meta = column.config.meta if (column.config is defined and column.config.meta) else column.meta -%}
            {%- if meta.get('required', false) -%}
                {%- do required.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do tables.append({'name': source_node.name, 'required': required}) -%}
    {%- endfor -%}
    {{ return(tables | sort(attribute='name')) }}
{% endmacro %}


{# The file pattern of one raw table, as the sources YAML reads it. #}
{% macro raw_table_glob(raw_dir, table_name, raw_format) -%}
    {{ return(raw_dir ~ '/' ~ table_name ~ '/**/*.' ~ raw_format) }}
{%- endmacro %}


{# A SQL string literal. #}
{% macro sql_text(value) -%}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}


{% macro raise_raw_check_failure(raw_dir, raw_format, problems) %}
    {{ stop_raw_check(
        "Raw data check failed (raw folder " ~ raw_dir ~ ", format " ~ raw_format ~ "):\n  - "
        ~ (problems | join("\n  - "))
    ) }}
{% endmacro %}


{# Stop the run: the invocation's row in meta.dbt_invocations says why (dbt skips on-run-end). #}
{% macro stop_raw_check(message) %}
    {% do record_invocation_failure(message) %}
    {{ exceptions.raise_compiler_error(message) }}
{% endmacro %}
