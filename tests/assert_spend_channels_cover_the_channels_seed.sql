{#
    customer_monthly_features counts transactions per channel of var spend_channels. Fails with
    every channel of the channels seed the list misses (its transactions would be counted as
    known-channel transactions of no channel, and every channel share would be too small) and
    every listed channel the seed does not know.
#}
{%- set listed = var('spend_channels') %}

with

channels as (select channel from {{ ref('channels') }}),

listed as (
    {%- for channel in listed %}
    select '{{ channel }}' as channel
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        coalesce(channels.channel, listed.channel) as channel,
        channels.channel is not null as in_seed,
        listed.channel is not null as in_spend_channels,
    from channels
    full outer join listed
        on channels.channel = listed.channel
    where channels.channel is null or listed.channel is null
)

select * from final
