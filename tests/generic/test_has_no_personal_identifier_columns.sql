{#
    Fails with one row per column of the model whose name says it holds a direct identifier of a
    person (a name, a birth date, contact details, national ids). Marts carry ages, bands and
    keys; names and birth dates stay in staging. Columns that are names of things rather than
    people (merchant_name, day_name, ...) are listed in `allowed_columns`.
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
    where (
        column_name = 'name'
        or column_name like '%\_name' escape '\'
        or column_name like '%name\_%' escape '\'
        or column_name like '%surname%'
        or column_name like '%birth%'
        or column_name in ('dob', 'date_of_birth')
        or column_name like '%email%'
        or column_name like '%phone%'
        or column_name like '%address%'
        or column_name like '%national\_id%' escape '\'
        or column_name like '%passport%'
        or column_name like '%aadhaar%'
        or column_name like '%pan\_number%' escape '\'
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
