{#
    The whole-table check of an incremental build, whose other tests of the transaction chain
    look only at the rows it loaded (macros/incremental/incremental_tests.sql): the facts hold
    at least the rows the last successful build left (a kept clean row stays kept, since new
    files rank after loaded ones) and at most those plus the clean rows this build loaded.
    A row lost, or doubled, outside the new batch fails it. Both counts are cheap: the previous
    one is in meta.dbt_invocation_relations, which every build writes as it ends.

    Outside an incremental build (a full refresh, `dbt test`, a build without the transactions)
    it checks nothing: the facts may then legitimately shrink, and every other test reads the
    whole table.
#}

{%- set facts = ref('fct_transactions') %}

{%- if new_rows_scope(facts) %}

with

previous as (
    select relations.row_count,
    from meta.dbt_invocation_relations as relations
    inner join meta.dbt_invocations as invocations
        on relations.invocation_id = invocations.invocation_id
    where relations.schema_name = {{ sql_text(facts.schema) }}
        and relations.relation_name = {{ sql_text(facts.identifier) }}
        and invocations.status = 'success'
    order by invocations.invocation_seq desc
    limit 1
),

current_state as (
    select
        count(*) as row_count,
        count(*) filter (where loaded_at = {{ run_loaded_at() }}) as loaded_rows,
    from {{ facts }}
),

compared as (
    select
        previous.row_count as previous_rows,
        current_state.loaded_rows,
        current_state.row_count as current_rows,
    from current_state
    cross join previous
)

select *
from compared
where current_rows < previous_rows
    or current_rows > previous_rows + loaded_rows

{%- else %}

select
    null as previous_rows,
    null as loaded_rows,
    null as current_rows,
where false

{%- endif %}
