{#
    The spend categories that describe what a customer buys: var spend_categories without
    `cash` and `transfers` (the categories ATM withdrawals and transfers get from their channel,
    see int_transactions_enriched) and `others` (the catch-all, which an uncategorised purchase
    also gets). customer_monthly_features counts purchases in each; the feature layer turns the
    counts into the customer's purchase mix.
#}
{% macro purchase_categories() -%}
    {{ return(var('spend_categories') | reject('in', ['cash', 'transfers', 'others']) | list) }}
{%- endmacro %}
