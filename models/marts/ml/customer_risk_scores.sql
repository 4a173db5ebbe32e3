{#
    One row per customer: the explainable risk score (sum of rule points), its tier and the
    reasons that fired, strongest first, with the points of every rule.
#}
with

scores as (select * from {{ ref('ml_customer_risk_scores') }}),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(risk_score as double) as risk_score,
        cast(risk_tier as varchar) as risk_tier,
        cast(reason_1 as varchar) as reason_1,
        cast(reason_2 as varchar) as reason_2,
        cast(reason_3 as varchar) as reason_3,
        cast(reasons as varchar) as reasons,
        cast(points_fraud_history as double) as points_fraud_history,
        cast(points_late_repayment as double) as points_late_repayment,
        cast(points_spend_spike as double) as points_spend_spike,
        cast(points_cash_reliance as double) as points_cash_reliance,
        cast(points_cross_border as double) as points_cross_border,
        cast(points_high_utilisation as double) as points_high_utilisation,
        cast(points_high_volatility as double) as points_high_volatility,
    from scores
)

select * from final
