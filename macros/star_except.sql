{#
    The columns of a relation except those named, as a select list (the dbt_utils.star pattern,
    written here because the project uses no packages): both cut-off models of the customer
    features select int_customer_features_by_cutoff's columns without the cut-off itself, so
    the classifiers' training rows and the scored rows have the same columns by construction.
    While dbt parses (nothing executes) it returns *.
#}
{% macro star_except(relation, except) -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower not in except -%}
        {%- do names.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{ return(names | join(',\n        ')) }}
{%- endmacro %}
