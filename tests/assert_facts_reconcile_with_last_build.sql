{#
    The whole-table check of an incremental build, whose other tests of the transaction and
    balance chains look only at the rows loaded since the last whole green build
    (macros/incremental/incremental_tests.sql): the table that stores each incremental fact's
    rows (its base model: the fact and the staging view are views over it) holds at least the
    rows the last successful build left (a loaded row is only ever replaced, by its re-ranked
    copy, never dropped) and at most those plus the rows loaded after it (by this build, and by
    any build since that failed or was stopped: a killed build's rows are counted, not
    blamed). A row lost, or doubled, outside those fails it. The counts are cheap: the
    earlier one is in meta.dbt_invocation_relations, which every build writes as it ends, and
    the current ones read the stored table's loaded_at column alone (counting through the fact
    view would run its dimension joins). Returns one row per fact whose stored rows are out of
    bounds.

    A fact is checked only in an incremental build that loaded its base model (new_rows_scope());
    otherwise (a full refresh, `dbt test`, a build without that base model) the table may
    legitimately shrink, and every other test reads the whole table.
#}

{%- set checked = [] -%}
{%- for fact, stored in [
    (ref('fct_transactions'), ref('base_core__transactions')),
    (ref('fct_account_balances_monthly'), ref('base_core__account_balances')),
] -%}
{%- if new_rows_scope(fact) -%}
{%- do checked.append((fact, stored)) -%}
{%- endif -%}
{%- endfor %}

{%- if checked %}

with

{%- for fact, stored in checked %}

previous_{{ loop.index }} as (
    select
        relations.row_count,
        -- the load time of the rows that build loaded (run_loaded_at())
        invocations.started_at
    from meta.dbt_invocation_relations as relations
    inner join meta.dbt_invocations as invocations
        on relations.invocation_id = invocations.invocation_id
    where relations.schema_name = {{ sql_text(stored.schema) }}
        and relations.relation_name = {{ sql_text(stored.identifier) }}
        and invocations.status = 'success'
    order by invocations.invocation_seq desc
    limit 1
),

current_{{ loop.index }} as (
    select
        count(*) as row_count,
        count(*) filter (where stored.loaded_at > previous_{{ loop.index }}.started_at) as loaded_rows
    from {{ stored }} as stored
    cross join previous_{{ loop.index }}
),
{%- endfor %}

compared as (
    {%- for fact, stored in checked %}
    select
        {{ sql_text(fact.identifier) }} as fact_name,
        {{ sql_text(stored.identifier) }} as stored_in,
        previous_{{ loop.index }}.row_count as previous_rows,
        current_{{ loop.index }}.loaded_rows,
        current_{{ loop.index }}.row_count as current_rows
    from current_{{ loop.index }}
    cross join previous_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *
from compared
where current_rows < previous_rows
    or current_rows > previous_rows + loaded_rows

{%- else %}

select
    null as fact_name,
    null as stored_in,
    null as previous_rows,
    null as loaded_rows,
    null as current_rows
where false

{%- endif %}
