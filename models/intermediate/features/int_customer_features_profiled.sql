{#
    Which customer features carry information for this bank: one row per feature column of
    customer_features, with the customers, the customers with a value and whether the values
    differ. A small model of its own so that the segmentation reads it as soon as
    customer_features is built, without waiting for data_availability's scan of every staged
    table; data_availability serves these rows as its 'feature' rows.
#}
{%- set feature_relation = ref('customer_features') -%}
{%- set not_features = ('customer_id', 'city', 'occupation', 'age_band', 'observation_end_date') -%}
{%- set feature_columns = (
    adapter.get_columns_in_relation(feature_relation) | map(attribute='name') | reject('in', not_features) | list
) if execute else [] -%}

with

features as (
    select
        {%- for column in feature_columns %}
        count({{ column }}) as {{ column }}__values,
        coalesce(min({{ column }}) is distinct from max({{ column }}), false) as {{ column }}__varies,
        {%- endfor %}
        count(*) as customers
    from {{ feature_relation }}
),

feature_names as (
    {{ text_rows(feature_columns, 'column_name') }}
),

final as (
    select
        feature_names.column_name as feature_name,
        cast(features.customers as bigint) as customers,
        cast(case
            {%- for column in feature_columns %}
            when feature_names.column_name = '{{ column }}' then features.{{ column }}__values
            {%- endfor %}
            when false then cast(0 as bigint)
        end as bigint) as customers_with_value,
        case
            {%- for column in feature_columns %}
            when feature_names.column_name = '{{ column }}' then features.{{ column }}__varies
            {%- endfor %}
            when false then false
        end as varies
    from feature_names
    cross join features
)

select
    feature_name,
    customers,
    customers_with_value,
    varies,
    {{ carries_information('customers_with_value', 'varies') }} as carries_information
from final
