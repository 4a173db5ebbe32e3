{#
    Every raw monthly spend aggregate (customer x month x category x payment type [x channel]),
    typed, with quarantine_reason NULL for the rows stg_core__monthly_spend exposes. What
    decides: the customer id and a parseable month not after the as-of date, a finite amount of
    zero or more (a complete grid holds zeros), one row per key, and a customer that is a clean
    customer. Category, payment type and channel are optional: an unknown one becomes NULL with a
    data-quality flag (the key keeps the raw spelling, so two unknown categories stay two rows).
#}
{{ staging_base_model(
    table='monthly_spend',
    key=['customer_id', 'spend_month', 'category_key', 'payment_type_key', 'channel_key'],
    row_key="concat_ws('|', cast(raw_customer_id as string), coalesce(cast(raw_spend_month as string), ''), coalesce(cast(raw_category as string), ''), coalesce(cast(raw_payment_type as string), ''), coalesce(cast(raw_channel as string), ''))",
    data_window=true,
    date_columns=['spend_month'],
    typed=[
        ('customer_id', clean_text('raw_customer_id')),
        ('spend_month', parse_month('raw_spend_month', 'date_order__spend_month')),
        ('category_key', "coalesce(" ~ normalise_code('raw_category') ~ ", '')"),
        ('payment_type_key', "coalesce(" ~ normalise_code('raw_payment_type') ~ ", '')"),
        ('channel_key', "coalesce(" ~ normalise_code('raw_channel') ~ ", '')"),
        ('amount_value', parse_number('raw_amount')),
        ('count_value', "try_cast(" ~ parse_number('raw_transaction_count') ~ " as bigint)"),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        home_currency_lookup(),
        code_lookup('category', 'categories', 'typed.category_key', 'known_category'),
        code_lookup('payment_type', 'payment_types', 'typed.payment_type_key', 'known_payment_type'),
        code_lookup('channel', 'channels', 'typed.channel_key', 'known_channel'),
        parent_lookup('base_core__customers', 'customer_id', 'customer', 'typed.customer_id'),
    ],
    checks=[
        ('customer_id is null', 'missing_key', "'customer_id is empty'"),
        check_too_long('customer_id', max_id_length()),
        ('spend_month is null and ' ~ is_blank('raw_spend_month'), 'missing_key', "'spend_month is empty'"),
        ('spend_month is null', 'unparseable_date',
            "'spend_month ' || " ~ quote_raw('raw_spend_month') ~ " || ' is not a month (YYYY-MM)'"),
        check_future_date('spend_month', 'spend_month'),
        check_data_window('spend_month', 'spend_month'),
    ] + amount_checks('raw_amount', 'amount_value', 'amount', minimum='zero') + [
        check_orphan('customer_id', 'customer', 'customers', 'orphan_customer'),
    ],
    attributes=[
        code_attribute('category', "nullif(category_key, '')", 'merchant_categories'),
        code_attribute('payment_type', "nullif(payment_type_key, '')", 'payment_types'),
        code_attribute('channel', "nullif(channel_key, '')", 'channels'),
        ('transaction_count', 'count_value', [
            check_unparseable_number('raw_transaction_count', 'count_value', 'transaction_count'),
            check_out_of_range('count_value', 'count_value < 0', 'transaction_count', '0 or more'),
        ]),
    ],
    flags=[rounded_amount_flag('amount_value', 'amount')],
    columns=[
        ('customer_id', 'customer_id'),
        ('spend_month', 'spend_month'),
        ('category', 'category'),
        ('payment_type', 'payment_type'),
        ('channel', 'channel'),
        ('amount', 'cast(case when quarantine_reason is null then ' ~ round_to_minor_units('amount_value') ~ ' end as decimal(18, 2))'),
        ('transaction_count', 'cast(transaction_count as bigint)'),
        ('derived_columns', 'derived_columns_text'),
    ]
) }}
