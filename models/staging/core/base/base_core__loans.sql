{#
    Every raw loan row, typed, with quarantine_reason NULL for the rows stg_core__loans exposes.
    What decides: the loan and customer ids, a parseable disbursement date not after the as-of
    date, a finite positive principal (not below the smallest unit, not absurd), and a borrower
    that is a clean customer (the detail says whether it is missing or was quarantined, and why).
    The loan account, due date (which may lie ahead) and interest rate are optional: an unknown
    account or an unreadable date or rate becomes NULL with a data-quality flag.
#}
{{ staging_base_model(
    table='loans',
    key=['loan_id'],
    data_window=true,
    date_columns=['disbursed_date', 'due_date'],
    typed=[
        ('loan_id', clean_text('raw_loan_id')),
        ('customer_id', clean_text('raw_customer_id')),
        ('account_key', clean_text('raw_account_id')),
        ('disbursed_date', parse_date('raw_disbursed_date', 'date_order__disbursed_date', 'past', 'as_of_date')),
        ('principal_value', parse_number('raw_principal_amount')),
        ('parsed_due_date', parse_date('raw_due_date', 'date_order__due_date', 'any', 'as_of_date')),
        ('interest_rate_value', parse_number('raw_interest_rate')),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        home_currency_lookup(),
        parent_lookup('base_core__customers', 'customer_id', 'customer', 'typed.customer_id'),
        parent_lookup('base_core__accounts', 'account_id', 'account', 'typed.account_key'),
    ],
    checks=[
        ('loan_id is null', 'missing_key', "'loan_id is empty'"),
        ('customer_id is null', 'missing_key', "'customer_id is empty'"),
        check_too_long('loan_id', max_id_length()),
        check_too_long('customer_id', max_id_length()),
    ] + activity_date_checks('raw_disbursed_date', 'disbursed_date', 'disbursed_date')
      + amount_checks('raw_principal_amount', 'principal_value', 'principal_amount') + [
        check_orphan('customer_id', 'customer', 'customers', 'orphan_customer'),
    ],
    attributes=[
        ('account_id', 'account_key', [
            ('account_key is not null and not coalesce(account_is_clean, false)', 'unknown_account',
                "'account_id ' || " ~ quote_raw('account_key') ~ " || case when account_parent_reason is null then ' is not in accounts' else ' was quarantined in accounts (' || account_parent_reason || ')' end"),
        ]),
        ('due_date', 'parsed_due_date', [
            check_unparseable_date('raw_due_date', 'parsed_due_date', 'due_date'),
            check_placeholder_date('parsed_due_date', 'due_date'),
            ('parsed_due_date < disbursed_date', 'out_of_range',
                "'due_date ' || cast(parsed_due_date as string) || ' is before disbursed_date ' || cast(disbursed_date as string)"),
        ]),
        ('interest_rate', 'interest_rate_value', [
            check_unparseable_number('raw_interest_rate', 'interest_rate_value', 'interest_rate'),
            check_finite('interest_rate_value', 'interest_rate'),
            check_out_of_range('interest_rate_value', 'interest_rate_value < 0 or interest_rate_value > 10', 'interest_rate', '0..10 (a fraction: 0.24 is 24%)'),
        ]),
    ],
    flags=[rounded_amount_flag('principal_value', 'principal_amount')],
    columns=[
        ('loan_id', 'loan_id'),
        ('customer_id', 'customer_id'),
        ('account_id', 'account_id'),
        ('disbursed_date', 'disbursed_date'),
        ('principal_amount', 'cast(case when quarantine_reason is null then ' ~ round_to_minor_units('principal_value') ~ ' end as decimal(18, 2))'),
        ('due_date', 'due_date'),
        ('interest_rate', 'interest_rate'),
        ('derived_columns', 'derived_columns_text'),
    ]
) }}
