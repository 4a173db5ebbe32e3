{#
    One row per scorecard rule: the signal it reads, whether this bank's data can assess it and
    for how many customers (a rule no customer can be assessed on is "not assessable" for the
    bank: its input is missing), the signal's value at the Medium and High cut-offs, and how
    many customers have it as a reason.
#}
with

rules as (
    select *
    from {{ ref('ml_customer_risk_scores') }}
    where output = 'rules'
),

final as (
    select
        cast(reason_code as string) as reason_code,
        cast(signal as string) as signal,
        cast(description as string) as description,
        cast(floor as double) as floor,
        cast(customers as bigint) as customers,
        cast(customers_assessable as bigint) as customers_assessable,
        cast(is_assessable as boolean) as is_assessable,
        cast(value_at_medium_cutoff as double) as value_at_medium_cutoff,
        cast(value_at_high_cutoff as double) as value_at_high_cutoff,
        cast(customers_with_reason as bigint) as customers_with_reason
    from rules
)

select * from final
