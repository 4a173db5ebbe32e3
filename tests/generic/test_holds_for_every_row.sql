{#
    Fails with every row for which the SQL boolean `expression` is false or NULL. Write the
    expression so that NULL means a failure, e.g. `amount > 0`, or wrap it in coalesce when a
    NULL is acceptable.
#}
{% test holds_for_every_row(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
