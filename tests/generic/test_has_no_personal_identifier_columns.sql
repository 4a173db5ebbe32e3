{#
    Fails with one row per column of the model whose name says it holds a direct identifier of a
    person: a person's name (full_name, first_name, customer_name, ...), a birth date, contact
    details or a national id. Names of things (merchant_name, day_name, segment_name) pass. Marts
    carry ages, bands and keys; names and birth dates stay in staging. `allowed_columns` lists
    reviewed exceptions.
#}
{% test has_no_personal_identifier_columns(model, allowed_columns=[]) %}

with

model_columns as (
    select
        lower(column_name) as column_name,
    from information_schema.columns
    where lower(table_catalog) = lower('{{ model.database }}')
        and lower(table_schema) = lower('{{ model.schema }}')
        and lower(table_name) = lower('{{ model.identifier }}')
),

flagged as (
    select
        column_name,
    from model_columns
    where regexp_matches(
        column_name,
        '(^name$|full_?name|first_?name|last_?name|middle_?name|given_?name|family_?name|surname'
        || '|(customer|client|person|holder|owner|nominee|contact|user|father|mother|spouse|maiden)_?name'
        || '|birth|^dob$|email|phone|mobile|address|passport|aadhaar|national_id|pan_number|ssn)'
    )
    {% if allowed_columns %}
        and column_name not in (
            {%- for allowed in allowed_columns %}
            lower('{{ allowed }}'){{ "," if not loop.last }}
            {%- endfor %}
        )
    {% endif %}
)

select * from flagged

{% endtest %}
