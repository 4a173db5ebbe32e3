{#
    Customer x model: the classifier's probability that the customer has an adverse outcome
    (fraud, late repayment, overdue loan) in the outcome window, from features observed before
    it; split says whether the customer was trained on or held out.
#}
with

classifiers as (select * from {{ ref('ml_risk_classifiers') }}),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(model as varchar) as model,
        cast(probability as double) as probability,
        cast(split as varchar) as split,
    from classifiers
    where output = 'predictions'
)

select * from final
