{#
    Data quality by raw table, in counts BI can show (no raw values, so nothing personal): for
    each raw table, how many rows staging quarantined per reason and how many values it flagged
    per column and flag (the row kept, the value NULL or adjusted). The rows behind the counts
    are in quarantine.quarantined_rows and quarantine.data_quality_flags.
#}
with

raw_rows as (
    {%- for table in raw_contract() %}
    select '{{ table }}' as table_name, count(*) as raw_rows
    from {{ ref('base_core__' ~ table) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

quarantined as (
    select
        source_table as table_name,
        'quarantined' as outcome,
        cast(null as string) as column_name,
        reason_code as code,
        min(reason_description) as description,
        count(*) as rows
    from {{ ref('quarantined_rows') }}
    group by source_table, reason_code
),

flagged as (
    select
        source_table as table_name,
        'flagged' as outcome,
        column_name,
        flag_code as code,
        min(flag_description) as description,
        count(*) as rows
    from {{ ref('data_quality_flags') }}
    group by source_table, column_name, flag_code
),

counted as (
    select * from quarantined
    union all
    select * from flagged
),

final as (
    select
        counted.table_name,
        counted.outcome,
        counted.column_name,
        counted.code,
        counted.description,
        cast(counted.rows as bigint) as rows,
        cast(raw_rows.raw_rows as bigint) as raw_rows,
        cast(counted.rows / nullif(raw_rows.raw_rows, 0) as double) as share_of_raw_rows
    from counted
    left join raw_rows
        on counted.table_name = raw_rows.table_name
)

select * from final
