{#
    One row per customer: the explainable risk score (the strongest severity among the rules
    that could be assessed), its tier, how many rules could be assessed and which not, the
    reasons strongest first with what each signal shows, and every rule's severity.
#}
with

scores as (
    select *
    from {{ ref('ml_customer_risk_scores') }}
    where output = 'scores'
),

final as (
    select
        cast(customer_id as string) as customer_id,
        cast(risk_score as double) as risk_score,
        cast(risk_tier as string) as risk_tier,
        cast(rules_assessed as integer) as rules_assessed,
        cast(rules_total as integer) as rules_total,
        cast(rules_not_assessed as string) as rules_not_assessed,
        cast(reason_1 as string) as reason_1,
        cast(reason_2 as string) as reason_2,
        cast(reason_3 as string) as reason_3,
        cast(reasons as string) as reasons,
        cast(reason_details as string) as reason_details,
        cast(severity_fraud_history as double) as severity_fraud_history,
        cast(severity_late_repayment as double) as severity_late_repayment,
        cast(severity_spend_spike as double) as severity_spend_spike,
        cast(severity_cash_out as double) as severity_cash_out,
        cast(severity_cross_border_burst as double) as severity_cross_border_burst
    from scores
)

select * from final
