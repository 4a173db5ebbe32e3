{#
    Fails with one row per combination of `columns` that occurs more than once: the primary-key
    test for models whose grain is several columns (e.g. account x month). The repeated hashes of
    the combination are found first (macros/tests/duplicate_keys.sql).
#}
{% test is_unique_combination(model, columns) %}

{{ duplicate_keys(model, columns) }}

{% endtest %}
