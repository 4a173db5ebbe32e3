{#
    Every raw transaction row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__transactions exposes. The largest table: hash joins to the small code lookups and
    parent keys, and a window only over the few rows whose transaction_id another row also
    carries (found by one sort of the ids' hashes first); every other row streams from the files
    to the table, so memory stays flat as the files grow.

    What decides (quarantine), in priority order: the transaction id; an owner (an account, or a
    customer where the extract names customers); a date (transaction_at, else transaction_date)
    and an amount; the date parseable and not after the as-of instant; the amount a finite
    positive number, not below the home currency's smallest unit (0.01 INR) and not absurd; an
    owner that is clean: a transaction whose account is not a clean account is linked to its
    customer_id when it has one (flagged unknown_account), and quarantined as orphan_account
    when it has none.

    Everything else is an optional attribute, NULL with a data-quality flag when it cannot be
    read: the time of day (a date without a time keeps its time NULL, never midnight), channel,
    payment type, currency, category and country codes the seeds do not know, an is_fraud that
    is not 0/1/true/false/yes/no. A merchant the merchants table does not list is kept and
    flagged unknown_merchant (dim_merchant carries it as an inferred member). Amounts are
    rounded to the home currency's minor units, half away from zero; a rounded amount is flagged
    and its original stays in raw_record. An empty currency means the home currency; a
    timestamp with a UTC offset is converted to the bank's time zone (var bank_timezone).

    Incremental (issue 5): the raw files are the delivery batches. A build reads only the files
    the table has not loaded (raw_load_plan()), checks and ranks their rows together with the
    already-loaded rows that share their transaction_id, and replaces those ids (delete+insert
    on transaction_id; on Spark, insert_overwrite of the partitions, one per raw file, that the
    build writes), so a duplicate of an old id, in either direction, ends up exactly as a full
    refresh ranks it. When the loaded files cannot be extended exactly (a loaded file
    disappeared, or a new file sorts before a loaded one) the pre-hook empties the table and
    every file is read again.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=incremental_strategy(),
        partition_by=incremental_partitions(['source_file_key']),
        unique_key='transaction_id',
        on_schema_change='fail',
        pre_hook="{{ reset_when_raw_reload('transactions') }}"
    )
}}

