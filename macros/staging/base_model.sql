{#
    The scaffold of every staging base model, written once. A base model declares what is its
    own and calls staging_base_model():

        table        the raw table (models/staging/core/_core__sources.yml)
        key          the key columns (names of typed columns); rows sharing a key are ranked
        typed        [(name, expression), ...] over the raw_<column> values, in order; an
                     expression may use the names defined before it, the as-of columns
                     (as_of_timestamp, as_of_date) and date_order__<column> for each column of
                     date_columns
        date_columns raw date columns whose day/month order base_core__date_orders decides
        lookups      [(relation, alias, join condition, [(name, expression), ...]), ...]: left
                     joins to small tables (codes, clean parents) after typing; `typed` is the
                     alias of the typed row
        checks       [(condition, reason_code, detail), ...]: the quarantine rules, in priority
                     order (the first that holds decides); only keys and required values
        attributes   [(name, value, [(condition, flag, detail), ...]), ...]: optional values; a
                     value that fails one of its checks becomes NULL and the row stays clean,
                     with the flag recorded (no cascade: a bad birth date never rejects the
                     customer)
        flags        [(column, condition, flag, detail), ...]: notes on clean rows whose value
                     is kept (an amount rounded to the currency's minor unit, ...)
        columns      [(name, expression), ...]: the model's own output columns, in order
        row_key      expression identifying the raw row (default: the raw key text, columns
                     joined by '|')
        row_key_for_clean_rows
                     false for the large tables: a clean row's cleaned key identifies it, and
                     storing every id twice costs a tenth of their build
        data_window  true for activity tables: their rows get window_start (the first day of
                     base_core__data_window) for check_data_window()
        incremental  true for the tables loaded file by file, transactions and account balances
                     (see macros/incremental/incremental_loads.sql); on Spark, where a build
                     replaces whole partitions (one per raw file: column source_file_key),
                     the untouched rows of an older file whose rows a new file's duplicates
                     rank again are written back

    The chain, the same for every table:
      raw rows -> typed -> looked up -> checked (first failing check) -> ranked within the key
      (only rows whose key another row shares go through a window: found by sorting key hashes,
      so nearly every row streams from the files to the table) -> quarantine reason (duplicates
      after the row's own issue) -> judged (attribute checks, data-quality flags) -> final.

    Output columns after the model's own: source_row_key, source_file_name, quarantine_reason,
    quarantine_detail, dq_flags ('column:flag;...', NULL when none; clean rows only), dq_detail
    (the flags in words, separated by ' | '), raw_record (JSON of the raw values, for quarantined
    and flagged rows), row_fingerprint (the hash of every raw value: the row's identity, which the
    raw_rows_reconcile test follows from file to clean or quarantined row), and for incremental
    tables the bookkeeping columns the next build ranks with (source_file_row_number, row_issue,
    row_issue_detail, loaded_at).
#}
{% macro staging_base_model(
    table,
    key,
    typed,
    checks,
    columns,
    attributes=[],
    flags=[],
    lookups=[],
    date_columns=[],
    row_key=none,
    row_key_for_clean_rows=true,
    data_window=false,
    incremental=false
) -%}

{%- set typed_by_name = {} -%}
{%- for name, expression in typed -%}
    {%- do typed_by_name.update({name: expression}) -%}
{%- endfor -%}
{%- set key_expressions = [] -%}
{%- for column in key -%}
    {%- do key_expressions.append(typed_by_name[column]) -%}
{%- endfor -%}

{%- set plan = raw_load_plan(table) if incremental and is_incremental() else none -%}
{#- A reload is a full read into the emptied table (see reset_when_raw_reload). -#}
{%- set loads_new_files_only = plan is not none and not plan.reload -%}
{%- set partitioned_by_file = incremental and 'source_file_key' in (config.get('partition_by') or []) -%}
{%- set raw_relation = raw_source_files('core', table, plan.files, prefix='raw_') if loads_new_files_only else raw_source('core', table, prefix='raw_') -%}

{#- The raw rows, written out where they are read: a CTE read twice would be stored whole. -#}
{%- set as_of = as_of_timestamp() -%}
{%- set raw_rows -%}
    (
        select
            raw_rows.*,
            {%- for column in date_columns %}
            date_orders.date_order__{{ column }},
            {%- endfor %}
            {%- if data_window %}
            data_window.window_start,
            {%- endif %}
            {{ as_of }} as as_of_timestamp,
            cast({{ as_of }} as date) as as_of_date
        from {{ raw_relation }} as raw_rows
        {%- if date_columns %}
        cross join {{ date_order_pivot(table, date_columns) }} as date_orders
        {%- endif %}
        {%- if data_window %}
        cross join (
            select coalesce(max(window_start), cast('1900-01-01' as date)) as window_start
            from {{ ref('base_core__data_window') }}
        ) as data_window
        {%- endif %}
    )
{%- endset -%}
{%- set key_hash = hash_values(key_expressions) -%}
{%- set typed_key = [] -%}
{%- for column in key -%}
    {%- do typed_key.append('typed.' ~ column) -%}
{%- endfor -%}
{%- set typed_key_hash = hash_values(typed_key) -%}
{%- set all_flags = [] -%}
{%- for name, value, attribute_checks in attributes -%}
    {%- for condition, flag, detail in attribute_checks -%}
        {%- do all_flags.append((name, condition, flag, detail)) -%}
    {%- endfor -%}
{%- endfor -%}
{%- for flag in flags -%}
    {%- do all_flags.append(flag) -%}
{%- endfor -%}

with

-- The keys more than one row carries, as 8-byte hashes found by one sort: only their rows need
-- ranking. A hash collision only sends a few more rows through the ranking, which partitions by
-- the key itself.
duplicate_keys as (
    {{ repeated_hashes(key_hash, raw_rows ~ ' as raw_rows') }}
    {%- if loads_new_files_only %}
    -- and the new keys that are already loaded
    union
    select {{ hash_values(key) }}
    from {{ this }}
    where {{ hash_values(key) }} in (
        select {{ key_hash }}
        from {{ raw_rows }} as raw_rows
    )
    {%- endif %}
),

{#- The same typing and checks for rows whose key is unique and rows whose key is shared
    (few); written out twice so each streams from the files. #}
{%- for rows in ['unique', 'duplicated'] %}

{{ rows }}_typed as (
    select
        raw_rows.*,
        {%- for name, expression in typed %}
        {{ expression }} as {{ name }},
        {%- endfor %}
        {{ row_fingerprint('core', table, prefix='raw_') }} as row_fingerprint
    from {{ raw_rows }} as raw_rows
    {%- if rows == 'duplicated' %}
    where {{ key_hash }} in (select key_hash from duplicate_keys)
    {%- endif %}
),

{{ rows }}_checked as (
    select
        *,
        {{ first_issue_code(checks) }} as row_issue,
        {{ first_issue_detail(checks) }} as row_issue_detail,
        false as is_loaded
    from (
        select
            typed.*
            {%- for relation, alias, condition, lookup_columns in lookups %}
            {%- for name, expression in lookup_columns %},
            {{ expression }} as {{ name }}
            {%- endfor %}
            {%- endfor %}
        from {{ rows }}_typed as typed
        {%- if rows == 'unique' %}
        anti join duplicate_keys
            on {{ typed_key_hash }} = duplicate_keys.key_hash
        {%- endif %}
        {%- for relation, alias, condition, lookup_columns in lookups %}
        left join {{ relation }} as {{ alias }}
            on {{ condition }}
        {%- endfor %}
    ) as looked_up
),
{%- endfor %}

{%- if loads_new_files_only %}

-- Loaded rows that share a key with a new row: ranked again together with the new rows. A kept
-- clean row stays kept, because new files sort after loaded ones (else the plan reloads).
previous as (
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        {%- for name, expression in columns if name not in key %}
        {{ name }} as loaded__{{ name }},
        {%- endfor %}
        source_row_key as loaded__source_row_key,
        dq_flags as loaded__dq_flags,
        dq_detail as loaded__dq_detail,
        raw_record as loaded__raw_record,
        source_file_name,
        source_file_row_number,
        row_fingerprint,
        row_issue,
        row_issue_detail,
        true as is_loaded
    from {{ this }}
    -- a loaded row without a key is never replaced (delete+insert matches keys), so it is
    -- never read back either
    where {% for column in key %}{{ column }} is not null and {% endfor %}{{ hash_values(key) }} in (select key_hash from duplicate_keys)
),
{%- endif %}

{%- set unique_rows = 'unique_checked' -%}
{%- if loads_new_files_only -%}
    {#- the columns of both sides, for engines without UNION ALL BY NAME -#}
    {%- set checked_columns = [] -%}
    {%- for column in raw_columns('core', table) -%}
        {%- do checked_columns.append('raw_' ~ column.name) -%}
    {%- endfor -%}
    {%- do checked_columns.extend(['source_file_name', 'source_file_row_number']) -%}
    {%- for column in date_columns -%}
        {%- do checked_columns.append('date_order__' ~ column) -%}
    {%- endfor -%}
    {%- if data_window -%}
        {%- do checked_columns.append('window_start') -%}
    {%- endif -%}
    {%- do checked_columns.extend(['as_of_timestamp', 'as_of_date']) -%}
    {%- for name, expression in typed -%}
        {%- do checked_columns.append(name) -%}
    {%- endfor -%}
    {%- do checked_columns.append('row_fingerprint') -%}
    {%- for relation, alias, condition, lookup_columns in lookups -%}
        {%- for name, expression in lookup_columns -%}
            {%- do checked_columns.append(name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do checked_columns.extend(['row_issue', 'row_issue_detail', 'is_loaded']) -%}
    {%- set previous_columns = key | list -%}
    {%- for name, expression in columns if name not in key -%}
        {%- do previous_columns.append('loaded__' ~ name) -%}
    {%- endfor -%}
    {%- do previous_columns.extend(['loaded__source_row_key', 'loaded__dq_flags', 'loaded__dq_detail',
        'loaded__raw_record', 'source_file_name', 'source_file_row_number', 'row_fingerprint', 'row_issue',
        'row_issue_detail', 'is_loaded']) -%}
    {%- set sharing_a_key = '(' ~ union_all_of_columns('duplicated_checked', checked_columns, 'previous', previous_columns) ~ ') as sharing_a_key' -%}
    {%- set unique_rows = columns_of_union('unique_checked', checked_columns, previous_columns) -%}
{%- else -%}
    {%- set sharing_a_key = 'duplicated_checked' -%}
{%- endif %}

ranked as (
    {{ rank_shared_keys(unique_rows, sharing_a_key, key, tie_break=raw_text_digest('core', table, 'raw_')) }}
),

flagged as (
    select
        *,
        {{ quarantine_reason(key) }} as quarantine_reason,
        {{ quarantine_detail(key) }} as quarantine_detail
    from ranked
),

judged as (
    select
        *,
        {%- for name, value, attribute_checks in attributes %}
        case
            when {% for condition, flag, detail in attribute_checks %}({{ condition }}){{ ' or ' if not loop.last }}{% endfor %}
                then null
            else {{ value }}
        end as {{ name }},
        {%- endfor %}
        {#- a clean row without any flag (nearly every row) skips building the two texts #}
        {%- set any_flag -%}
            ({% for column, condition, flag, detail in all_flags %}({{ condition }}){{ ' or ' if not loop.last }}{% endfor %})
        {%- endset %}
        case
            when quarantine_reason is null{{ (' and ' ~ any_flag) if all_flags }}
                then nullif(concat_ws(';'
                    {%- for column, condition, flag, detail in all_flags %},
                    case when {{ condition }} then '{{ column }}:{{ flag }}' end
                    {%- endfor %}
                ), '')
        end as dq_flags,
        case
            when quarantine_reason is null{{ (' and ' ~ any_flag) if all_flags }}
                then nullif(concat_ws(' | '
                    {%- for column, condition, flag, detail in all_flags %},
                    case when {{ condition }} then coalesce({{ detail }}, '{{ column }} flagged {{ flag }}') end
                    {%- endfor %}
                ), '')
        end as dq_detail
    from flagged
),

final as (
    select
        {%- for name, expression in columns %}
        {%- if loads_new_files_only and name not in key %}
        case when is_loaded then loaded__{{ name }} else {{ expression }} end as {{ name }},
        {%- else %}
        {{ expression }} as {{ name }},
        {%- endif %}
        {%- endfor %}
        {%- set raw_key_parts = [] -%}
        {%- for column in key -%}
            {%- do raw_key_parts.append("cast(raw_" ~ column ~ " as string)" if loop.first else "coalesce(cast(raw_" ~ column ~ " as string), '')") -%}
        {%- endfor %}
        {%- set row_key_expression = row_key or (raw_key_parts | join(" || '|' || ")) %}
        {%- if loads_new_files_only or not row_key_for_clean_rows %}
        case
            {%- if loads_new_files_only %}
            when is_loaded then loaded__source_row_key
            {%- endif %}
            {%- if not row_key_for_clean_rows %}
            when quarantine_reason is null and dq_flags is null then null
            {%- endif %}
            else {{ row_key_expression }}
        end as source_row_key,
        {%- else %}
        {{ row_key_expression }} as source_row_key,
        {%- endif %}
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        {%- if loads_new_files_only %}
        case when is_loaded then loaded__dq_flags else dq_flags end as dq_flags,
        case when is_loaded then loaded__dq_detail else dq_detail end as dq_detail,
        {%- else %}
        dq_flags,
        dq_detail,
        {%- endif %}
        case
            {%- if loads_new_files_only %}
            when is_loaded then loaded__raw_record
            {%- endif %}
            when quarantine_reason is null and dq_flags is null then null
            else {{ raw_record_json('core', table, prefix='raw_') }}
        end as raw_record,
        row_fingerprint
        {%- if incremental %},
        source_file_row_number,
        row_issue,
        row_issue_detail,
        {{ run_loaded_at() }} as loaded_at
        {%- if partitioned_by_file %},
        {{ hash_values(['source_file_name']) }} as source_file_key
        {%- endif %}
        {%- endif %}
    from judged
)

select * from final
{%- if loads_new_files_only and overwrites_partitions() %}
{#- insert_overwrite (Spark) replaces each partition the build writes, one per raw file (its
    source_file_key, a hash of the path: a partition folder named by the path itself could pass
    the file system's name length): the loaded rows of those partitions, apart from the rows
    `previous` ranked again, are written back as they are. The partitions written are the new
    files' and the files `previous` reads from (any other file whose hash collides with one of
    them is written back whole). -#}
{%- set output_columns = [] -%}
{%- for name, expression in columns -%}
    {%- do output_columns.append(name) -%}
{%- endfor -%}
{%- do output_columns.extend(['source_row_key', 'source_file_name', 'quarantine_reason', 'quarantine_detail',
    'dq_flags', 'dq_detail', 'raw_record', 'row_fingerprint', 'source_file_row_number', 'row_issue',
    'row_issue_detail', 'loaded_at', 'source_file_key']) %}
{%- set new_file_keys = [] -%}
{%- for file in plan.files -%}
    {%- do new_file_keys.append(hash_values([sql_text(file)])) -%}
{%- endfor %}
union all
select
    {{ output_columns | join(', ') }}
from {{ this }}
where (
        source_file_key in (select distinct {{ hash_values(['previous.source_file_name']) }} from previous)
        {%- if new_file_keys %}
        or source_file_key in ({{ new_file_keys | join(', ') }})
        {%- endif %}
    )
    and not coalesce({% for column in key %}{{ column }} is not null and {% endfor %}{{ hash_values(key) }} in (select key_hash from duplicate_keys), false)
{%- endif %}
{%- endmacro %}


{#
    One row holding the day/month order of each date column of a raw table, as decided by
    base_core__date_orders: columns date_order__<column>. Always exactly one row (an aggregate
    without GROUP BY), so a cross join never drops the raw rows; a column the model knows
    nothing about reads as the fallback order.
#}
{% macro date_order_pivot(table, columns) -%}
    (
        select
            {%- for column in columns %}
            coalesce(
                max(case when column_name = '{{ column }}' then date_order end),
                '{{ fallback_date_order() }}'
            ) as date_order__{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ ref('base_core__date_orders') }}
        where table_name = '{{ table }}'
    )
{%- endmacro %}


{#
    The parent rows a child row refers to, as a lookups entry of staging_base_model(): columns
    <prefix>_is_clean (a clean parent row carries the key) and <prefix>_parent_reason (else why
    its rows were quarantined: the first reason in code order; NULL when no row carries the key),
    so a child rejected because of its parent can say which parent and why. `carry` names columns
    of the clean parent row to bring along (<prefix>_<column>).
#}
{% macro parent_lookup(base_model, key_column, prefix, child_expression, carry=[]) -%}
    {%- set relation -%}
        (
            select
                {{ key_column }} as parent_key,
                bool_or(quarantine_reason is null) as is_clean,
                min(quarantine_reason) as parent_reason
                {%- for column in carry %},
                min({{ column }}) filter (where quarantine_reason is null) as {{ column }}
                {%- endfor %}
            from {{ ref(base_model) }}
            where {{ key_column }} is not null
            group by {{ key_column }}
        )
    {%- endset -%}
    {{ return((
        relation,
        prefix ~ '_parents',
        child_expression ~ ' = ' ~ prefix ~ '_parents.parent_key',
        [
            (prefix ~ '_is_clean', prefix ~ '_parents.is_clean'),
            (prefix ~ '_parent_reason', 'case when not ' ~ prefix ~ '_parents.is_clean then ' ~ prefix ~ '_parents.parent_reason end'),
        ] + carry_columns(prefix, carry)
    )) }}
{%- endmacro %}

{% macro carry_columns(prefix, carry) -%}
    {%- set out = [] -%}
    {%- for column in carry -%}
        {%- do out.append((prefix ~ '_' ~ column, prefix ~ '_parents.' ~ column)) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}


{# A code lookup of stg_reference__code_lookups, as a lookups entry of staging_base_model(). #}
{% macro code_lookup(code_set, alias, key_expression, code_column) -%}
    {{ return((
        ref('stg_reference__code_lookups'),
        alias,
        alias ~ ".code_set = '" ~ code_set ~ "' and " ~ key_expression ~ " = " ~ alias ~ ".lookup_key",
        [(code_column, alias ~ '.code')]
    )) }}
{%- endmacro %}
