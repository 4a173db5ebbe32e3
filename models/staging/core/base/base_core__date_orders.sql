{#
    The day/month order of every raw date column, decided from the data. A value such as
    '2/8/16' reads as 2 August (day first) or 8 February (month first); only the file can tell:
      - var date_orders forces an order per column ('<table>.<column>': dmy | mdy, or
        'default' for every column), whatever the data says;
      - a first field above 12 ('21/10/16') proves day-first, a second field above 12
        ('10/21/16') proves month-first: with evidence for one order only, that order; with
        evidence for both (a column mixing both styles), the order with more evidence, and the
        values that contradict it do not parse (they are flagged or quarantined with their value);
      - with no evidence at all (every day and month is 12 or less), var ambiguous_date_order
        (dmy by default, as Indian extracts write dates).
    Year-first values (ISO YYYY-MM-DD) need no order and are not counted. One row per raw date
    column, from base_core__date_profile; the base models read date_order through
    date_order_pivot().
#}
{%- set date_columns = raw_date_columns() -%}
{%- set configured = configured_date_orders() -%}

with

profile as (select * from {{ ref('base_core__date_profile') }}),

columns as (
    {%- for table, columns in date_columns.items() %}
    {%- set outer = loop %}
    {%- for column in columns %}
    select
        '{{ table }}' as table_name,
        '{{ column }}' as column_name,
        {{ sql_text_or_null(configured.get(table ~ '.' ~ column, configured.get('default'))) }} as configured_order
    {%- if not (outer.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
),

evidence as (
    select
        table_name,
        column_name,
        sum(value_count) filter (where form = 'dm') as day_month_values,
        sum(value_count) filter (where form = 'dm' and first_field > 12) as first_above_12,
        sum(value_count) filter (where form = 'dm' and second_field > 12) as second_above_12,
        sum(value_count) filter (where form = 'dm' and length(year_text) = 2) as two_digit_years
    from profile
    group by table_name, column_name
),

detected as (
    select
        columns.table_name,
        columns.column_name,
        columns.configured_order,
        coalesce(evidence.day_month_values, 0) as day_month_values,
        coalesce(evidence.first_above_12, 0) as first_above_12,
        coalesce(evidence.second_above_12, 0) as second_above_12,
        coalesce(evidence.two_digit_years, 0) as two_digit_years
    from columns
    left join evidence
        on columns.table_name = evidence.table_name
        and columns.column_name = evidence.column_name
),

final as (
    select
        table_name,
        column_name,
        cast(day_month_values as bigint) as day_month_values,
        cast(first_above_12 as bigint) as first_above_12,
        cast(second_above_12 as bigint) as second_above_12,
        cast(two_digit_years as bigint) as two_digit_years,
        configured_order,
        case
            when first_above_12 > 0 and first_above_12 >= second_above_12 then 'dmy'
            when second_above_12 > 0 then 'mdy'
        end as detected_order,
        coalesce(
            configured_order,
            case
                when first_above_12 > 0 and first_above_12 >= second_above_12 then 'dmy'
                when second_above_12 > 0 then 'mdy'
            end,
            '{{ fallback_date_order() }}'
        ) as date_order,
        case
            when configured_order is not null then 'var date_orders'
            when first_above_12 > 0 and second_above_12 > 0
                then (
                    'conflicting evidence: ' || first_above_12 || ' value(s) day-first, '
                    || second_above_12 || ' month-first; the majority wins'
                )
            when first_above_12 > 0
                then first_above_12 || ' value(s) with a first field above 12'
            when second_above_12 > 0
                then second_above_12 || ' value(s) with a second field above 12'
            when day_month_values > 0
                then 'no value tells the order (days and months all 12 or less): var ambiguous_date_order'
            else 'no day/month values'
        end as decided_by
    from detected
)

select * from final
