{#
    K-Means of borrowers for every k of var repayment_segments_k (default 2..8), on the
    microfinance analysis's features: average repayment days, loan count, average and total
    amount borrowed (customer_features), standard-scaled. One row per k and borrower; read by
    mart_repayment_k_diagnostics (the elbow) and mart_repayment_segments (the chosen k). A table:
    the iterations run once.
#}
{{ config(materialized='table') }}

with recursive

features as (
    select
        customer_id,
        cast(avg_repayment_days as double) as avg_repayment_days,
        cast(loan_count as double) as loan_count,
        cast(loan_avg_amount as double) as loan_avg_amount,
        cast(loan_total_amount as double) as loan_total_amount
    from {{ ref('customer_features') }}
    where loan_count > 0
),

{{ kmeans_ctes(
    'repayment',
    'features',
    'customer_id',
    ['avg_repayment_days', 'loan_count', 'loan_avg_amount', 'loan_total_amount'],
    var('repayment_segments_k', [2, 3, 4, 5, 6, 7, 8]),
    var('kmeans_iterations', 25)
) }}

select * from repayment_assigned
