{#
    Every raw loan repayment row, typed, with quarantine_reason NULL for the rows
    stg_core__loan_repayments exposes. What decides: the repayment and loan ids, a parseable
    payment date not after the as-of date, a finite positive amount (not below the smallest unit,
    not absurd), and a loan that is a clean loan (the detail says whether it is missing or was
    quarantined, and why).
#}
{{ staging_base_model(
    table='loan_repayments',
    key=['repayment_id'],
    data_window=true,
    date_columns=['paid_date'],
    typed=[
        ('repayment_id', clean_text('raw_repayment_id')),
        ('loan_id', clean_text('raw_loan_id')),
        ('paid_date', parse_date('raw_paid_date', 'date_order__paid_date', 'past', 'as_of_date')),
        ('amount_value', parse_number('raw_amount')),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        home_currency_lookup(),
        parent_lookup('base_core__loans', 'loan_id', 'loan', 'typed.loan_id'),
    ],
    checks=[
        ('repayment_id is null', 'missing_key', "'repayment_id is empty'"),
        ('loan_id is null', 'missing_key', "'loan_id is empty'"),
        check_too_long('repayment_id', max_id_length()),
        check_too_long('loan_id', max_id_length()),
    ] + activity_date_checks('raw_paid_date', 'paid_date', 'paid_date')
      + amount_checks('raw_amount', 'amount_value', 'amount') + [
        check_orphan('loan_id', 'loan', 'loans', 'orphan_loan'),
    ],
    flags=[rounded_amount_flag('amount_value', 'amount')],
    columns=[
        ('repayment_id', 'repayment_id'),
        ('loan_id', 'loan_id'),
        ('paid_date', 'paid_date'),
        ('amount', 'cast(case when quarantine_reason is null then ' ~ round_to_minor_units('amount_value') ~ ' end as decimal(18, 2))'),
        ('derived_columns', 'derived_columns_text'),
    ]
) }}
