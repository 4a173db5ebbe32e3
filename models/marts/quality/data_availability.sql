{#
    What this bank's data carries, as data: one row per raw table, per raw column and per
    customer feature, saying whether it is there and whether it tells anything.

      raw_table    present when the bank delivered files for it (an absent table reads as empty);
                   rows = raw rows, values = clean rows
      raw_column   present when at least one file carries the column; values = clean rows whose
                   staged value is not NULL (transaction_time: rows with a known time of day;
                   0 for a column no file carries)
      feature      a column of customer_features; values = customers with a value (from
                   int_customer_features_profiled, which the segmentation reads directly)

    carries_information: present, at least one value, and not the same value on every row (a
    column of zeros, one month of data or a single category tells the models nothing). The
    segmentation (through int_customer_features_profiled, by the same rule, carries_information()),
    the scorecard, the build summary, the published metadata and the dashboard read this table
    to use, report and show only what the bank has.
#}
{%- set contract = raw_contract() -%}
{%- set staged_as = {
    ('transactions', 'transaction_time'): 'transaction_at',
    ('transactions', 'transaction_at'): 'transaction_date',
} -%}

with

{% for table, columns in contract.items() -%}
{%- set stg_columns = (
    adapter.get_columns_in_relation(ref('stg_core__' ~ table)) | map(attribute='name') | map('lower') | list
) if execute else [] %}
{{ table }}_stats as (
    select
        {%- for column in columns %}
        {%- set staged = staged_as.get((table, column.name), column.name) %}
        {%- if staged in stg_columns %}
        count({{ staged }}) as {{ column.name }}__values,
        coalesce(min({{ staged }}) is distinct from max({{ staged }}), false) as {{ column.name }}__varies,
        {%- else %}
        cast(null as bigint) as {{ column.name }}__values,
        cast(null as boolean) as {{ column.name }}__varies,
        {%- endif %}
        {%- endfor %}
        (select count(*) from {{ ref('base_core__' ~ table) }}) as raw_rows,
        count(*) as clean_rows
    from {{ ref('stg_core__' ~ table) }}
),

{{ table }}_file_columns as (
    select distinct column_name from {{ raw_file_columns_sql(table) }}
),

-- One row for the table (column_name NULL) and one per contract column, each reading the
-- single row of stats once: a CTE referenced once per column would be computed once per
-- column by engines that do not keep a CTE's result (Spark).
{{ table }}_objects as (
    select cast(null as string) as column_name
    {%- for column in columns %}
    union all
    select '{{ column.name }}'
    {%- endfor %}
),

{{ table }}_rows as (
    select
        case when listed.column_name is null then 'raw_table' else 'raw_column' end as object_type,
        '{{ table }}' as table_name,
        listed.column_name,
        case
            when listed.column_name is null then {{ 'true' if raw_table_is_present(table) else 'false' }}
            else file_columns.column_name is not null
        end as is_present,
        case when listed.column_name is null then stats.raw_rows else stats.clean_rows end as rows,
        case
            when listed.column_name is null then stats.clean_rows
            {%- for column in columns %}
            when listed.column_name = '{{ column.name }}' then stats.{{ column.name }}__values
            {%- endfor %}
        end as values_present,
        case
            when listed.column_name is null then stats.clean_rows > 0
            {%- for column in columns %}
            when listed.column_name = '{{ column.name }}' then stats.{{ column.name }}__varies
            {%- endfor %}
        end as varies
    from {{ table }}_objects as listed
    cross join {{ table }}_stats as stats
    left join {{ table }}_file_columns as file_columns
        on lower(listed.column_name) = file_columns.column_name
),

{% endfor -%}

feature_rows as (
    select
        'feature' as object_type,
        'customer_features' as table_name,
        feature_name as column_name,
        true as is_present,
        customers as rows,
        customers_with_value as values_present,
        varies
    from {{ ref('int_customer_features_profiled') }}
),

unioned as (
    {%- for table in contract %}
    select * from {{ table }}_rows
    union all
    {%- endfor %}
    select * from feature_rows
),

final as (
    select
        object_type,
        table_name,
        column_name,
        is_present,
        cast(rows as bigint) as rows,
        cast(case when is_present then coalesce(values_present, 0) else 0 end as bigint) as values_present,
        cast(case when is_present then coalesce(values_present, 0) else 0 end / nullif(rows, 0) as double)
            as non_null_share,
        is_present and {{ carries_information('values_present', 'varies') }} as carries_information
    from unioned
)

select * from final
