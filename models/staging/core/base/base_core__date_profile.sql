{#
    A compact profile of every raw date column: how many values take each written form, by the
    fields that matter. One scan per date column (only that column is read), grouped down to a
    few hundred rows, so the decisions that need the whole column (its day/month order in
    base_core__date_orders, the bank's data window in base_core__data_window) cost one pass,
    made before the base models parse anything.

    form:  'ymd' for year-first values (2024-05-01, 2024/5/1 10:00; first_field is the month),
           'ym' for a bare month (2024-05), 'dm' for day/month values (21/10/16, 2/8/2016 14:00;
           first_field and second_field are the two leading numbers, in the order written).
    Values of no known form (text, empty) are not profiled: the base models judge them.
#}
{%- set date_columns = raw_date_columns() -%}
{%- set day_month_fields = '^(\\d{1,2})[/.-](\\d{1,2})[/.-](\\d{4}|\\d{2})' -%}
{%- set day_month_pattern = day_month_fields ~ '(?:[ T]|$)' -%}
{%- set day_month = regex_literal(day_month_fields) -%}

with

{% for table, columns in date_columns.items() -%}
{%- for column in columns %}
{{ table }}__{{ column }} as (
    select
        form,
        year_text,
        first_field,
        second_field,
        sum(value_count) as value_count
    from (
        select
            case
                when value like '____-__-__%' then 'ymd'
                when {{ regex_contains('value', '^\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}(?:[ T]|$)') }} then 'ymd'
                when not is_cut and {{ regex_contains('value', '^\\d{4}-\\d{1,2}$') }} then 'ym'
                when {{ regex_contains('value', day_month_pattern) }} then 'dm'
            end as form,
            case
                when value like '____-__-__%' then substr(value, 1, 4)
                when form in ('ymd', 'ym') then regexp_extract(value, '^(\d{4})[-/.]\d{1,2}', 1)
            end as ymd_year,
            case
                when value like '____-__-__%' then try_cast(substr(value, 6, 2) as integer)
                when form in ('ymd', 'ym') then try_cast(regexp_extract(value, '^\d{4}[-/.](\d{1,2})', 1) as integer)
            end as ymd_month,
            case
                when form = 'dm' then regexp_extract(value, {{ day_month }}, 3)
                else ymd_year
            end as year_text,
            case
                when form = 'dm' then try_cast(regexp_extract(value, {{ day_month }}, 1) as integer)
                else ymd_month
            end as first_field,
            case
                when form = 'dm' then try_cast(regexp_extract(value, {{ day_month }}, 2) as integer)
            end as second_field,
            value_count
        from (
            -- The date part of each value, counted: the forms only look at it, and a column
            -- holds far fewer dates than values, so the patterns run once per distinct date.
            -- A value is cut at its first space (a year-first one after its 10 characters);
            -- is_cut remembers that text followed, which only a bare month must not have.
            -- A value written ####-##-## in ASCII whose first and tenth characters are not
            -- spaces (most of them) takes the short way: trimming cannot reach its first 10
            -- characters, which are its date part, and is_cut is false (a year-first value is
            -- 'ymd' whatever follows). Trimming and measuring every such value cost about as
            -- much as reading the column (0.6 s of 1.3 s for 10M values). The other spaces
            -- trim() removes (no-break, ideographic...) are not ASCII.
            select
                date_text as value,
                is_cut,
                count(*) as value_count
            from (
                select
                    case
                        when is_year_first then left(value, 10)
                        when trimmed like '____-__-__%' then left(trimmed, 10)
                        else split_part(trimmed, ' ', 1)
                    end as date_text,
                    case
                        when is_year_first or trimmed like '____-__-__%' then false
                        else length(split_part(trimmed, ' ', 1)) < length(trimmed)
                    end as is_cut
                from (
                    -- Trimmed once, and only on the long way: every value of a day-first bank
                    -- takes it (2M values: 0.51 s against 1.28 s trimming in each expression).
                    select
                        value,
                        is_year_first,
                        case when not is_year_first then trim(value) end as trimmed
                    from (
                        select
                            value,
                            value like '____-__-__%'
                            and value not like ' %'
                            and value not like '_________ %'
                            and {{ is_ascii('value') }} as is_year_first
                        from (
                            select cast(raw_{{ column }} as string) as value
                            from {{ raw_source('core', table, prefix='raw_') }} as raw_rows
                            where raw_{{ column }} is not null
                        ) as raw_values
                    ) as year_first_values
                ) as classified_values
            ) as split_values
            group by all
        ) as date_parts
    ) as shaped
    where form is not null
    group by all
),
{% endfor -%}
{%- endfor %}

final as (
    {%- for table, columns in date_columns.items() %}
    {%- set outer = loop %}
    {%- for column in columns %}
    select
        '{{ table }}' as table_name,
        '{{ column }}' as column_name,
        form,
        year_text,
        cast(first_field as integer) as first_field,
        cast(second_field as integer) as second_field,
        cast(value_count as bigint) as value_count
    from {{ table }}__{{ column }}
    {%- if not (outer.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
)

select * from final
