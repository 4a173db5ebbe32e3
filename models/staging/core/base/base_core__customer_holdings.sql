{#
    Every raw holdings row (customer x snapshot date x product), typed, with quarantine_reason
    NULL for the rows stg_core__customer_holdings exposes. What decides: the customer id, a
    parseable snapshot date inside the data window and not after the as-of date, a known product
    (the account_types seed, with holdings-extract spellings such as 'Bank Deposits' or 'Checking
    Accounts' in code_aliases; two spellings of one product are one key), one row per key, and a
    customer that is a clean customer. The balance and quantity are optional: an unreadable one
    becomes NULL with a data-quality flag.
#}
{{ staging_base_model(
    table='customer_holdings',
    key=['customer_id', 'snapshot_date', 'product'],
    row_key="concat_ws('|', cast(raw_customer_id as string), coalesce(cast(raw_snapshot_date as string), ''), coalesce(cast(raw_product as string), ''))",
    data_window=true,
    date_columns=['snapshot_date'],
    typed=[
        ('customer_id', clean_text('raw_customer_id')),
        ('snapshot_date', parse_date('raw_snapshot_date', 'date_order__snapshot_date', 'past', 'as_of_date')),
        ('product_key', normalise_code('raw_product')),
        ('product', "(select code from " ~ ref('stg_reference__code_lookups') ~ " as products where products.code_set = 'account_type' and products.lookup_key = " ~ normalise_code('raw_product') ~ ")"),
        ('balance_value', parse_number('raw_balance')),
        ('quantity_value', parse_number('raw_quantity')),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        home_currency_lookup(),
        parent_lookup('base_core__customers', 'customer_id', 'customer', 'typed.customer_id'),
    ],
    checks=[
        ('customer_id is null', 'missing_key', "'customer_id is empty'"),
        check_too_long('customer_id', max_id_length()),
    ] + activity_date_checks('raw_snapshot_date', 'snapshot_date', 'snapshot_date', 'missing_key') + [
        ('product_key is null', 'missing_key', "'product is empty'"),
        ('product is null', 'unknown_account_type',
            "'product ' || " ~ quote_raw('raw_product') ~ " || ' is not in the account_types seed'"),
        check_orphan('customer_id', 'customer', 'customers', 'orphan_customer'),
    ],
    attributes=[
        ('balance', 'balance_value', [
            check_unparseable_number('raw_balance', 'balance_value', 'balance'),
            check_finite('balance_value', 'balance'),
            check_out_of_range('balance_value', 'abs(balance_value) >= 1e16', 'balance', 'DECIMAL(18, 2)'),
        ]),
        ('quantity', 'quantity_value', [
            check_unparseable_number('raw_quantity', 'quantity_value', 'quantity'),
            check_finite('quantity_value', 'quantity'),
            check_out_of_range('quantity_value', 'quantity_value < 0 or quantity_value > 1e6', 'quantity', '0..1000000'),
        ]),
    ],
    flags=[rounded_amount_flag('balance_value', 'balance')],
    columns=[
        ('customer_id', 'customer_id'),
        ('snapshot_date', 'snapshot_date'),
        ('product', 'product'),
        ('balance', 'cast(case when quarantine_reason is null then ' ~ round_to_minor_units('balance') ~ ' end as decimal(18, 2))'),
        ('quantity', 'cast(quantity as double)'),
        ('derived_columns', 'derived_columns_text'),
    ]
) }}
