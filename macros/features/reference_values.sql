{#
    Code lists come from the reference seeds, never from a second list in a var or a macro:
    reference_values() reads the distinct values of one seed column from the built seed table
    when dbt runs (sorted, NULLs left out; an empty list while dbt only parses, or compiles before
    the seed is built, with a message saying so). A model calling it must already depend on the
    seed through its refs, so that dbt builds the seed first.
#}
{% macro reference_values(seed_name, column, where=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if graph.nodes is defined -%}
        {%- set node = graph.nodes.get('seed.' ~ project_name ~ '.' ~ seed_name) -%}
        {%- if node is none -%}
            {{ exceptions.raise_compiler_error("reference_values: the project has no seed named '" ~ seed_name ~ "'") }}
        {%- endif -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- else -%}
        {#- a dbt unit test compiles without the graph: the seeds' schema (dbt_project.yml) -#}
        {%- set relation = adapter.get_relation(database=target.database, schema='reference', identifier=seed_name) -%}
    {%- endif -%}
    {%- if relation is none -%}
        {#- only when compiling without a build (dbt compile): a build seeds first -#}
        {{ log("The seed " ~ seed_name ~ " is not built yet: the columns made from its " ~ column ~ " values are left out of this compile.", info=true) }}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select distinct {{ adapter.quote(column) }} as value
        from {{ relation }}
        where {{ adapter.quote(column) }} is not null
        {%- if where %} and ({{ where }}){% endif %}
        order by value
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#
    Every spend category (merchant_categories seed): customer_monthly_features carries a
    spend_<category> column for each.
#}
{% macro spend_categories() -%}
    {{ return(reference_values('merchant_categories', 'category')) }}
{%- endmacro %}

{#
    Every channel (channels seed): customer_monthly_features counts transactions per channel.
#}
{% macro spend_channels() -%}
    {{ return(reference_values('channels', 'channel')) }}
{%- endmacro %}

{#
    The spend categories that say what a customer buys (merchant_categories.in_purchase_mix):
    customer_monthly_features counts purchases in each, and the feature layer turns the counts
    into the customer's purchase mix.
#}
{% macro purchase_categories() -%}
    {{ return(reference_values('merchant_categories', 'category', 'in_purchase_mix')) }}
{%- endmacro %}
