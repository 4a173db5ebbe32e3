{#
    The failing rows of a test that counts several things in one scan: `relation` holds one row
    of counters; each entry of `counts` is (counter column, [(label column, SQL value), ...]),
    and becomes one row (its labels, then the counter as `count_name`) when its counter is
    above zero. The body of has_no_nulls and has_parents.
#}
{% macro counts_as_rows(relation, counts, count_name) -%}
    {%- for counter, labels in counts %}
    select
        {%- for name, value in labels %}
        {{ value }} as {{ name }},
        {%- endfor %}
        {{ counter }} as {{ count_name }}
    from {{ relation }}
    where {{ counter }} > 0
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
