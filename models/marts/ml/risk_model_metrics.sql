{# Holdout evaluation of the risk classifiers: ROC-AUC, PR-AUC, base rate and row counts. #}
with

classifiers as (select * from {{ ref('ml_risk_classifiers') }}),

final as (
    select
        cast(model as string) as model,
        cast(metric as string) as metric,
        cast(value as double) as value,
        cast(note as string) as note
    from classifiers
    where output = 'metrics'
)

select * from final
