{#
    The key test of a large table without grouping its key strings: the hashes that occur more
    than once are found first (repeated_hashes(): a sort of 8-byte hashes), and only the rows
    with those hashes are grouped by the key itself. Exact (a hash collision is checked against
    the real values), and the memory no longer grows with the length of the ids: at 100M
    transactions this is the difference between a test that spills gigabytes and one that does
    not.

    The model is read twice on purpose (two scans of the key columns): a CTE read twice would
    be materialised whole.
#}
{% macro duplicate_keys(model, columns, where=none) -%}
    {%- set key_list = columns | join(', ') -%}
    select
        {{ key_list }},
        count(*) as occurrences
    from {{ model }}
    where hash({{ key_list }}) in (
        {{ repeated_hashes('hash(' ~ key_list ~ ')', model, where) | indent(8) }}
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
