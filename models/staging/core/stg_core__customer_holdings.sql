{#
    Clean holdings: one row per customer, snapshot date and product of a clean customer, inside
    the data window. balance and quantity are NULL where the extract has none (or an unreadable
    one, named in dq_flags).
#}
with

customer_holdings as (select * from {{ ref('base_core__customer_holdings') }}),

final as (
    select
        customer_id,
        snapshot_date,
        product,
        balance,
        quantity,
        dq_flags,
        derived_columns
    from customer_holdings
    where quarantine_reason is null
)

select * from final
