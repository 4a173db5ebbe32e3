{#
    Proves that staging loses and invents nothing for one raw table: every raw row is either a
    clean row of the staging model or a quarantined row, never both, never neither. Applied to a
    source table:

        data_tests:
          - raw_rows_reconcile:
              arguments:
                clean_model: ref('stg_core__transactions')
                quarantine_model: ref('quarantined_rows')
                source_table: transactions

    Fails with one row holding the three counts when count(raw) <> count(clean) +
    count(quarantined for source_table).
#}
{% test raw_rows_reconcile(model, clean_model, quarantine_model, source_table) %}

with

raw_rows as (
    select count(*) as row_count from {{ model }}
),

clean_rows as (
    select count(*) as row_count from {{ clean_model }}
),

quarantined_rows as (
    select count(*) as row_count
    from {{ quarantine_model }}
    where source_table = '{{ source_table }}'
),

compared as (
    select
        '{{ source_table }}' as source_table,
        raw_rows.row_count as raw_row_count,
        clean_rows.row_count as clean_row_count,
        quarantined_rows.row_count as quarantined_row_count,
    from raw_rows
    cross join clean_rows
    cross join quarantined_rows
)

select *
from compared
where raw_row_count <> clean_row_count + quarantined_row_count

{% endtest %}
