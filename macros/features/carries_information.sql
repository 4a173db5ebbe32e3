{#
    carries_information(values_present, varies): the one rule for whether a column tells the
    models anything: at least one value, and not the same value on every row. The segmentation
    reads it from int_customer_features_profiled, BI from data_availability; both call this.
#}
{% macro carries_information(values_present, varies) -%}
    (coalesce({{ values_present }}, 0) > 0 and coalesce({{ varies }}, false))
{%- endmacro %}
