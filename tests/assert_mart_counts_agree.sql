{#
    The marts agree on how many transactions and customers there are: var mart_count_invariants
    in dbt_project.yml lists, for each, the marts that count them and how. A build stopped
    half-way, or an incremental step that missed or doubled rows, shows up as one mart counting
    differently. bankmart publish checks the same var on the warehouse it serves. Returns one
    row per count of each invariant whose counts differ. A mart listed in var
    mart_count_rows_of is counted on the model that stores its rows (fct_transactions, a view
    in the build file, on int_transactions_enriched).
#}
{%- set checks = [] -%}
{%- for what, models in var('mart_count_invariants').items() -%}
{%- for model, expression in models.items() -%}
{%- do checks.append({'what': what, 'model': model, 'expression': expression}) -%}
{%- endfor -%}
{%- endfor -%}

with

counts as (
    {%- for check in checks %}
    select
        '{{ check.what }}' as invariant,
        '{{ check.model }}' as model_name,
        {{ sql_text(check.expression) }} as counted_as,
        (
            select cast(coalesce({{ check.expression }}, 0) as bigint)
            from {{ ref(var('mart_count_rows_of', {}).get(check.model, check.model)) }}
        ) as counted
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        invariant,
        model_name,
        counted_as,
        counted
    from counts
    qualify min(counted) over (partition by invariant) <> max(counted) over (partition by invariant)
)

select * from final
