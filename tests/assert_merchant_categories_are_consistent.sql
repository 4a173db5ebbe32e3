{#
    The merchant_categories seed repeats a category's label and flags on each of its MCC rows.
    Fails with every category whose rows disagree, or that is flagged both essential and
    discretionary: marts collapse the seed to one row per category and would pick arbitrarily.
#}
with

merchant_categories as (select * from {{ ref('merchant_categories') }}),

categories as (
    select
        category,
        count(distinct category_label) as label_count,
        count(distinct is_discretionary) as discretionary_flag_count,
        count(distinct is_essential) as essential_flag_count,
        count(distinct in_purchase_mix) as purchase_mix_flag_count,
        bool_or(is_discretionary and is_essential) as is_both
    from merchant_categories
    group by category
)

select *
from categories
where label_count > 1
    or discretionary_flag_count > 1
    or essential_flag_count > 1
    or purchase_mix_flag_count > 1
    or is_both
