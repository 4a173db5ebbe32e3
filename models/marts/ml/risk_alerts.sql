{#
    The operational alert queue: every Medium and High risk customer, highest score first, with
    the reasons to look at and the context an analyst needs to triage.
#}
with

scores as (select * from {{ ref('customer_risk_scores') }}),

customers as (
    select
        customer_id,
        city,
        occupation,
        age_band
    from {{ ref('dim_customer') }}
),

segments as (
    select
        customer_id,
        segment_name
    from {{ ref('customer_segments') }}
),

features as (
    select
        customer_id,
        observation_end_date
    from {{ ref('customer_features') }}
),

final as (
    select
        cast(row_number() over (order by scores.risk_score desc, scores.customer_id asc) as integer)
            as alert_rank,
        scores.customer_id,
        scores.risk_score,
        scores.risk_tier,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3,
        scores.reasons,
        scores.reason_details,
        customers.city,
        customers.occupation,
        customers.age_band,
        segments.segment_name,
        features.observation_end_date
    from scores
    left join customers
        on scores.customer_id = customers.customer_id
    left join segments
        on scores.customer_id = segments.customer_id
    left join features
        on scores.customer_id = features.customer_id
    where scores.risk_tier in ('Medium', 'High')
)

select * from final
