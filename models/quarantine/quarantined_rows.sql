{#
    Every raw row that staging did not let through, with the reason and the original values.
    Together with the stg_core__ models it accounts for every raw row exactly once: the
    raw_rows_reconcile test on each source follows every raw row, by the fingerprint of its raw
    values, into exactly one of the two.
#}
{%- set raw_tables = raw_contract().keys() | list -%}

with

{% for raw_table in raw_tables -%}
{{ raw_table }} as (
    select
        '{{ raw_table }}' as source_table,
        source_row_key,
        source_file_name,
        quarantine_reason as reason_code,
        quarantine_detail as reason_detail,
        raw_record,
        row_fingerprint
    from {{ ref('base_core__' ~ raw_table) }}
    where quarantine_reason is not null
),

{% endfor -%}

quarantine_reasons as (select * from {{ ref('quarantine_reasons') }}),

rejected as (
    {%- for raw_table in raw_tables %}
    select * from {{ raw_table }}
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
),

final as (
    select
        rejected.source_table,
        rejected.source_row_key,
        rejected.reason_code,
        rejected.reason_detail,
        quarantine_reasons.description as reason_description,
        rejected.raw_record,
        rejected.source_file_name,
        rejected.row_fingerprint
    from rejected
    left join quarantine_reasons
        on rejected.reason_code = quarantine_reasons.reason_code
)

select * from final
