{#
    The card-fraud analysis: transactions that carry a fraud label, by local hour of day and
    amount band (var fraud_amount_band_edges, home currency, lower edge inclusive), with the
    fraud count and rate and the amounts. A row with hour_of_day NULL holds the labelled
    transactions whose time of day is unknown. Empty for a bank without fraud labels.
#}
{%- set edges = var('fraud_amount_band_edges', [0, 10, 50, 100, 500, 1000, 5000]) %}

with

transactions as (
    select
        hour_of_day,
        cast(amount as double) as amount,
        is_fraud
    from {{ ref('int_transactions_enriched') }}
    where has_fraud_label
),

banded as (
    select
        *,
        case
            {%- for edge in edges | reverse %}
            when amount >= {{ edge }} then {{ loop.revindex }}
            {%- endfor %}
        end as amount_band_order
    from transactions
),

final as (
    select
        cast(hour_of_day as integer) as hour_of_day,
        cast(amount_band_order as integer) as amount_band_order,
        case amount_band_order
            {%- for edge in edges %}
            when {{ loop.index }} then '{{ edge }}{{ "-" ~ edges[loop.index] if not loop.last else "+" }}'
            {%- endfor %}
        end as amount_band,
        cast(count(*) as bigint) as transactions,
        cast(count(*) filter (where is_fraud) as bigint) as fraud_transactions,
        cast(count(*) filter (where is_fraud) / count(*) as double) as fraud_rate,
        cast(sum(amount) as double) as total_amount,
        cast(coalesce(sum(amount) filter (where is_fraud), 0) as double) as fraud_amount
    from banded
    group by all
)

select * from final
