{#
    Pre-flight check of the raw files, run once before any model (on-run-start in
    dbt_project.yml). Without it a missing folder or column surfaces as an SQL error deep inside
    a base model, after other models have already been rebuilt; with it the build stops before
    touching the warehouse, with one message that names the table, the folder or file, the
    missing columns and the fix.

    For every raw table the selected nodes read directly (so `dbt seed`, marts-only selections
    and unit tests skip it), it checks that:
      1. the raw folder exists and the essential tables (customers) have files of var
         raw_format (parquet | csv); any other table without files, or listed in var
         absent_raw_tables, is a table this bank does not have: it reads as empty and the log
         says so. A folder holding only files of the other format stops the build (a wrong
         BANKMART_RAW_FORMAT, not a missing table);
      2. every Parquet file is readable (starts and ends with the PAR1 magic bytes);
      3. every file carries every column the sources YAML marks `meta: {required: true}`, and
         at least one column of each `required_group` (a transaction's account or customer, its
         timestamp or date). Optional columns may be missing: raw_source() fills them with
         typed NULLs.
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

    {%- if raw_format == 'csv' -%}
        {%- do csv_encoding() -%}
    {%- endif -%}

    {%- set tables = raw_tables_to_check() -%}
    {%- if not tables -%}
        {{ return('') }}
    {%- endif -%}

    {#- 1. Folders and files -#}
    {%- if not raw_folder_has_files(raw_dir) -%}
        {{ stop_raw_check(
            "Raw data check failed: the raw folder " ~ raw_dir ~ " does not exist or is empty.\n"
            ~ "How to fix: generate the demo bank with `make generate` (or `bankmart generate --out DIR`), "
            ~ "or set BANKMART_RAW_DIR (dbt var raw_dir) to the folder that holds one sub-folder per raw table ("
            ~ (tables | map(attribute='name') | join(', ')) ~ ")."
        ) }}
    {%- endif -%}

    {%- set declared_absent = declared_absent_raw_tables() -%}
    {%- for table in tables if table.essential and table.name in declared_absent -%}
        {{ stop_raw_check(
            "var absent_raw_tables lists " ~ table.name ~ ", but every bank needs its " ~ table.name
            ~ " table. Remove it from absent_raw_tables."
        ) }}
    {%- endfor -%}
    {%- set listed_tables = tables | rejectattr('name', 'in', declared_absent) | list -%}
    {%- set file_rows = raw_files(raw_dir, listed_tables | map(attribute='name') | list, raw_format) -%}
    {%- set files_by_table = {} -%}
    {%- set table_of_file = {} -%}
    {%- for row in file_rows -%}
        {%- do files_by_table.setdefault(row[0], []).append(row[1]) -%}
        {%- do table_of_file.update({row[1]: row[0]}) -%}
    {%- endfor -%}

    {%- set problems = [] -%}
    {%- set absent = [] -%}
    {%- set other_format = 'csv' if raw_format == 'parquet' else 'parquet' -%}
    {%- set without_files = listed_tables | rejectattr('name', 'in', files_by_table) | list -%}
    {%- set with_other_format = raw_files(raw_dir, without_files | map(attribute='name') | list, other_format)
        | map(attribute=0) | list -%}
    {%- for table in without_files -%}
        {%- if table.name in with_other_format -%}
            {%- do problems.append(
                "raw table " ~ table.name ~ ": " ~ raw_dir ~ "/" ~ table.name ~ "/ holds ." ~ other_format
                ~ " files but no ." ~ raw_format ~ " files. Set BANKMART_RAW_FORMAT=" ~ other_format
                ~ " (dbt var raw_format) to read them."
            ) -%}
        {%- elif table.essential -%}
            {%- do problems.append(
                "raw table " ~ table.name ~ ": no *." ~ raw_format ~ " files under " ~ raw_dir ~ "/" ~ table.name
                ~ "/ (the folder is missing or empty). Every bank needs its " ~ table.name ~ " table; other tables "
                ~ "may be left out. Run `make generate` (or `bankmart generate --out DIR`), or point "
                ~ "BANKMART_RAW_DIR at the folder that holds " ~ table.name ~ "/."
            ) -%}
        {%- else -%}
            {%- do absent.append(table.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ raise_raw_check_failure(raw_dir, raw_format, problems) }}
    {%- endif -%}

    {%- if not file_rows -%}
        {{ log("Raw data check passed: no raw table to read; absent: " ~ (absent | join(', ') or 'none'), info=true) }}
        {{ return('') }}
    {%- endif -%}

    {#- 2. Readable files (Parquet: the magic bytes at both ends) -#}
    {%- if raw_format == 'parquet' -%}
        {%- for file in unreadable_parquet_files(file_rows | map(attribute=1) | list) -%}
            {%- set table_name = table_of_file.get(file, '?') -%}
            {%- do problems.append(
                "raw table " ~ table_name ~ ": file " ~ file ~ " is not a readable Parquet file "
                ~ "(truncated or not Parquet at all). Replace or delete it: re-export the table, or "
                ~ "regenerate the demo bank with `make generate`."
            ) -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ raise_raw_check_failure(raw_dir, raw_format, problems) }}
        {%- endif -%}
    {%- endif -%}

    {#- 2b. Empty CSV files (no byte but a byte-order mark or whitespace, so no header): DuckDB's
        reader takes them as no rows (an empty month's export), but its sniffer cannot read
        their columns, so the column check leaves them out; a table needs one that is not. -#}
    {%- set empty_files = empty_csv_files(file_rows | map(attribute=1) | list) if raw_format == 'csv' else [] -%}
    {%- for table in listed_tables if table.essential and table.name in files_by_table -%}
        {%- if files_by_table[table.name] | reject('in', empty_files) | list | length == 0 -%}
            {%- do problems.append(
                "raw table " ~ table.name ~ ": every file is empty (" ~ (files_by_table[table.name] | first)
                ~ (" and " ~ (files_by_table[table.name] | length - 1) ~ " more" if files_by_table[table.name] | length > 1 else "")
                ~ "): not even a header line. Every bank needs its " ~ table.name ~ " table: re-export it."
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ raise_raw_check_failure(raw_dir, raw_format, problems) }}
    {%- endif -%}

    {#- 3. Required columns (and one column of each required group) in every file -#}
    {%- set requirements = [] -%}
    {%- for table in listed_tables if table.name in files_by_table -%}
        {%- for column in table.required -%}
            {%- do requirements.append((table.name, column, column)) -%}
        {%- endfor -%}
        {%- for group, columns in table.groups.items() -%}
            {%- for column in columns -%}
                {%- do requirements.append((table.name, 'one of ' ~ (columns | join(', ')), column)) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do register_raw_tables(raw_dir, raw_format, files_by_table.keys() | list, absent + declared_absent) -%}
    {%- if requirements -%}
    {%- for row in raw_missing_required_columns(raw_dir, raw_format, file_rows | rejectattr(1, 'in', empty_files) | list, requirements, empty_files) -%}
        {%- set table = tables | selectattr('name', 'equalto', row[0]) | first -%}
        {%- set needed = table.required + (table.groups.values() | map('join', ' or ') | list) -%}
        {%- do problems.append(
            "raw table " ~ row[0] ~ ": missing " ~ row[1] ~ " in " ~ row[3]
            ~ (" and " ~ (row[2] - 1) ~ " more file(s)" if row[2] > 1 else "")
            ~ "; every file needs: " ~ (needed | join(', '))
            ~ ". Re-export the files with these columns (optional columns may be left out), "
            ~ "or regenerate the demo bank with `make generate`."
        ) -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ raise_raw_check_failure(raw_dir, raw_format, problems) }}
    {%- endif -%}
    {%- endif -%}

    {%- set found = [] -%}
    {%- for table in listed_tables if table.name in files_by_table -%}
        {%- do found.append(table.name ~ " (" ~ (files_by_table[table.name] | length) ~ " file" ~ ("s" if (files_by_table[table.name] | length) > 1 else "") ~ ")") -%}
    {%- endfor -%}
    {{ log("Raw data check passed (" ~ raw_format ~ " under " ~ raw_dir ~ "): found " ~ (found | join(', ')) ~ ". Treated as absent (no files" ~ (", or var absent_raw_tables" if declared_absent else "") ~ "): " ~ ((absent + (declared_absent | select('in', tables | map(attribute='name') | list) | list)) | join(', ') or 'none') ~ "." ~ (" Empty files, read as no rows: " ~ (empty_files | length) ~ " (" ~ (empty_files | first) ~ (", ..." if empty_files | length > 1 else "") ~ ")." if empty_files else ""), info=true) }}
    {{ return('') }}
{% endmacro %}


{#
    The raw tables the selected nodes read directly: [{name, essential, required: [column, ...],
    groups: {group: [column, ...]}}], from the sources YAML's meta.
#}
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
        {%- set groups = {} -%}
        {%- for column in source_node.columns.values() -%}
            {%- set meta = column.config.meta if (column.config is defined and column.config.meta) else column.meta -%}
            {%- if meta.get('required', false) -%}
                {%- do required.append(column.name) -%}
            {%- endif -%}
            {%- if meta.get('required_group') -%}
                {%- do groups.setdefault(meta.get('required_group'), []).append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set table_meta = source_node.config.meta if (source_node.config is defined and source_node.config.meta) else source_node.meta -%}
        {%- do tables.append({
            'name': source_node.name,
            'essential': table_meta.get('essential', false),
            'required': required,
            'groups': groups,
        }) -%}
    {%- endfor -%}
    {{ return(tables | sort(attribute='name')) }}
{% endmacro %}


{#
    The encoding of CSV raw files (var csv_encoding, env BANKMART_CSV_ENCODING) as DuckDB's CSV
    reader names it: utf-8 (default) or latin-1 (ISO-8859-1; also a Windows cp1252 export but
    for the characters 0x80-0x9F, such as the euro sign). Any other value stops the run naming
    the variable. The sources YAML spells the same aliases out, as it cannot call a macro.
#}
{% macro csv_encoding() -%}
    {%- set given = (var('csv_encoding', 'utf-8') | string | trim | lower) -%}
    {%- set encoding = {'utf-8': 'utf-8', 'utf8': 'utf-8', 'latin-1': 'latin-1', 'latin1': 'latin-1',
        'iso-8859-1': 'latin-1', 'iso8859-1': 'latin-1'}.get(given) -%}
    {%- if encoding is none -%}
        {{ stop_raw_check(
            "var csv_encoding (env BANKMART_CSV_ENCODING) is '" ~ given ~ "': use utf-8 or latin-1 "
            ~ "(ISO-8859-1, also for Windows cp1252 exports)."
        ) }}
    {%- endif -%}
    {{ return(encoding) }}
{%- endmacro %}


{# The file pattern of one raw table, as the sources YAML reads it. #}
{% macro raw_table_glob(raw_dir, table_name, raw_format) -%}
    {{ return(raw_dir ~ '/' ~ table_name ~ '/**/*.' ~ raw_format) }}
{%- endmacro %}


{# SQL string literals separated by commas, for an `in (...)` or a list: 'a', 'b'. #}
{% macro sql_text_list(values) -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append(sql_text(value)) -%}
    {%- endfor -%}
    {{ return(quoted | join(', ')) }}
{%- endmacro %}


{# A SQL string literal, or a typed NULL for none. #}
{% macro sql_text_or_null(value) -%}
    {{ return('cast(null as string)' if value is none else sql_text(value)) }}
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
