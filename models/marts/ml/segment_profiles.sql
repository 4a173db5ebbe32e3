{#
    One row per segment: size, share, the centre in original units (centroid_<feature>: the
    K-Means centre for the features clustered on, the segment's mean for the profile features
    and for features this bank's data does not carry), the archetype's fit, a description of
    what clearly sets the segment apart and the recommended action. The centroid columns follow
    the features and profile_features configured for ml_segmentation.
#}
with

segmentation as (select * from {{ ref('ml_segmentation') }}),

final as (
    select
        cast(segment_id as string) as segment_id,
        cast(segment_name as string) as segment_name,
        cast(segment_rank as integer) as segment_rank,
        cast(customers as bigint) as customers,
        cast(share as double) as share,
        cast(centroid_frequency as double) as centroid_frequency,
        cast(centroid_monetary_avg as double) as centroid_monetary_avg,
        cast(centroid_txn_count_volatility as double) as centroid_txn_count_volatility,
        cast(centroid_card_present_txn_share as double) as centroid_card_present_txn_share,
        cast(centroid_online_txn_share as double) as centroid_online_txn_share,
        cast(centroid_atm_withdrawal_txn_share as double) as centroid_atm_withdrawal_txn_share,
        cast(centroid_transfer_txn_share as double) as centroid_transfer_txn_share,
        cast(centroid_instant_payment_txn_share as double) as centroid_instant_payment_txn_share,
        cast(centroid_cross_border_txn_share as double) as centroid_cross_border_txn_share,
        cast(centroid_night_txn_share as double) as centroid_night_txn_share,
        cast(centroid_groceries_purchase_share as double) as centroid_groceries_purchase_share,
        cast(centroid_bills_purchase_share as double) as centroid_bills_purchase_share,
        cast(centroid_health_wellness_purchase_share as double) as centroid_health_wellness_purchase_share,
        cast(centroid_fuel_purchase_share as double) as centroid_fuel_purchase_share,
        cast(centroid_food_purchase_share as double) as centroid_food_purchase_share,
        cast(centroid_entertainment_purchase_share as double) as centroid_entertainment_purchase_share,
        cast(centroid_apparel_purchase_share as double) as centroid_apparel_purchase_share,
        cast(centroid_electronics_purchase_share as double) as centroid_electronics_purchase_share,
        cast(centroid_travel_purchase_share as double) as centroid_travel_purchase_share,
        cast(centroid_loans_per_year as double) as centroid_loans_per_year,
        cast(centroid_avg_monthly_spend as double) as centroid_avg_monthly_spend,
        cast(centroid_income_utilisation as double) as centroid_income_utilisation,
        cast(centroid_late_repayment_share as double) as centroid_late_repayment_share,
        cast(match_score as double) as match_score,
        cast(description as string) as description,
        cast(recommended_action as string) as recommended_action
    from segmentation
    where output = 'profiles'
)

select * from final