{%- set at_text = "cast(raw_transaction_at as string)" -%}
{#- The usual ways of writing a transaction's instant, read at once (exact_timestamp): ISO
    (2024-05-01 10:00:00) and day/month ones with a four-digit year, one separator (/ - or .)
    and a two-digit clock with or without seconds (1/5/2024 10:00:00, 01-05-2024 10:00, in the
    column's day/month order), which every row of a day-first bank takes. Anything else, or a
    value these formats reject, goes the general way below: the same date and time, at several
    pattern matches per value. -#}
{%- set day_month_timestamp = '\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{4} ([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?' -%}
{#- One format per value, chosen by whether its clock has seconds and by its separator
    (parse_by_separator()): DuckDB pays for every format that fails (a million dotted values
    without seconds: 0.06 s with their format alone, 2.7 s through a list of six in which it
    comes last). -#}
{%- set instant_by_order = {} -%}
{%- for order, fields in [('dmy', ['%d', '%m', '%Y']), ('mdy', ['%m', '%d', '%Y'])] -%}
    {%- do instant_by_order.update({order: "case when " ~ at_text ~ " like '%:%:%' then "
        ~ parse_by_separator(at_text, fields, ' %H:%M:%S') ~ " else " ~ parse_by_separator(at_text, fields, ' %H:%M')
        ~ " end"}) -%}
{%- endfor -%}
{%- set merchants_present = raw_table_is_present('merchants') -%}
{#- The customer who owns the row: the clean account's, else the one the row names. Looked up
    once, for both the orphan check and the owner's home country. -#}
{%- set owner_key =
    "case when account_parents.is_clean then account_parents.customer_id else typed.customer_key end" -%}

{{ staging_base_model(
    table='transactions',
    key=['transaction_id'],
    incremental=true,
    row_key_for_clean_rows=false,
    data_window=true,
    date_columns=['transaction_at', 'transaction_date'],
    typed=[
        ('transaction_id', clean_text('raw_transaction_id')),
        ('account_key', clean_text('raw_account_id')),
        ('customer_key', clean_text('raw_customer_id')),
        ('merchant_key', clean_text('raw_merchant_id')),
        ('exact_timestamp', "case"
            ~ " when length(" ~ at_text ~ ") = 19 and substr(" ~ at_text ~ ", 5, 1) = '-' then " ~ parse_timestamp_formats(at_text, ['%Y-%m-%d %H:%M:%S'])
            ~ " when " ~ regex_full_match(at_text, day_month_timestamp) ~ " then case when date_order__transaction_at = 'mdy'"
            ~ " then " ~ instant_by_order['mdy']
            ~ " else " ~ instant_by_order['dmy'] ~ " end"
            ~ " end"),
        ('uses_transaction_at', "case when exact_timestamp is not null then true when raw_transaction_at is null then false else not " ~ is_blank('raw_transaction_at') ~ " end"),
        ('offset_timestamp', "case when exact_timestamp is null and uses_transaction_at then " ~ parse_offset_timestamp('raw_transaction_at') ~ " end"),
        ('parsed_date', "case"
            ~ " when exact_timestamp is not null then cast(exact_timestamp as date)"
            ~ " when offset_timestamp is not null then cast(offset_timestamp as date)"
            ~ " when uses_transaction_at then " ~ parse_date('raw_transaction_at', 'date_order__transaction_at', 'past', 'as_of_date')
            ~ " else " ~ parse_date('raw_transaction_date', 'date_order__transaction_date', 'past', 'as_of_date')
            ~ " end"),
        ('clock_text', "case"
            ~ " when exact_timestamp is not null or offset_timestamp is not null then null"
            ~ " when uses_transaction_at then nullif(regexp_extract(" ~ clean_text('raw_transaction_at') ~ ", '^[0-9/.-]+[ T](.+)$', 1), '')"
            ~ " else " ~ clean_text('raw_transaction_time')
            ~ " end"),
        ('parsed_time', "case"
            ~ " when exact_timestamp is not null then cast(exact_timestamp as time)"
            ~ " when offset_timestamp is not null then cast(offset_timestamp as time)"
            ~ " when clock_text is not null then " ~ parse_time("regexp_replace(clock_text, '(Z|[+-]\\d{2}:?\\d{2})$', '')")
            ~ " end"),
        ('amount_value', parse_number('raw_amount')),
        ('currency_key', normalise_code('raw_currency')),
        ('channel_key', normalise_code('raw_channel')),
        ('payment_type_key', normalise_code('raw_payment_type')),
        ('category_key', normalise_code('raw_category')),
        ('country_key', normalise_code('raw_country_code')),
        ('fraud_value', parse_flag('raw_is_fraud')),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        code_lookup('currency', 'currencies', 'typed.currency_key', 'known_currency'),
        code_lookup('channel', 'channels', 'typed.channel_key', 'known_channel'),
        code_lookup('payment_type', 'payment_types', 'typed.payment_type_key', 'known_payment_type'),
        code_lookup('category', 'categories', 'typed.category_key', 'known_category'),
        code_lookup('country_code', 'countries', 'typed.country_key', 'known_country_code'),
        home_currency_lookup(),
        parent_lookup('base_core__accounts', 'account_id', 'account', 'typed.account_key', carry=['customer_id', 'account_type']),
        parent_lookup('base_core__customers', 'customer_id', 'customer', owner_key, carry=['country_code']),
        parent_lookup('base_core__merchants', 'merchant_id', 'merchant', 'typed.merchant_key', carry=['category']),
    ],
    checks=[
        ('transaction_id is null', 'missing_key', "'transaction_id is empty'"),
        ('account_key is null and customer_key is null', 'missing_key', "'account_id and customer_id are empty'"),
        check_too_long('transaction_id', max_id_length()),
        check_too_long('account_key', max_id_length()),
        check_too_long('customer_key', max_id_length()),
        ('parsed_date is null and not uses_transaction_at and ' ~ is_blank('raw_transaction_date'), 'missing_value',
            "'transaction_at and transaction_date are empty'"),
        ('parsed_date is null', 'unparseable_timestamp',
            "case when uses_transaction_at then 'transaction_at ' || " ~ quote_raw('raw_transaction_at')
            ~ " else 'transaction_date ' || " ~ quote_raw('raw_transaction_date') ~ " end || ' is not a date or timestamp'"),
        ('case when parsed_time is not null then ' ~ date_at_time('parsed_date', 'parsed_time') ~ ' > as_of_timestamp else parsed_date > as_of_date end',
            'future_dated',
            "'transaction on ' || cast(parsed_date as string) || coalesce(' ' || cast(parsed_time as string), '') || ' is after the as-of instant ' || cast(as_of_timestamp as string)"),
        check_data_window('parsed_date', 'transaction date'),
    ] + amount_checks('raw_amount', 'amount_value', 'amount') + [
        ('not coalesce(account_is_clean, false) and customer_key is null', 'orphan_account',
            "'account_id ' || " ~ quote_raw('account_key') ~ " || case when account_parent_reason is null then ' is not in accounts' else ' was quarantined in accounts (' || account_parent_reason || ')' end || ', and the row names no customer_id'"),
        ('not coalesce(account_is_clean, false) and not coalesce(customer_is_clean, false)', 'orphan_customer',
            "'customer_id ' || " ~ quote_raw('customer_key') ~ " || case when customer_parent_reason is null then ' is not in customers' else ' was quarantined in customers (' || customer_parent_reason || ')' end"),
    ],
    attributes=[
        ('transaction_time', 'parsed_time', [
            ('clock_text is not null and parsed_time is null', 'unparseable_time',
                "'time ' || " ~ quote_raw('clock_text') ~ " || ' is not a time of day'"),
        ]),
        code_attribute('currency', 'currency_key', 'currencies'),
        code_attribute('channel', 'channel_key', 'channels'),
        code_attribute('payment_type', 'payment_type_key', 'payment_types'),
        code_attribute('category', 'category_key', 'merchant_categories'),
        code_attribute('country_code', 'country_key', 'countries'),
        ('is_fraud', 'fraud_value', [
            ('fraud_value is null and not ' ~ is_blank('raw_is_fraud'), 'out_of_domain',
                "'is_fraud ' || " ~ quote_raw('raw_is_fraud') ~ " || ' is not 0/1, true/false or yes/no'"),
        ]),
    ],
    flags=[
        rounded_amount_flag('amount_value', 'amount'),
        ('account_id', 'account_key is not null and not coalesce(account_is_clean, false)', 'unknown_account',
            "'account_id ' || " ~ quote_raw('account_key') ~ " || ' is not a clean account: linked to customer_id ' || " ~ quote_raw('customer_key')),
        ('customer_id', "account_is_clean and customer_key is not null and customer_key <> account_customer_id", 'customer_mismatch',
            "'customer_id ' || " ~ quote_raw('customer_key') ~ " || " ~ sql_text(" differs from the account's customer ") ~ " || " ~ quote_raw('account_customer_id') ~ " || ': the account''s is kept'"),
    ] + ([
        ('merchant_id', 'merchant_key is not null and not coalesce(merchant_is_clean, false)', 'unknown_merchant',
            "'merchant_id ' || " ~ quote_raw('merchant_key') ~ " || case when merchant_parent_reason is null then ' is not in merchants' else ' was quarantined in merchants (' || merchant_parent_reason || ')' end"),
    ] if merchants_present else []),
    columns=[
        ('transaction_id', 'transaction_id'),
        ('account_id', 'account_key'),
        ('customer_id', 'case when account_is_clean then account_customer_id else customer_key end'),
        ('merchant_id', 'merchant_key'),
        ('transaction_date', 'parsed_date'),
        ('transaction_at', date_at_time('parsed_date', 'transaction_time')),
        ('amount', 'cast(case when quarantine_reason is null then ' ~ round_to_minor_units('amount_value') ~ ' end as decimal(18, 2))'),
        ('currency', "case when currency_key is null then '" ~ var('home_currency', 'INR') ~ "' else currency end"),
        ('channel', 'channel'),
        ('payment_type', 'payment_type'),
        ('category', 'category'),
        ('country_code', 'country_code'),
        ('is_fraud', 'is_fraud'),
        ('txn_month', "cast(" ~ dbt.date_trunc('month', 'parsed_date') ~ " as date)"),
        ('derived_columns', 'derived_columns_text'),
        ('account_type', 'account_account_type'),
        ('home_country_code', 'customer_country_code'),
        ('merchant_category', 'merchant_category'),
    ]
) }}
