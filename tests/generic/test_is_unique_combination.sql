{#
    Fails with one row per combination of `columns` that occurs more than once: the primary-key
    test for models whose grain is several columns (e.g. account x month).
#}
{% test is_unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences,
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
