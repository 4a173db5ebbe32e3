{#
    Clean customers: one row per customer_id, only rows that passed every staging check (the
    rest are in quarantine.quarantined_rows). Names and birth dates stop here: marts carry ages
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
    from customers
    where quarantine_reason is null
)

select * from final
