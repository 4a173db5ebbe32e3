{#
    The quarantine rules of a base model are written once, as an ordered list of checks:

        {%- set checks = [
            ('customer_id is null', 'missing_key', "'customer_id is empty'"),
            ...
        ] -%}

    Each check is (condition, reason_code, detail expression). The first condition that holds
    decides the row's reason, so the list order is the priority order. first_issue_code() and
    first_issue_detail() expand the same list, which keeps the code and its message in step.
#}
{% macro first_issue_code(checks) -%}
    case
        {%- for condition, reason_code, detail in checks %}
        when {{ condition }} then '{{ reason_code }}'
        {%- endfor %}
    end
{%- endmacro %}

{% macro first_issue_detail(checks) -%}
    case
        {%- for condition, reason_code, detail in checks %}
        when {{ condition }} then {{ detail }}
        {%- endfor %}
    end
{%- endmacro %}


{#
    Duplicates. Rows are ranked within their key (the clean id, or several columns): valid rows
    first, then the first in file order (file name, row number: a later copy never replaces the
    original), then, where the reader gives no row numbers (CSV), by tie_break (the base models
    pass raw_text_digest(): the raw values' text, the same on every engine) and last by raw
    fingerprint, so the kept row is the same on every build. Columns added: key_rank (1 = kept)
    and kept_fingerprint (the fingerprint of the kept row).
#}
{% macro duplicate_ranking(key_columns, issue_column='row_issue', fingerprint_column='row_fingerprint', tie_break=none) -%}
    {%- set order_by = issue_column ~ ' is not null, source_file_name, source_file_row_number, '
        ~ ((tie_break ~ ', ') if tie_break else '') ~ fingerprint_column -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by {{ order_by }}
    ) as key_rank,
    first_value({{ fingerprint_column }}) over (
        partition by {{ key_columns | join(', ') }}
        order by {{ order_by }}
    ) as kept_fingerprint
{%- endmacro %}


{#
    The ranking of a base model that splits its rows by key first (the large ones): rows whose
    key no other row carries need no window and are kept as they are (key_rank 1, their own
    fingerprint as kept_fingerprint); only the rows sharing a key go through duplicate_ranking().
    Both come out with the columns quarantine_reason() and quarantine_detail() read.
#}
{% macro rank_shared_keys(unique_rows, shared_rows, key_columns, fingerprint_column='row_fingerprint', tie_break=none) -%}
    select
        *,
        1 as key_rank,
        {{ fingerprint_column }} as kept_fingerprint
    from {{ unique_rows }}
    {{ union_all_by_name() }}
    select
        *,
        {{ duplicate_ranking(key_columns, fingerprint_column=fingerprint_column, tie_break=tie_break) }}
    from {{ shared_rows }}
{%- endmacro %}


{#
    raw_text_digest(source_name, table_name, prefix): the md5 of a raw row's values as text
    (NULL spelt apart from every text), for ranking rows the reader gives no row numbers: CSV
    values are text on both engines, so DuckDB and Spark keep the same row, where each engine's
    64-bit row fingerprint would order them differently. none when the raw files are Parquet,
    whose row numbers already decide.
#}
{% macro raw_text_digest(source_name, table_name, prefix) -%}
    {%- if (var('raw_format', 'parquet') | string | lower) != 'csv' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set values = [] -%}
    {%- for column in raw_columns(source_name, table_name) -%}
        {%- do values.append('coalesce(cast(' ~ adapter.quote(prefix ~ column.name) ~ ' as string), chr(0))') -%}
    {%- endfor -%}
    {{ return('md5(concat_ws(chr(31), ' ~ values | join(', ') ~ '))') }}
{%- endmacro %}


{#
    The final quarantine reason of a ranked row: rows whose key is incomplete keep their own
    issue; among rows sharing a key, every row but the kept one is a duplicate_row (identical raw
    values) or a duplicate_id (same key, other values); the kept row keeps its own issue (NULL
    when it is clean).
#}
{% macro quarantine_reason(key_columns, issue_column='row_issue', fingerprint_column='row_fingerprint') -%}
    case
        when {% for key in key_columns %}{{ key }} is null{{ ' or ' if not loop.last }}{% endfor %}
            then {{ issue_column }}
        when key_rank > 1 and {{ fingerprint_column }} = kept_fingerprint then 'duplicate_row'
        when key_rank > 1 then 'duplicate_id'
        else {{ issue_column }}
    end
{%- endmacro %}

{% macro quarantine_detail(key_columns, issue_column='row_issue', detail_column='row_issue_detail', fingerprint_column='row_fingerprint') -%}
    {%- set key_text = [] -%}
    {%- for key in key_columns -%}
        {%- do key_text.append("'" ~ key ~ " ' || " ~ quote_raw(key)) -%}
    {%- endfor -%}
    case
        when {% for key in key_columns %}{{ key }} is null{{ ' or ' if not loop.last }}{% endfor %}
            then {{ detail_column }}
        when key_rank > 1 and {{ fingerprint_column }} = kept_fingerprint
            then 'exact copy of another row with ' || {{ key_text | join(" || ', ' || ") }}
        when key_rank > 1
            then 'another row with ' || {{ key_text | join(" || ', ' || ") }} || ' was kept'
                || case when {{ issue_column }} is not null then ' (this row also had: ' || {{ detail_column }} || ')' else '' end
        else {{ detail_column }}
    end
{%- endmacro %}
