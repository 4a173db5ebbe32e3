{#
    One row per spend category with its label and flags. The merchant_categories seed may list a
    category once per MCC, so the attributes are collapsed here and every join on `category`
    downstream stays one-to-one.
#}
with

merchant_categories as (select * from {{ ref('merchant_categories') }}),

final as (
    select
        category,
        min(category_label) as category_label,
        bool_or(is_discretionary) as is_discretionary,
        bool_or(is_essential) as is_essential,
        bool_or(in_purchase_mix) as in_purchase_mix
    from merchant_categories
    group by category
)

select * from final
