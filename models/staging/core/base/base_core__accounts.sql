{#
    Every raw account row, typed and normalised, with quarantine_reason NULL for the rows
    stg_core__accounts exposes. The keys decide: an empty or overlong account or customer id, an
    empty or unknown account type (what the account is), a second row with the same id, or a
    customer that is not a clean customer (the detail says whether it is missing or was
    quarantined, and why) quarantine the row. Dates, currency, status and credit limit are
    optional: an unreadable one becomes NULL with a data-quality flag. An empty currency means the
    home currency; an empty or unknown status is derived from closed_date.
#}
{{ staging_base_model(
    table='accounts',
    key=['account_id'],
    date_columns=['opened_date', 'closed_date'],
    typed=[
        ('account_id', clean_text('raw_account_id')),
        ('customer_id', clean_text('raw_customer_id')),
        ('account_type_key', normalise_code('raw_account_type')),
        ('parsed_opened_date', parse_date('raw_opened_date', 'date_order__opened_date', 'past', 'as_of_date')),
        ('parsed_closed_date', parse_date('raw_closed_date', 'date_order__closed_date', 'past', 'as_of_date')),
        ('currency_key', normalise_code('raw_currency')),
        ('credit_limit_value', parse_number('raw_credit_limit')),
        ('status_key', normalise_code('raw_status')),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        code_lookup('account_type', 'account_types', 'typed.account_type_key', 'account_type'),
        code_lookup('currency', 'currencies', 'typed.currency_key', 'known_currency'),
        code_lookup('account_status', 'statuses', 'typed.status_key', 'known_status'),
        parent_lookup('base_core__customers', 'customer_id', 'customer', 'typed.customer_id'),
    ],
    checks=[
        ('account_id is null', 'missing_key', "'account_id is empty'"),
        ('customer_id is null', 'missing_key', "'customer_id is empty'"),
        check_too_long('account_id', max_id_length()),
        check_too_long('customer_id', max_id_length()),
        ('account_type_key is null', 'missing_value', "'account_type is empty'"),
        ('account_type is null', 'unknown_account_type',
            "'account_type ' || " ~ quote_raw('raw_account_type') ~ " || ' is not in the account_types seed'"),
        check_orphan('customer_id', 'customer', 'customers', 'orphan_customer'),
    ],
    attributes=[
        ('opened_date', 'parsed_opened_date', attribute_date_checks('raw_opened_date', 'parsed_opened_date', 'opened_date')),
        ('closed_date', 'parsed_closed_date',
            attribute_date_checks('raw_closed_date', 'parsed_closed_date', 'closed_date') + [
            ('parsed_closed_date < parsed_opened_date', 'out_of_range',
                "'closed_date ' || cast(parsed_closed_date as string) || ' is before opened_date ' || cast(parsed_opened_date as string)"),
        ]),
        code_attribute('currency', 'currency_key', 'currencies'),
        code_attribute('status', 'status_key', 'code_aliases (account_status)'),
        ('credit_limit', 'credit_limit_value', [
            check_unparseable_number('raw_credit_limit', 'credit_limit_value', 'credit_limit'),
            check_finite('credit_limit_value', 'credit_limit'),
            check_out_of_range('credit_limit_value', 'credit_limit_value < 0 or credit_limit_value >= 1e16', 'credit_limit', '0..1e16'),
        ]),
    ],
    columns=[
        ('account_id', 'account_id'),
        ('customer_id', 'customer_id'),
        ('account_type', 'account_type'),
        ('opened_date', 'opened_date'),
        ('closed_date', 'closed_date'),
        ('currency', "case when currency_key is null then '" ~ var('home_currency', 'INR') ~ "' else currency end"),
        ('credit_limit', 'cast(credit_limit as decimal(18, 2))'),
        ('status', "coalesce(status, case when closed_date is not null then 'closed' else 'open' end)"),
        ('is_open', "coalesce(status, case when closed_date is not null then 'closed' else 'open' end) <> 'closed' and closed_date is null"),
        ('derived_columns', 'derived_columns_text'),
    ]
) }}
