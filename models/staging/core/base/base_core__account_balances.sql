{#
    Every raw month-end balance row, typed, with quarantine_reason NULL for the rows
    stg_core__account_balances exposes. The key is (account_id, balance_month): 'YYYY-MM' (or a
    date in that month) becomes the first day of the month, so two spellings of one month are
    duplicates. Balances may be negative (credit owed) but must be finite and fit DECIMAL(18, 2);
    the month must not lie after the as-of date; the account must be a clean account (the detail
    says whether it is missing or was quarantined, and why). The clean account's owner and type
    are carried as the row is judged, so stg_core__account_balances and
    fct_account_balances_monthly are views and the balances are written once.

    Second largest table: as in base_core__transactions, only the rows whose key another row also
    carries go through the ranking window; the rest stream from the files to the table.

    Incremental like base_core__transactions: balances arrive by month (raw folders
    balance_period=YYYY-MM), a build reads only the files the table has not loaded, ranks their
    rows together with the loaded rows of the same account and month, and replaces those keys
    (delete+insert); a loaded file that disappeared, or a new file sorting before a loaded one,
    reloads every file (macros/incremental/incremental_loads.sql).
#}
{{
    config(
        materialized='incremental',
        incremental_strategy=incremental_strategy(),
        partition_by=incremental_partitions(['source_file_key']),
        unique_key=['account_id', 'balance_month'],
        on_schema_change='fail',
        pre_hook="{{ reset_when_raw_reload('account_balances') }}"
    )
}}

{{ staging_base_model(
    table='account_balances',
    key=['account_id', 'balance_month'],
    incremental=true,
    row_key_for_clean_rows=false,
    data_window=true,
    date_columns=['balance_month'],
    typed=[
        ('account_id', clean_text('raw_account_id')),
        ('balance_month', parse_month('raw_balance_month', 'date_order__balance_month')),
        ('balance_value', parse_number('raw_balance')),
        ('derived_columns_text', clean_text('raw_derived_columns')),
    ],
    lookups=[
        home_currency_lookup(),
        parent_lookup('base_core__accounts', 'account_id', 'account', 'typed.account_id', carry=['customer_id', 'account_type']),
    ],
    checks=[
        ('account_id is null', 'missing_key', "'account_id is empty'"),
        ('balance_month is null and ' ~ is_blank('raw_balance_month'), 'missing_key', "'balance_month is empty'"),
        check_too_long('account_id', max_id_length()),
        ('balance_month is null', 'unparseable_date',
            "'balance_month ' || " ~ quote_raw('raw_balance_month') ~ " || ' is not a month (YYYY-MM)'"),
        check_future_date('balance_month', 'balance_month'),
        check_data_window('balance_month', 'balance_month'),
    ] + amount_checks('raw_balance', 'balance_value', 'balance', minimum='any') + [
        check_orphan('account_id', 'account', 'accounts', 'orphan_account'),
    ],
    flags=[rounded_amount_flag('balance_value', 'balance')],
    columns=[
        ('account_id', 'account_id'),
        ('balance_month', 'balance_month'),
        ('balance', 'cast(case when quarantine_reason is null then ' ~ round_to_minor_units('balance_value') ~ ' end as decimal(18, 2))'),
        ('derived_columns', 'derived_columns_text'),
        ('customer_id', 'account_customer_id'),
        ('account_type', 'account_account_type'),
    ]
) }}
