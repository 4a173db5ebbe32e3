{#
    Every dbt command that can change the warehouse (build, run, seed, snapshot, retry, clone)
    and every `dbt test` leaves one row in meta.dbt_invocations, inside the warehouse file
    itself: who ran (invocation_id), what (command and selection as given), when (started_at,
    finished_at) and how it ended (status, counts by node status, the first failed nodes).

    - on-run-start, first hook: record_invocation_start() inserts the row as 'running', before
      the raw data check, so a build that stops there still leaves its row.
    - on-run-end: record_invocation_end() completes it from dbt's `results`: 'success' only
      when every selected node ran and succeeded, passed or warned; otherwise 'failed'. A build
      also stores meta.dbt_invocation_relations, the row count and shape of every relation in
      the served schemas (marts, reference) as it left them.
    - record_invocation_failure() marks the row 'failed' with a message, for a start hook that
      stops the run by raising (dbt skips on-run-end then).

    A run that dies (kill -9, out of memory, power cut) keeps its 'running' row. `bankmart
    publish` reads these rows, not dbt's target/run_results.json, to decide whether the file
    holds one whole, green, complete build that nothing has written to since.

    Commands that only compile (parse, compile, docs generate, ls, show) render the hooks too,
    with execute true for some of them: they record nothing.
#}

{% macro records_invocation() %}
    {{ return(execute and flags.WHICH in ('build', 'run', 'test', 'seed', 'snapshot', 'retry', 'clone')) }}
{% endmacro %}


{# Node types every selected one of which must run for a run to count as complete. #}
{% macro invocation_node_types() %}
    {{ return(('model', 'seed', 'snapshot', 'test')) }}
{% endmacro %}


{% macro invocation_runs_node(node) %}
    {{ return(node.resource_type in invocation_node_types()
              and node.config.get('materialized') != 'ephemeral') }}
{% endmacro %}


{% macro sql_utc_timestamp(value) -%}
    {{ return("timestamp '" ~ value.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "'") }}
{%- endmacro %}


{% macro record_invocation_start() %}
    {%- if not records_invocation() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set args = invocation_args_dict -%}
    {%- set selected = [] -%}
    {%- set in_project = [] -%}
    {%- for unique_id, node in graph.nodes.items() if invocation_runs_node(node) -%}
        {%- do in_project.append(unique_id) -%}
    {%- endfor -%}
    {%- for unique_id in selected_resources if unique_id in graph.nodes and invocation_runs_node(graph.nodes[unique_id]) -%}
        {%- do selected.append(unique_id) -%}
    {%- endfor -%}
    {%- set resource_types = [] -%}
    {%- for resource_type in args.get('resource_types') or [] -%}
        {%- do resource_types.append('--resource-type ' ~ resource_type) -%}
    {%- endfor -%}
    {%- for resource_type in args.get('exclude_resource_types') or [] -%}
        {%- do resource_types.append('--exclude-resource-type ' ~ resource_type) -%}
    {%- endfor -%}

    {% do run_query("create schema if not exists meta") %}
    {% do run_query("
        create table if not exists meta.dbt_invocations (
            invocation_seq integer not null,
            invocation_id string not null,
            command string not null,
            invocation_command string,
            selected string,
            excluded string,
            selector string,
            resource_types string,
            is_full_refresh boolean not null,
            is_empty boolean not null,
            is_sample boolean not null,
            vars string,
            selected_nodes integer not null,
            project_nodes integer not null,
            dbt_version string not null,
            started_at timestamp not null,
            finished_at timestamp,
            status string not null,
            result_counts string,
            failed_nodes string,
            message string
        )
    ") %}
    {% do run_query("
        create table if not exists meta.dbt_invocation_relations (
            invocation_id string not null,
            schema_name string not null,
            relation_name string not null,
            relation_type string not null,
            row_count bigint,
            structure_md5 string not null
        )
    ") %}
    {% do run_query("comment on table meta.dbt_invocations is "
        ~ sql_text("One row per dbt build, run, test, seed or snapshot on this warehouse, written "
                   ~ "by the project's on-run-start and on-run-end hooks; bankmart publish reads it.")) %}

    {%- set insert_sql -%}
        insert into meta.dbt_invocations
        select
            coalesce(max(invocation_seq), 0) + 1,
            {{ sql_text(invocation_id) }},
            {{ sql_text(flags.WHICH) }},
            {{ sql_text_or_null(args.get('invocation_command')) }},
            {{ sql_text_or_null((args.get('select') or []) | join(' ') or none) }},
            {{ sql_text_or_null((args.get('exclude') or []) | join(' ') or none) }},
            {{ sql_text_or_null(args.get('selector')) }},
            {{ sql_text_or_null(resource_types | join(' ') or none) }},
            {{ 'true' if args.get('full_refresh') else 'false' }},
            {{ 'true' if args.get('empty') else 'false' }},
            {{ 'true' if args.get('sample') else 'false' }},
            {{ sql_text_or_null(tojson(args.get('vars')) if args.get('vars') else none) }},
            {{ selected | length }},
            {{ in_project | length }},
            {{ sql_text(dbt_version) }},
            {{ sql_utc_timestamp(run_started_at) }},
            null,
            'running',
            null,
            null,
            null
        from meta.dbt_invocations
    {%- endset -%}
    {% do run_query(insert_sql) %}
    {{ return('') }}
{% endmacro %}


{% macro record_invocation_failure(message) %}
    {%- if not records_invocation() -%}
        {{ return('') }}
    {%- endif -%}
    {% do record_invocation_outcome('failed', none, none, message) %}
    {{ return('') }}
{% endmacro %}


{#
    record_invocation_outcome(status, counts, failed_nodes, message): completes this run's row
    (finished now). DuckDB updates it in place; Spark tables without Delta or Iceberg cannot be
    updated, so there the outcome is a second row of the same invocation_id, appended, which
    readers take as the run's state (the row with the highest invocation_seq).
#}
{% macro record_invocation_outcome(status, counts, failed_nodes, message) %}
    {{ return(adapter.dispatch('record_invocation_outcome', 'bankmart')(status, counts, failed_nodes, message)) }}
{% endmacro %}

{% macro default__record_invocation_outcome(status, counts, failed_nodes, message) %}
    {% do run_query(
        "update meta.dbt_invocations set status = " ~ sql_text(status)
        ~ ", finished_at = " ~ sql_utc_timestamp(modules.datetime.datetime.now(modules.pytz.utc))
        ~ (", result_counts = " ~ sql_text(counts) if counts is not none else "")
        ~ (", failed_nodes = " ~ sql_text_or_null(failed_nodes) if counts is not none else "")
        ~ ", message = coalesce(message, " ~ sql_text_or_null(message) ~ ")"
        ~ " where invocation_id = " ~ sql_text(invocation_id)
    ) %}
{% endmacro %}

{% macro spark__record_invocation_outcome(status, counts, failed_nodes, message) %}
    {% do run_query(
        "insert into meta.dbt_invocations select"
        ~ " (select max(invocation_seq) from meta.dbt_invocations) + 1, invocation_id, command,"
        ~ " invocation_command, selected, excluded, selector, resource_types, is_full_refresh,"
        ~ " is_empty, is_sample, vars, selected_nodes, project_nodes, dbt_version, started_at, "
        ~ sql_utc_timestamp(modules.datetime.datetime.now(modules.pytz.utc)) ~ ", "
        ~ sql_text(status) ~ ", "
        ~ sql_text_or_null(counts) ~ ", "
        ~ sql_text_or_null(failed_nodes) ~ ", "
        ~ "coalesce(message, " ~ sql_text_or_null(message) ~ ")"
        ~ " from meta.dbt_invocations where invocation_id = " ~ sql_text(invocation_id)
        ~ " and status = 'running'"
    ) %}
{% endmacro %}


{% macro record_invocation_end() %}
    {%- if not records_invocation() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set counts = {} -%}
    {%- set failed = [] -%}
    {%- set ran = {} -%}
    {%- for result in results -%}
        {%- set status = result.status | string | lower -%}
        {%- do counts.update({status: counts.get(status, 0) + 1}) -%}
        {%- do ran.update({result.node.unique_id: status}) -%}
        {#- no-op: dbt's status for exposures, which have nothing to run -#}
        {%- if status not in ('success', 'pass', 'warn', 'no-op') -%}
            {%- do failed.append(result.node.unique_id ~ ' (' ~ status ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {#- A selected node without a result did not run: on-run-start failed, or dbt stopped early. -#}
    {%- set not_run = [] -%}
    {%- for unique_id in selected_resources if unique_id in graph.nodes and invocation_runs_node(graph.nodes[unique_id]) and unique_id not in ran -%}
        {%- do not_run.append(unique_id) -%}
    {%- endfor -%}
    {%- set message = none -%}
    {%- if not_run -%}
        {%- set message = (not_run | length) ~ " selected node(s) did not run, e.g. " ~ not_run[0] -%}
    {%- endif -%}
    {%- set status = 'success' if not failed and not not_run else 'failed' -%}

    {%- if flags.WHICH == 'build' -%}
        {% do record_invocation_relations() %}
    {%- endif -%}
    {% do record_invocation_outcome(status, tojson(counts), (failed[:10] | join('\n')) or none, message) %}
    {{ return('') }}
{% endmacro %}


{# var served_schemas as an SQL list: ('marts', 'reference'). #}
{% macro served_schemas_sql() -%}
    ({{ sql_text_list(var('served_schemas')) }})
{%- endmacro %}


{#
    The shape of what this build left: every table of the warehouse (its row count and its
    columns and types) but the meta schema's bookkeeping and what `dbt test --store-failures`
    keeps, and every view in the served schemas (its SQL). The tables under a served view are
    counted where they are stored, so a change under it (rows deleted from
    base_core__transactions under fct_transactions) shows; a view's rows are not counted: that
    would run its joins over every row (0.12 s for fct_transactions at 1M transactions, growing
    with the rows), where a table's count(*) reads its row-group headers (0.003 s).
    bankmart.publish computes the same with the same SQL
    (bankmart.invocations.current_relations) and refuses a warehouse that differs.
#}
{% macro record_invocation_relations() %}
    {{ return(adapter.dispatch('record_invocation_relations', 'bankmart')()) }}
{% endmacro %}

{#- Spark: nothing yet. The record serves `bankmart publish`, which publishes DuckDB builds. -#}
{% macro spark__record_invocation_relations() %}
{% endmacro %}

{% macro default__record_invocation_relations() %}
    {%- set listing_sql -%}
        select schema_name, table_name, 'table' as relation_type
        from duckdb_tables()
        where database_name = current_database()
            and schema_name <> 'meta'
            -- what `dbt test --store-failures` keeps: never served, and written after the build
            and schema_name not like '%dbt_test__audit'
            and not regexp_matches(table_name, '__dbt_(tmp|backup)$')
        union all
        select schema_name, view_name, 'view'
        from duckdb_views()
        where database_name = current_database()
            and schema_name in {{ served_schemas_sql() }}
            and not regexp_matches(view_name, '__dbt_(tmp|backup)$')
        order by 1, 2
    {%- endset -%}
    {%- set relations = run_query(listing_sql).rows -%}
    {%- set insert_sql -%}
        insert into meta.dbt_invocation_relations
        select {{ sql_text(invocation_id) }}, schema_name, table_name, relation_type, row_count, structure_md5
        from (
            {%- for row in relations %}
            select
                {{ sql_text(row[0]) }} as schema_name,
                {{ sql_text(row[1]) }} as table_name,
                {% if row[2] == 'table' -%}
                (select count(*) from {{ adapter.quote(row[0]) }}.{{ adapter.quote(row[1]) }})
                {%- else -%}
                cast(null as bigint)
                {%- endif %} as row_count,
            {%- if not loop.last %}
            union all
            {%- endif -%}
            {%- endfor %}
            {%- if not relations %}
            select null as schema_name, null as table_name, null as row_count where false
            {%- endif %}
        ) as counted
        join (
            select
                schema_name,
                table_name,
                'table' as relation_type,
                md5(string_agg(column_name || ' ' || data_type, ', ' order by column_index)) as structure_md5
            from duckdb_tables()
            inner join duckdb_columns() using (database_name, schema_name, table_name)
            where database_name = current_database()
            group by all
            union all
            select schema_name, view_name, 'view', md5(sql)
            from duckdb_views()
            where database_name = current_database()
        ) as shaped using (schema_name, table_name)
    {%- endset -%}
    {% do run_query(insert_sql) %}
{% endmacro %}
