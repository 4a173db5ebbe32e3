{#
    The alert queue is exactly the Medium and High customers of customer_risk_scores, ranked
    1..n by score (highest first) then customer id. Returns one row per violation.
#}
with

alerts as (select * from {{ ref('risk_alerts') }}),

scores as (select * from {{ ref('customer_risk_scores') }}),

expected as (
    select
        customer_id,
        cast(row_number() over (order by risk_score desc, customer_id asc) as integer) as alert_rank
    from scores
    where risk_tier in ('Medium', 'High')
),

final as (
    select
        coalesce(expected.customer_id, alerts.customer_id) as customer_id,
        expected.alert_rank as expected_rank,
        alerts.alert_rank as actual_rank
    from expected
    full outer join alerts
        on expected.customer_id = alerts.customer_id
    where expected.alert_rank is distinct from alerts.alert_rank
)

select * from final
