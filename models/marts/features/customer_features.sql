{#
    One row per customer: behaviour over the whole reporting window, as DOUBLE features for
    tiers, segmentation and risk. The definitions are in int_customer_features_by_cutoff (the
    'current' cut-off), shared with the risk classifiers' training rows.
#}
with

features as (
    select *
    from {{ ref('int_customer_features_by_cutoff') }}
    where cutoff = 'current'
),

final as (
    select
        {{ star_except(ref('int_customer_features_by_cutoff'), ['cutoff']) }}
    from features
)

select * from final
