{#
    What this bank's data carries, as data: one row per raw table, per raw column and per
    customer feature, saying whether it is there and whether it tells anything.

      raw_table    present when the bank delivered files for it (an absent table reads as empty);
                   rows = raw rows, values = clean rows
      raw_column   present when at least one file carries the column; values = clean rows whose
                   staged value is not NULL (transaction_time: rows with a known time of day;
                   0 for a column no file carries)
      feature      a column of customer_features; values = customers with a value

    carries_information: present, at least one value, and not the same value on every row (a
    column of zeros, one month of data or a single category tells the models nothing). The
    segmentation, the scorecard, the build summary, the published metadata and the dashboard
    read this table to use, report and show only what the bank has.
#}
{%- set contract = raw_contract() -%}
{%- set staged_as = {
    ('transactions', 'transaction_time'): 'transaction_at',
    ('transactions', 'transaction_at'): 'transaction_date',
} -%}
{%- set feature_relation = ref('customer_features') -%}
{%- set not_features = ('customer_id', 'city', 'occupation', 'age_band', 'observation_end_date') -%}
{%- set feature_columns = (
    adapter.get_columns_in_relation(feature_relation) | map(attribute='name') | reject('in', not_features) | list
) if execute else [] -%}

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
    select * from {{ raw_file_columns_sql(table) }}
),

{{ table }}_rows as (
    select
        'raw_table' as object_type,
        '{{ table }}' as table_name,
        cast(null as string) as column_name,
        {{ 'true' if raw_table_is_present(table) else 'false' }} as is_present,
        raw_rows as rows,
        clean_rows as values_present,
        clean_rows > 0 as varies
    from {{ table }}_stats
    {%- for column in columns %}
    union all
    select
        'raw_column' as object_type,
        '{{ table }}' as table_name,
        '{{ column.name }}' as column_name,
        exists(
            select 1
            from {{ table }}_file_columns as file_columns
            where file_columns.column_name = '{{ column.name | lower }}'
        ) as is_present,
        clean_rows as rows,
        {{ column.name }}__values as values_present,
        {{ column.name }}__varies as varies
    from {{ table }}_stats
    {%- endfor %}
),

{% endfor -%}

features as (
    select
        {%- for column in feature_columns %}
        count({{ column }}) as {{ column }}__values,
        coalesce(min({{ column }}) is distinct from max({{ column }}), false) as {{ column }}__varies,
        {%- endfor %}
        count(*) as customers
    from {{ feature_relation }}
),

feature_rows as (
    {%- for column in feature_columns %}
    select
        'feature' as object_type,
        'customer_features' as table_name,
        '{{ column }}' as column_name,
        true as is_present,
        customers as rows,
        {{ column }}__values as values_present,
        {{ column }}__varies as varies
    from features
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not feature_columns %}
    select
        'feature' as object_type,
        'customer_features' as table_name,
        cast(null as string) as column_name,
        true as is_present,
        cast(0 as bigint) as rows,
        cast(0 as bigint) as values_present,
        false as varies
    where false
    {%- endif %}
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
        is_present and coalesce(values_present, 0) > 0 and coalesce(varies, false) as carries_information
    from unioned
)

select * from final
