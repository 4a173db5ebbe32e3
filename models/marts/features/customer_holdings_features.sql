{#
    One row per customer with a holdings snapshot: what the customer holds at the latest
    snapshot date, by product (balances in the home currency, NULL for a product not reported)
    and in totals: deposits (current, savings, deposit, foreign-currency balances), credit (card
    balances, loans and business lending owed), superannuation, cards and properties counted, and
    how many products hold something. Feeds the holdings analyses and BI; a bank without a
    holdings extract has no rows.
#}
{%- set products = ['current', 'savings', 'deposit', 'foreign_currency', 'credit_card', 'loan',
                    'business_loan', 'superannuation'] -%}

with

holdings as (select * from {{ ref('fct_customer_holdings') }}),

latest as (
    select
        customer_id,
        max(snapshot_date) as snapshot_date
    from holdings
    group by customer_id
),

current_holdings as (
    select holdings.*
    from holdings
    inner join latest
        on holdings.customer_id = latest.customer_id
        and holdings.snapshot_date = latest.snapshot_date
),

final as (
    select
        customer_id,
        max(snapshot_date) as snapshot_date,
        {%- for product in products %}
        cast(sum(case when product = '{{ product }}' then balance end) as double) as {{ product }}_balance,
        {%- endfor %}
        cast(sum(case when product_group = 'deposits' then balance end) as double) as deposits_total,
        cast(sum(case when product_group = 'lending' then balance end) as double) as credit_owed_total,
        cast(sum(case when product = 'credit_card' then quantity end) as double) as credit_card_count,
        cast(sum(case when product = 'property' then quantity end) as double) as properties_owned,
        cast(
            count(distinct case when coalesce(balance, 0) <> 0 or coalesce(quantity, 0) > 0 then product end)
            as integer
        ) as products_held
    from current_holdings
    group by customer_id
)

select * from final
