{# Feature importances of each risk classifier (random forest impurity, standardised LR coefficients). #}
with

classifiers as (select * from {{ ref('ml_risk_classifiers') }}),

final as (
    select
        cast(model as string) as model,
        cast(feature as string) as feature,
        cast(importance as double) as importance,
        cast(importance_type as string) as importance_type,
        cast(rank as integer) as importance_rank
    from classifiers
    where output = 'importances'
)

select * from final
