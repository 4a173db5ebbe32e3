{#
    The holdings analysis: customers with a holdings snapshot grouped by the bank's own
    classifications (loyalty class, fee structure, risk weighting, banking relationship) and by
    the project's segment (customer_segments), and within each group what they hold at their
    latest snapshot, product by product: how many hold it, its total and average balance, and
    the count held (cards, properties). A customer whose classification is unknown falls in
    group 'Unknown'. Empty for a bank without a holdings extract.
#}
{%- set groups = ['loyalty_class', 'fee_structure', 'risk_weighting', 'relationship_type', 'segment'] %}

with

holdings as (
    select
        fct.customer_id,
        fct.product,
        fct.product_label,
        fct.balance,
        fct.quantity
    from {{ ref('fct_customer_holdings') }} as fct
    inner join {{ ref('customer_holdings_features') }} as latest
        on fct.customer_id = latest.customer_id
        and fct.snapshot_date = latest.snapshot_date
),

customers as (
    select
        dim.customer_id,
        coalesce(dim.loyalty_class, 'Unknown') as loyalty_class,
        coalesce(dim.fee_structure, 'Unknown') as fee_structure,
        coalesce(cast(dim.risk_weighting as string), 'Unknown') as risk_weighting,
        coalesce(dim.relationship_type, 'Unknown') as relationship_type,
        coalesce(segments.segment_name, 'Unknown') as segment,
        dim.monthly_income
    from {{ ref('dim_customer') }} as dim
    left join {{ ref('customer_segments') }} as segments
        on dim.customer_id = segments.customer_id
    where dim.customer_id in (select holdings.customer_id from holdings)
),

grouped as (
    {%- for group in groups %}
    select
        '{{ group }}' as group_type,
        {{ group }} as group_value,
        customer_id,
        monthly_income
    from customers
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

group_sizes as (
    select
        group_type,
        group_value,
        count(*) as customers,
        avg(monthly_income) as avg_monthly_income
    from grouped
    group by all
),

by_product as (
    select
        grouped.group_type,
        grouped.group_value,
        holdings.product,
        holdings.product_label,
        cast(group_sizes.customers as bigint) as customers,
        cast(group_sizes.avg_monthly_income as double) as avg_monthly_income,
        cast(count(*) filter (where coalesce(holdings.balance, 0) <> 0 or coalesce(holdings.quantity, 0) > 0) as bigint)
            as holders,
        cast(
            count(*) filter (where coalesce(holdings.balance, 0) <> 0 or coalesce(holdings.quantity, 0) > 0)
            / group_sizes.customers
            as double
        ) as holding_share,
        cast(sum(holdings.balance) as double) as total_balance,
        cast(avg(holdings.balance) as double) as avg_balance,
        cast(sum(holdings.quantity) as double) as total_quantity,
        cast(avg(holdings.quantity) as double) as avg_quantity
    from grouped
    inner join holdings
        on grouped.customer_id = holdings.customer_id
    inner join group_sizes
        on grouped.group_type = group_sizes.group_type
        and grouped.group_value = group_sizes.group_value
    group by
        grouped.group_type,
        grouped.group_value,
        holdings.product,
        holdings.product_label,
        group_sizes.customers,
        group_sizes.avg_monthly_income
),

final as (
    select
        group_type,
        group_value,
        product,
        product_label,
        customers,
        cast(customers / sum(customers) over (partition by group_type, product) as double) as share_of_customers,
        avg_monthly_income,
        holders,
        holding_share,
        total_balance,
        avg_balance,
        total_quantity,
        avg_quantity
    from by_product
)

select * from final
