{#
    The elbow of the microfinance segmentation: the inertia (sum of squared distances to the
    centroids, standardised units) of every k tried (int_repayment_kmeans), and the k chosen:
    the one farthest below the straight line from the first to the last k once k and inertia are
    min-max normalised (the knee of the curve; the smallest such k on a tie).
#}
with

assigned as (select * from {{ ref('int_repayment_kmeans') }}),

diagnostics as (
    select
        k,
        count(distinct cluster) as clusters,
        count(*) as customers,
        sum(sq_distance) as inertia
    from assigned
    group by k
),

elbow as (
    select
        *,
        coalesce(
            (1 - (k - min(k) over ()) / nullif(max(k) over () - min(k) over (), 0))
            - (inertia - min(inertia) over ()) / nullif(max(inertia) over () - min(inertia) over (), 0),
            0
        ) as below_line
    from diagnostics
),

final as (
    select
        cast(k as integer) as k,
        cast(clusters as integer) as clusters,
        cast(customers as bigint) as customers,
        cast(inertia as double) as inertia,
        cast(below_line as double) as elbow_score,
        row_number() over (order by below_line desc, k asc) = 1 as is_chosen
    from elbow
)

select * from final
