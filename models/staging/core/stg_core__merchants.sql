{#
    Clean merchants: one row per merchant_id, with a spend category that is never empty (raw
    category, else the MCC's, else 'others') and a canonical city.
#}
with

merchants as (select * from {{ ref('base_core__merchants') }}),

final as (
    select
        merchant_id,
        merchant_name,
        mcc,
        category,
        city,
        country_code,
        dq_flags,
        derived_columns
    from merchants
    where quarantine_reason is null
)

select * from final
