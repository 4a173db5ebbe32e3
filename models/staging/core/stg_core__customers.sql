{#
    Clean customers: one row per customer_id whose id passed the staging checks (the rest are in
    quarantine.quarantined_rows); attributes that could not be read are NULL and named in
    dq_flags. Names and birth dates stop here: marts carry ages
    and bands.
#}
with

customers as (select * from {{ ref('base_core__customers') }}),

final as (
    select
        customer_id,
        full_name,
        birth_date,
        age,
        age_group,
        gender,
        marital_status,
        city,
        region,
        country_code,
        occupation,
        monthly_income,
        joined_date,
        loyalty_class,
        fee_structure,
        relationship_type,
        nationality,
        risk_weighting,
        has_sentinel_birth_date,
        dq_flags,
        derived_columns
    from customers
    where quarantine_reason is null
)

select * from final
