{#
    Every raw transaction row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__transactions exposes. The largest table: hash joins to the small code lookup and
    to the clean account and merchant keys, and a window only over the few rows whose
    transaction_id another row also carries (found by one sort of the ids' hashes first); every
    other row streams from the files to the table, so memory stays flat as the files grow.

    Rules, in priority order: ids, timestamp and amount present; timestamp parseable and not
    after the as-of instant; amount numeric, positive and not absurd; channel, payment type,
    currency, category and country known (after normalising case, spaces and hyphens and
    applying code_aliases); the account is a clean account and the merchant, when given, a clean
    merchant. An empty currency means the home currency; is_fraud is NULL when the source does
    not say.

    Incremental (issue 5): the raw files are the delivery batches. A build reads only the files
    the table has not loaded (raw_load_plan()), checks and ranks their rows together with the
    already-loaded rows that share their transaction_id, and replaces those ids (delete+insert
    on transaction_id), so a duplicate of an old id, in either direction, ends up exactly as a
    full refresh ranks it. The bookkeeping columns row_issue, row_issue_detail, row_fingerprint
    and source_file_row_number keep what that ranking needs; loaded_at says which build wrote
    the row (downstream models pick up the rows newer than their own watermark). When the
    loaded files cannot be extended exactly (a loaded file disappeared, or a new file sorts
    before a loaded one) the pre-hook empties the table and every file is read again.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail',
        pre_hook="{{ reset_when_raw_reload('transactions') }}",
    )
}}

