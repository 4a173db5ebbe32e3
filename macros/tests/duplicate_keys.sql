{#
    The key test of a large table without grouping its key strings: the hashes that occur more
    than once are found first (repeated_hashes(): a sort of 8-byte hashes), and only the rows
    with those hashes are grouped by the key itself. Exact (a hash collision is checked against
    the real values), and the memory no longer grows with the length of the ids: at 100M
    transactions this is the difference between a test that spills gigabytes and one that does
    not.

    The model is read twice on purpose (two scans of the key columns): a CTE read twice would
    be materialised whole.

    In an incremental build of the transaction or balance chain (new_rows_scope(), key_test),
    only the hashes of the keys loaded since the last whole green build are sorted: every row
    is still read, so a new key repeating an old one is found, but the sort shrinks from every
    row to the new batch (macros/incremental/incremental_tests.sql says what that guarantees).
#}
{% macro duplicate_keys(model, columns, where=none) -%}
    {%- set key_list = columns | join(', ') -%}
    {%- set key_hash = 'hash(' ~ key_list ~ ')' -%}
    {%- set conditions = [where] if where else [] -%}
    {%- set scope = new_rows_scope(model, key_test=true) -%}
    {%- if scope -%}
        {%- do conditions.append(key_hash ~ ' in (select ' ~ key_hash ~ ' from ' ~ model ~ ' where ' ~ scope ~ ')') -%}
    {%- endif %}
    select
        {{ key_list }},
        count(*) as occurrences
    from {{ model }}
    where {{ key_hash }} in (
        {{ repeated_hashes(key_hash, model, conditions | join(' and ') or none) | indent(8) }}
    )
    {%- if where %}
        and {{ where }}
    {%- endif %}
    group by {{ key_list }}
    having count(*) > 1
{%- endmacro %}


{#
    dbt's built-in `unique` test, same contract (NULLs ignored; one row per duplicated value,
    `unique_field` and `n_records`), computed with duplicate_keys(). A root-project
    default__test_unique takes precedence over dbt's own.
#}
{% macro default__test_unique(model, column_name) -%}
select
    unique_field,
    occurrences as n_records
from (
    {{ duplicate_keys(model, [column_name], where=column_name ~ ' is not null') | indent(4) }}
) as duplicated (unique_field, occurrences)
{%- endmacro %}
