{#
    One row per segment: size, share, the centroid in original units (centroid_<feature>), a
    one-line description and the recommended action. The centroid columns follow the feature
    list configured for ml_segmentation.
#}
with

segmentation as (select * from {{ ref('ml_segmentation') }}),

final as (
    select
        cast(segment_id as varchar) as segment_id,
        cast(segment_name as varchar) as segment_name,
        cast(segment_rank as integer) as segment_rank,
        cast(customers as bigint) as customers,
        cast(share as double) as share,
        cast(centroid_avg_monthly_spend as double) as centroid_avg_monthly_spend,
        cast(centroid_frequency as double) as centroid_frequency,
        cast(centroid_monetary_avg as double) as centroid_monetary_avg,
        cast(centroid_spend_volatility as double) as centroid_spend_volatility,
        cast(centroid_atm_share as double) as centroid_atm_share,
        cast(centroid_online_share as double) as centroid_online_share,
        cast(centroid_cross_border_share as double) as centroid_cross_border_share,
        cast(centroid_night_share as double) as centroid_night_share,
        cast(centroid_discretionary_share as double) as centroid_discretionary_share,
        cast(centroid_essential_share as double) as centroid_essential_share,
        cast(centroid_income_utilisation as double) as centroid_income_utilisation,
        cast(centroid_loan_count as double) as centroid_loan_count,
        cast(centroid_late_repayment_share as double) as centroid_late_repayment_share,
        cast(match_score as double) as match_score,
        cast(description as varchar) as description,
        cast(recommended_action as varchar) as recommended_action,
    from segmentation
    where output = 'profiles'
)

select * from final
