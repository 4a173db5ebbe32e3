{# One row per number of segments k tried: inertia (elbow) and silhouette, and which k was chosen. #}
with

segmentation as (select * from {{ ref('ml_segmentation') }}),

final as (
    select
        cast(k as integer) as k,
        cast(inertia as double) as inertia,
        cast(silhouette as double) as silhouette,
        cast(is_knee as boolean) as is_knee,
        cast(is_chosen as boolean) as is_chosen,
        cast(selection_rule as string) as selection_rule,
        cast(n_customers as bigint) as n_customers,
        cast(fit_sample_rows as bigint) as fit_sample_rows,
        cast(silhouette_sample_rows as bigint) as silhouette_sample_rows,
        cast(features_used as string) as features_used,
        cast(log_features as string) as log_features,
        cast(warnings as string) as warnings
    from segmentation
    where output = 'diagnostics'
)

select * from final
