{#
    Data tests of an incremental build check what has not been through a green build's tests,
    not everything again.

    A model whose YAML sets `meta: {incremental_tests: new_rows, loaded_by: <base model>}` (the
    transaction chain: base_core__transactions and the views over it; the balance chain:
    base_core__account_balances and its views) has its data tests limited to the rows loaded
    since the last whole green build (loaded_at later than that build's load time,
    last_green_build_loaded_at(); rows of earlier loads that a new row was ranked with are
    loaded again, so they are in) when all of these hold:

      - the command is `dbt build` without --full-refresh;
      - the model and its loaded_by base model, which stamps loaded_at, were both selected (a
        build that did not load cannot say what is new);
      - the test does not set `meta: {incremental_tests: whole_table}`.

    A key test (unique, is_unique_combination: duplicate_keys()) reads every row, but looks
    for repeats only among the keys of those rows: a key loaded since then that repeats a key
    of any row, old or new, fails it. A repeat among rows that all passed a whole green
    build's key test is not looked for again; rows are only ever replaced by a load (which
    stamps them anew), and the count check below catches rows doubled outside one.

    Since the last whole green build, not since the last build: a build that loaded rows and
    then failed, was killed or left its tests out never passed them, so the next build tests
    those rows too. Normally the last whole green build is the previous build, and the scope is
    the rows this build loaded.

    Everything else (a full refresh, a first build, whose rows are all new anyway, `dbt test`,
    a build that left the base model out) tests every row.
    assert_facts_reconcile_with_last_build checks the whole table under each fact against the
    last successful build's row count and the rows loaded since, so rows that were lost or
    doubled outside the new batch are still caught.
#}
{% macro new_rows_scope(relation, key_test=false) -%}
    {%- if not execute or flags.WHICH != 'build' or flags.FULL_REFRESH or relation is string -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set test_meta = config.get('meta') or {} -%}
    {%- if test_meta.get('incremental_tests') == 'whole_table' -%}
        {{ return(none) }}
    {%- endif -%}
    {#- a key test reads every row: duplicate_keys() narrows it to the new rows' keys -#}
    {%- if not key_test and test_metadata_name() in ('unique', 'is_unique_combination') -%}
        {{ return(none) }}
    {%- endif -%}
    {#- the project's models are named as their tables (no aliases): one lookup, not a scan of
        the graph for every test -#}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ ((relation.identifier or '') | lower)) -%}
    {%- if node is none
        or node.unique_id not in selected_resources
        or (node.config.meta or {}).get('incremental_tests') != 'new_rows'
        or node.schema | lower != (relation.schema or '') | lower -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set loaded_by = (node.config.meta or {}).get('loaded_by') -%}
    {%- set loader = graph.nodes.get('model.' ~ project_name ~ '.' ~ loaded_by) if loaded_by else none -%}
    {#- a loader that is not incremental (a table) loads every row -#}
    {%- if loader is none or loader.unique_id not in selected_resources or loader.config.materialized != 'incremental' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('loaded_at > ' ~ last_green_build_loaded_at()) }}
{%- endmacro %}


{#
    SQL for the load time (run_loaded_at()) of the last whole green build of this warehouse, as
    meta.dbt_invocations records it (macros/dbt_invocations.sql): a `dbt build` that selected
    every model, seed, snapshot and test of the project (no --select, --exclude, --selector or
    resource-type filter that drops any; not --empty or --sample) and ended with every node
    green. The rows it loaded carry that loaded_at; rows with a later one have not passed such a
    build's tests. Before any such build, a time earlier than any row's, so every row is in.
#}
{% macro last_green_build_loaded_at() -%}
    coalesce(
        (
            select max(started_at)
            from meta.dbt_invocations
            where command = 'build'
                and status = 'success'
                and selected_nodes = project_nodes
                and not is_empty
                and not is_sample
        ),
        cast('1900-01-01 00:00:00' as timestamp)
    )
{%- endmacro %}


{#
    dbt's own hook for a test's `where` config, extended with new_rows_scope(): the tested
    relation is wrapped in a filtered subquery when either applies.
#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scope = new_rows_scope(relation) -%}
    {%- if scope -%}
        {%- do conditions.append(scope) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{# The name of the generic test being compiled (unique, not_null, ...), or none. #}
{% macro test_metadata_name() -%}
    {%- set node = model if model is mapping else none -%}
    {{ return(((node or {}).get('test_metadata') or {}).get('name')) }}
{%- endmacro %}
