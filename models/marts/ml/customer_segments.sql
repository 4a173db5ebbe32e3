{# One row per customer: the K-Means segment it belongs to, with a stable id and name. #}
with

segmentation as (select * from {{ ref('ml_segmentation') }}),

final as (
    select
        cast(customer_id as string) as customer_id,
        cast(segment_id as string) as segment_id,
        cast(segment_name as string) as segment_name,
        cast(distance_to_centroid as double) as distance_to_centroid
    from segmentation
    where output = 'assignments'
)

select * from final
