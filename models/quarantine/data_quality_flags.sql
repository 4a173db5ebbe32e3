{#
    Every value staging could not use on a row it kept: one row per raw row and flagged column,
    with the flag, the detail and the original values. The row itself is in its stg_core__ model
    (the value NULL, or kept and noted, as the flag says); nothing was rejected. Counts by table,
    column and flag, without the raw values, are in marts.mart_data_quality.
#}
{%- set raw_tables = raw_contract().keys() | list -%}

with

{% for raw_table in raw_tables -%}
{{ raw_table }} as (
    select
        '{{ raw_table }}' as source_table,
        source_row_key,
        source_file_name,
        dq_flags,
        dq_detail,
        raw_record
    from {{ ref('base_core__' ~ raw_table) }}
    where quarantine_reason is null
        and dq_flags is not null
),

{% endfor -%}

flagged as (
    {%- for raw_table in raw_tables %}
    select * from {{ raw_table }}
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
),

-- One row per flag: dq_flags and dq_detail list them in the same order.
exploded as (
    select
        source_table,
        source_row_key,
        source_file_name,
        raw_record,
        {{ unnest_side_by_side(
            [split_text('dq_flags', ';'), split_text('dq_detail', ' | ')], ['column_flag', 'flag_detail']
        ) }}
    from flagged
),

flag_descriptions as (select * from {{ ref('data_quality_flag_codes') }}),

final as (
    select
        exploded.source_table,
        exploded.source_row_key,
        split_part(exploded.column_flag, ':', 1) as column_name,
        split_part(exploded.column_flag, ':', 2) as flag_code,
        exploded.flag_detail,
        flag_descriptions.description as flag_description,
        exploded.raw_record,
        exploded.source_file_name
    from exploded
    left join flag_descriptions
        on split_part(exploded.column_flag, ':', 2) = flag_descriptions.flag_code
)

select * from final
