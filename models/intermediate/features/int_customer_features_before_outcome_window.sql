{#
    The same customer features as customer_features, observed only up to the start of the
    outcome window (the last `risk_outcome_months` months), so that the risk classifiers learn
    from the past and are scored on what happened afterwards.
#}
with

features as (
    select *
    from {{ ref('int_customer_features_by_cutoff') }}
    where cutoff = 'before_outcome_window'
),

final as (
    select
        {{ star_except(ref('int_customer_features_by_cutoff'), ['cutoff']) }}
    from features
)

select * from final
