{#
    Fails with every customer of dim_customer missing from the model: the "every customer is
    tiered / segmented / scored" guarantee of the customer-grain ML marts.
#}
{% test covers_every_customer(model, column_name='customer_id') %}

select customer_id
from {{ ref('dim_customer') }}
where customer_id not in (
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
)

{% endtest %}