{%- set key_columns = ['transaction_id'] -%}
{%- set plan = raw_load_plan('transactions') if is_incremental() else none -%}
{#- A reload is a full read into the emptied table (see reset_when_raw_reload). -#}
{%- set incremental = is_incremental() and not plan.reload -%}
{%- set checks = [
    ('transaction_id is null', 'missing_key', "'transaction_id is empty'"),
    ('account_id is null', 'missing_key', "'account_id is empty'"),
    ('transaction_at is null and ' ~ is_blank('raw_transaction_at'), 'missing_value', "'transaction_at is empty'"),
    ('amount_value is null and ' ~ is_blank('raw_amount'), 'missing_value', "'amount is empty'"),
    ('transaction_at is null', 'unparseable_timestamp',
        "'transaction_at ' || " ~ quote_raw('raw_transaction_at') ~ " || ' is not a timestamp'"),
    ('amount_value is null', 'unparseable_number',
        "'amount ' || " ~ quote_raw('raw_amount') ~ " || ' is not a number'"),
    ('transaction_at > as_of_timestamp', 'future_dated',
        "'transaction_at ' || cast(transaction_at as varchar) || ' is after the as-of instant ' || cast(as_of_timestamp as varchar)"),
    ('amount_value <= 0', 'non_positive_amount',
        "'amount ' || cast(amount_value as varchar) || ' is not positive'"),
    ('amount_value > ' ~ absurd_amount_threshold(), 'absurd_amount',
        "'amount ' || cast(amount_value as varchar) || ' is above the absurd_amount_threshold " ~ absurd_amount_threshold() ~ "'"),
    ('channel_key is not null and channel is null', 'unknown_channel',
        "'channel ' || " ~ quote_raw('raw_channel') ~ " || ' is not in the channels seed'"),
    ('payment_type_key is not null and payment_type is null', 'unknown_payment_type',
        "'payment_type ' || " ~ quote_raw('raw_payment_type') ~ " || ' is not in the payment_types seed'"),
    ('currency_key is not null and known_currency is null', 'unknown_currency',
        "'currency ' || " ~ quote_raw('raw_currency') ~ " || ' is not in the currencies seed'"),
    ('category_key is not null and category is null', 'unknown_category',
        "'category ' || " ~ quote_raw('raw_category') ~ " || ' is not in the merchant_categories seed'"),
    ('country_key is not null and country_code is null', 'unknown_country_code',
        "'country_code ' || " ~ quote_raw('raw_country_code') ~ " || ' is not in the countries seed'"),
    ('clean_account_id is null', 'orphan_account',
        "'account_id ' || " ~ quote_raw('account_id') ~ " || ' is not a clean account'"),
    ('merchant_id is not null and clean_merchant_id is null', 'orphan_merchant',
        "'merchant_id ' || " ~ quote_raw('merchant_id') ~ " || ' is not a clean merchant'"),
] -%}

{#- The raw rows, read where they are used: a CTE read twice would be materialised whole. -#}
{%- set raw_rows -%}
    {%- if incremental -%}
    {{ raw_source_files('core', 'transactions', plan.files, prefix='raw_') }}
    {%- else -%}
    {{ raw_source('core', 'transactions', prefix='raw_') }}
    {%- endif -%}
{%- endset -%}
{%- set raw_transaction_key = clean_text('raw_transaction_id') -%}

with

code_lookups as (select * from {{ ref('stg_reference__code_lookups') }}),

clean_accounts as (
    select account_id
    from {{ ref('base_core__accounts') }}
    where quarantine_reason is null
),

clean_merchants as (
    select merchant_id
    from {{ ref('base_core__merchants') }}
    where quarantine_reason is null
),

-- The ids more than one row carries, as hashes (a sort of 8-byte hashes, not a grouping of the
-- id strings): only their rows need ranking, so the other rows (nearly all of them) stream
-- straight through without a window over the whole table. A hash collision only sends a few
-- more rows through the ranking, which partitions by the id itself.
duplicate_keys as (
    {{ repeated_hashes('hash(' ~ raw_transaction_key ~ ')', raw_rows ~ ' as raw_rows') }}
    {%- if incremental %}
    -- and the new ids that are already loaded
    union
    select hash(transaction_id)
    from {{ this }}
    where transaction_id in (
        select {{ raw_transaction_key }}
        from {{ raw_rows }} as raw_rows
    )
    {%- endif %}
),

{#- The same typing and checks for the two sets of rows: those whose id is unique and those
    whose id is shared (tiny); written out twice so each streams from the files. #}
{%- for rows in ['unique', 'duplicated'] %}

{{ rows }}_typed as (
    select
        *,
        {{ raw_transaction_key }} as transaction_id,
        {{ clean_text('raw_account_id') }} as account_id,
        {{ clean_text('raw_merchant_id') }} as merchant_id,
        {{ parse_timestamp('raw_transaction_at') }} as transaction_at,
        {{ dbt.safe_cast('raw_amount', 'double') }} as amount_value,
        {{ normalise_code('raw_currency') }} as currency_key,
        {{ normalise_code('raw_channel') }} as channel_key,
        {{ normalise_code('raw_payment_type') }} as payment_type_key,
        {{ normalise_code('raw_category') }} as category_key,
        {{ normalise_code('raw_country_code') }} as country_key,
        {{ dbt.safe_cast('raw_is_fraud', 'integer') }} as fraud_flag,
        {{ as_of_timestamp() }} as as_of_timestamp,
        {{ row_fingerprint('core', 'transactions', prefix='raw_') }} as row_fingerprint,
    from {{ raw_rows }} as raw_rows
    {%- if rows == 'duplicated' %}
    where hash({{ raw_transaction_key }}) in (select key_hash from duplicate_keys)
    {%- endif %}
),

{{ rows }}_looked_up as (
    select
        typed.*,
        currencies.code as known_currency,
        channels.code as channel,
        payment_types.code as payment_type,
        categories.code as category,
        countries.code as country_code,
        clean_accounts.account_id as clean_account_id,
        clean_merchants.merchant_id as clean_merchant_id,
    from {{ rows }}_typed as typed
    {%- if rows == 'unique' %}
    anti join duplicate_keys
        on hash(typed.transaction_id) = duplicate_keys.key_hash
    {%- endif %}
    left join code_lookups as currencies
        on currencies.code_set = 'currency'
        and typed.currency_key = currencies.lookup_key
    left join code_lookups as channels
        on channels.code_set = 'channel'
        and typed.channel_key = channels.lookup_key
    left join code_lookups as payment_types
        on payment_types.code_set = 'payment_type'
        and typed.payment_type_key = payment_types.lookup_key
    left join code_lookups as categories
        on categories.code_set = 'category'
        and typed.category_key = categories.lookup_key
    left join code_lookups as countries
        on countries.code_set = 'country_code'
        and typed.country_key = countries.lookup_key
    left join clean_accounts
        on typed.account_id = clean_accounts.account_id
    left join clean_merchants
        on typed.merchant_id = clean_merchants.merchant_id
),

{{ rows }}_checked as (
    select
        *,
        {{ first_issue_code(checks) }} as row_issue,
        {{ first_issue_detail(checks) }} as row_issue_detail,
        false as is_loaded,
    from {{ rows }}_looked_up
),
{%- endfor %}

{% if incremental -%}
-- Loaded rows that share an id with a new row: ranked again together with the new rows. Their
-- raw values are in raw_record when they were quarantined; a kept clean row stays kept, because
-- new files sort after loaded ones (else the plan reloads everything).
previous as (
    select
        transaction_id,
        account_id,
        merchant_id,
        transaction_at,
        amount as loaded_amount,
        currency as known_currency,
        channel,
        payment_type,
        category,
        country_code,
        is_fraud,
        source_row_key as loaded_source_row_key,
        source_file_name,
        source_file_row_number,
        row_fingerprint,
        row_issue,
        row_issue_detail,
        raw_record as loaded_raw_record,
        true as is_loaded,
    from {{ this }}
    where transaction_id is not null
        and hash(transaction_id) in (select key_hash from duplicate_keys)
),
{%- endif %}

{%- set sharing_an_id -%}
    {%- if incremental -%}
    (select * from duplicated_checked union all by name select * from previous) as sharing_an_id
    {%- else -%}
    duplicated_checked
    {%- endif -%}
{%- endset %}

ranked as (
    {{ rank_shared_keys('unique_checked', sharing_an_id, key_columns) }}
),

flagged as (
    select
        *,
        {{ quarantine_reason(key_columns) }} as quarantine_reason,
        {{ quarantine_detail(key_columns) }} as quarantine_detail,
    from ranked
),

final as (
    select
        transaction_id,
        account_id,
        merchant_id,
        transaction_at,
        case
            when quarantine_reason is not null then null
            {%- if incremental %}
            when is_loaded then loaded_amount
            {%- endif %}
            else cast(amount_value as decimal(18, 2))
        end as amount,
        coalesce(known_currency, '{{ var("home_currency", "INR") }}') as currency,
        channel,
        payment_type,
        category,
        country_code,
        case
            {%- if incremental %}
            when is_loaded then is_fraud
            {%- endif %}
            when fraud_flag = 1 then true
            when fraud_flag = 0 then false
        end as is_fraud,
        cast({{ dbt.date_trunc('month', 'transaction_at') }} as date) as txn_month,
        case
            when quarantine_reason is null then null
            {%- if incremental %}
            when is_loaded then loaded_source_row_key
            {%- endif %}
            else cast(raw_transaction_id as varchar)
        end as source_row_key,
        source_file_name,
        quarantine_reason,
        quarantine_detail,
        case
            when quarantine_reason is null then null
            {%- if incremental %}
            when is_loaded then loaded_raw_record
            {%- endif %}
            else {{ raw_record_json('core', 'transactions', prefix='raw_') }}
        end as raw_record,
        source_file_row_number,
        row_fingerprint,
        row_issue,
        row_issue_detail,
        {{ run_loaded_at() }} as loaded_at,
    from flagged
)

select * from final
