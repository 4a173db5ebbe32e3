{#
    The Kaggle transactions data set's known segmentation: recency, frequency, monetary value
    and age, standard-scaled, K-Means with k = var rfm_segments_k (default 4), one row per
    customer with at least one transaction. K-Means runs in SQL (macro kmeans_ctes: a
    deterministic start, Lloyd's iterations), beside and independent of the project's own
    segmentation (customer_segments). rfm_segment 1..k orders the segments by their centroid's
    recency, then frequency.
#}
with recursive

features as (
    select
        customer_id,
        cast(recency_days as double) as recency_days,
        cast(txn_count as double) as frequency,
        cast(monetary_total as double) as monetary_total,
        cast(age as double) as age
    from {{ ref('customer_features') }}
    where txn_count > 0
),

{{ kmeans_ctes(
    'rfm',
    'features',
    'customer_id',
    ['recency_days', 'frequency', 'monetary_total', 'age'],
    [var('rfm_segments_k', 4)],
    var('kmeans_iterations', 25)
) }},

customers as (
    select
        customer_id,
        city
    from {{ ref('dim_customer') }}
),

final as (
    select
        features.customer_id,
        customers.city,
        rfm.cluster as rfm_segment,
        cast(count(*) over (partition by rfm.cluster) as bigint) as segment_customers,
        features.recency_days,
        features.frequency,
        features.monetary_total,
        features.age,
        rfm.centroid_recency_days as segment_avg_recency_days,
        rfm.centroid_frequency as segment_avg_frequency,
        rfm.centroid_monetary_total as segment_avg_monetary_total,
        rfm.centroid_age as segment_avg_age,
        cast(rfm.sq_distance as double) as sq_distance
    from features
    inner join rfm_assigned as rfm
        on features.customer_id = rfm.customer_id
    left join customers
        on features.customer_id = customers.customer_id
)

select * from final
