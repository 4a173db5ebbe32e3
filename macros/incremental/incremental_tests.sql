{#
    Data tests of an incremental build check what the build loaded, not everything again.

    A model whose YAML sets `meta: {incremental_tests: new_rows, loaded_by: <base model>}` (the
    transaction chain: base_core__transactions and the views over it; the balance chain:
    base_core__account_balances and its views) has its data tests limited to the rows this build
    loaded (loaded_at = the run's load time; rows of earlier loads that a new row was ranked
    with are loaded again, so they are in) when all of these hold:

      - the command is `dbt build` without --full-refresh;
      - the model and its loaded_by base model, which stamps loaded_at, were both selected (a
        build that did not load cannot say what is new);
      - the test is not a key test (unique, is_unique_combination) and does not set
        `meta: {incremental_tests: whole_table}`.

    Everything else (a full refresh, a first build, whose rows are all new anyway, `dbt test`,
    a build that left the base model out) tests every row. Key tests always run on the whole
    table, and assert_facts_reconcile_with_last_build checks the whole table under each fact
    against the previous green build's row count, so rows that were lost or doubled outside the
    new batch are still caught.
#}
{% macro new_rows_scope(relation) -%}
    {%- if not execute or flags.WHICH != 'build' or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set test_meta = config.get('meta') or {} -%}
    {%- set test_name = test_metadata_name() -%}
    {%- if test_meta.get('incremental_tests') == 'whole_table' or test_name in ('unique', 'is_unique_combination') -%}
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
    {{ return('loaded_at = ' ~ run_loaded_at()) }}
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
