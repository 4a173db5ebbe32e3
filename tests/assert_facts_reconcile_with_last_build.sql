{#
    The whole-table check of an incremental build, whose other tests of the transaction and
    balance chains look only at the rows it loaded (macros/incremental/incremental_tests.sql):
    each incremental fact holds at least the rows the last successful build left (a kept clean
    row stays kept, since new files rank after loaded ones) and at most those plus the clean
    rows this build loaded. A row lost, or doubled, outside the new batch fails it. Both counts
    are cheap: the previous one is in meta.dbt_invocation_relations, which every build writes
    as it ends. Returns one row per fact whose count is out of bounds.

    A fact is checked only in an incremental build that loaded its base model (new_rows_scope());
    otherwise (a full refresh, `dbt test`, a build without that base model) the fact may
    legitimately shrink, and every other test reads the whole table.
#}

{%- set checked = [] -%}
{%- for fact in [ref('fct_transactions'), ref('fct_account_balances_monthly')] -%}
{%- if new_rows_scope(fact) -%}
{%- do checked.append(fact) -%}
{%- endif -%}
{%- endfor %}

{%- if checked %}

with

{%- for fact in checked %}

previous_{{ loop.index }} as (
    select relations.row_count,
    from meta.dbt_invocation_relations as relations
    inner join meta.dbt_invocations as invocations
        on relations.invocation_id = invocations.invocation_id
    where relations.schema_name = {{ sql_text(fact.schema) }}
        and relations.relation_name = {{ sql_text(fact.identifier) }}
        and invocations.status = 'success'
    order by invocations.invocation_seq desc
    limit 1
),

current_{{ loop.index }} as (
    select
        count(*) as row_count,
        count(*) filter (where loaded_at = {{ run_loaded_at() }}) as loaded_rows,
    from {{ fact }}
),
{%- endfor %}

compared as (
    {%- for fact in checked %}
    select
        {{ sql_text(fact.identifier) }} as fact_name,
        previous_{{ loop.index }}.row_count as previous_rows,
        current_{{ loop.index }}.loaded_rows,
        current_{{ loop.index }}.row_count as current_rows,
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
    null as previous_rows,
    null as loaded_rows,
    null as current_rows,
where false

{%- endif %}
