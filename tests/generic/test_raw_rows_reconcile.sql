{#
    Proves that staging loses and invents nothing for one raw table, row by row: every raw row
    (identified by the fingerprint of all its raw values, duplicates counted) is either a clean
    row of the base model or a quarantined row, never both, never neither. Applied to a source
    table:

        data_tests:
          - raw_rows_reconcile:
              arguments:
                base_model: ref('base_core__transactions')
                quarantine_model: ref('quarantined_rows')
                source_table: transactions

    Fails with one row per fingerprint whose count differs: raw_rows (in the files) against
    clean_rows (base rows with no quarantine reason) and quarantined_rows. A raw table the bank
    does not have reads as no rows on every side. The stg_core__ view is the base model's clean
    rows, and quarantined_rows its rejected ones; the count test on each view (stg + quarantined
    = raw) is implied. On an incremental build, only the files the build loaded are reconciled
    (new_rows_scope(), macros/incremental/incremental_tests.sql).
#}
{% test raw_rows_reconcile(model, base_model, quarantine_model, source_table) %}

{#- On an incremental build of an incremental base model, the files this build loaded (see
    new_rows_scope()): rows of earlier files were reconciled when they were loaded. -#}
{%- set files = none -%}
{%- if new_rows_scope(base_model) -%}
    {%- set listing -%}
        select distinct source_file_name
        from {{ base_model }}
        where loaded_at = {{ run_loaded_at() }}
        order by 1
    {%- endset -%}
    {%- set files = run_query(listing).columns[0].values() | list -%}
    {%- set file_filter = 'source_file_name in (' ~ sql_text_list(files) ~ ')' if files else 'false' -%}
{%- endif %}

with

raw_rows as (
    select
        {{ row_fingerprint('core', source_table) }} as row_fingerprint,
        count(*) as row_count,
    {%- if files is none %}
    from {{ raw_source('core', source_table) }} as raw
    {%- else %}
    from {{ raw_source_files('core', source_table, files) }} as raw
    {%- endif %}
    group by 1
),

clean_rows as (
    select
        row_fingerprint,
        count(*) as row_count,
    from {{ base_model }}
    where quarantine_reason is null
    {%- if files is not none %}
        and {{ file_filter }}
    {%- endif %}
    group by 1
),

quarantined_rows as (
    select
        row_fingerprint,
        count(*) as row_count,
    from {{ quarantine_model }}
    where source_table = '{{ source_table }}'
    {%- if files is not none %}
        and {{ file_filter }}
    {%- endif %}
    group by 1
),

compared as (
    select
        '{{ source_table }}' as source_table,
        coalesce(raw_rows.row_fingerprint, clean_rows.row_fingerprint, quarantined_rows.row_fingerprint)
            as row_fingerprint,
        coalesce(raw_rows.row_count, 0) as raw_rows,
        coalesce(clean_rows.row_count, 0) as clean_rows,
        coalesce(quarantined_rows.row_count, 0) as quarantined_rows,
    from raw_rows
    full outer join clean_rows
        on raw_rows.row_fingerprint = clean_rows.row_fingerprint
    full outer join quarantined_rows
        on coalesce(raw_rows.row_fingerprint, clean_rows.row_fingerprint) = quarantined_rows.row_fingerprint
)

select *
from compared
where raw_rows <> clean_rows + quarantined_rows

{% endtest %}
