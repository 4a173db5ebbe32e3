{#
    Customer x classifier: the probability of an adverse outcome (fraud, late repayment,
    overdue loan) in the next `risk_outcome_months` months, scored on the customer's current
    features by models trained on an earlier window. training_probability is what the model
    said from the training window's features, and split whether the customer was trained on or
    held out there: evaluate on holdout customers only.
#}
with

classifiers as (
    select *
    from {{ ref('ml_risk_classifiers') }}
    where output = 'predictions'
),

current_scores as (
    select
        customer_id,
        model,
        probability
    from classifiers
    where split = 'current'
),

training_scores as (
    select
        customer_id,
        model,
        probability as training_probability,
        split
    from classifiers
    where split <> 'current'
),

final as (
    select
        cast(current_scores.customer_id as string) as customer_id,
        cast(current_scores.model as string) as model,
        cast(current_scores.probability as double) as probability,
        cast(training_scores.training_probability as double) as training_probability,
        cast(training_scores.split as string) as split
    from current_scores
    left join training_scores
        on current_scores.customer_id = training_scores.customer_id
        and current_scores.model = training_scores.model
)

select * from final
