{#
    Fails with every row whose column lies outside [min_value, max_value]. NULLs pass: pair it
    with not_null when a value is required. For shares, rates and other bounded measures.
#}
{% test is_between(model, column_name, min_value, max_value) %}

select *
from {{ model }}
where {{ column_name }} < {{ min_value }}
    or {{ column_name }} > {{ max_value }}

{% endtest %}
