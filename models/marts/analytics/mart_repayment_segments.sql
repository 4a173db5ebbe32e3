{#
    The microfinance data set's known analysis: borrowers segmented on average repayment days
    (repayment date minus disbursement date), loan count, average and total amount borrowed,
    standard-scaled K-Means with k chosen by the elbow (mart_repayment_k_diagnostics). One row
    per borrower with at least one clean loan; repayment_segment 1..k orders the segments by
    their centroid's average repayment days (1 = repays fastest).
#}
with

assigned as (select * from {{ ref('int_repayment_kmeans') }}),

chosen as (
    select k
    from {{ ref('mart_repayment_k_diagnostics') }}
    where is_chosen
),

features as (
    select
        customer_id,
        cast(loan_count as double) as loan_count,
        cast(loan_avg_amount as double) as loan_avg_amount,
        cast(loan_total_amount as double) as loan_total_amount,
        cast(avg_repayment_days as double) as avg_repayment_days
    from {{ ref('customer_features') }}
),

final as (
    select
        assigned.customer_id,
        cast(assigned.k as integer) as k,
        assigned.cluster as repayment_segment,
        cast(count(*) over (partition by assigned.cluster) as bigint) as segment_customers,
        features.loan_count,
        features.loan_avg_amount,
        features.loan_total_amount,
        features.avg_repayment_days,
        cast(assigned.centroid_avg_repayment_days as double) as segment_avg_repayment_days,
        cast(assigned.centroid_loan_count as double) as segment_avg_loan_count,
        cast(assigned.centroid_loan_avg_amount as double) as segment_avg_loan_amount,
        cast(assigned.centroid_loan_total_amount as double) as segment_avg_loan_total_amount
    from assigned
    inner join chosen
        on assigned.k = chosen.k
    inner join features
        on assigned.customer_id = features.customer_id
)

select * from final
