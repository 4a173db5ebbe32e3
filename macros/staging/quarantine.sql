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
    original), then by raw fingerprint where the reader gives no row numbers, so the kept row is
    the same on every build. Columns added: key_rank (1 = kept) and kept_fingerprint (the
    fingerprint of the kept row).
#}
{% macro duplicate_ranking(key_columns, issue_column='row_issue', fingerprint_column='row_fingerprint') -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by {{ issue_column }} is not null, source_file_name, source_file_row_number, {{ fingerprint_column }}
    ) as key_rank,
    first_value({{ fingerprint_column }}) over (
        partition by {{ key_columns | join(', ') }}
        order by {{ issue_column }} is not null, source_file_name, source_file_row_number, {{ fingerprint_column }}
    ) as kept_fingerprint
{%- endmacro %}


{#
    The ranking of a base model that splits its rows by key first (the large ones): rows whose
    key no other row carries need no window and are kept as they are (key_rank 1, their own
    fingerprint as kept_fingerprint); only the rows sharing a key go through duplicate_ranking().
    Both come out with the columns quarantine_reason() and quarantine_detail() read.
#}
{% macro rank_shared_keys(unique_rows, shared_rows, key_columns, fingerprint_column='row_fingerprint') -%}
    select
        *,
        1 as key_rank,
        {{ fingerprint_column }} as kept_fingerprint
    from {{ unique_rows }}
    {{ union_all_by_name() }}
    select
        *,
        {{ duplicate_ranking(key_columns, fingerprint_column=fingerprint_column) }}
    from {{ shared_rows }}
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
