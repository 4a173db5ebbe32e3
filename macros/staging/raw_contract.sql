{#
    The raw contract as Jinja data: {table: [{name, data_type, required}, ...]} in contract order.
    A copy of src/bankmart/raw_schema.py (and of the columns in _core__sources.yml), because the
    models need the column list where dbt's graph is not available (unit tests see no sources).
    tests/python/test_staging.py fails when the three disagree.
#}
{% macro raw_contract() -%}
    {{ return({
        'customers': [
            {'name': 'customer_id', 'data_type': 'varchar', 'required': true},
            {'name': 'full_name', 'data_type': 'varchar', 'required': false},
            {'name': 'birth_date', 'data_type': 'varchar', 'required': false},
            {'name': 'age', 'data_type': 'integer', 'required': false},
            {'name': 'age_group', 'data_type': 'varchar', 'required': false},
            {'name': 'gender', 'data_type': 'varchar', 'required': false},
            {'name': 'marital_status', 'data_type': 'varchar', 'required': false},
            {'name': 'city', 'data_type': 'varchar', 'required': false},
            {'name': 'country_code', 'data_type': 'varchar', 'required': false},
            {'name': 'occupation', 'data_type': 'varchar', 'required': false},
            {'name': 'monthly_income', 'data_type': 'double', 'required': false},
            {'name': 'joined_date', 'data_type': 'varchar', 'required': false},
            {'name': 'loyalty_class', 'data_type': 'varchar', 'required': false},
            {'name': 'fee_structure', 'data_type': 'varchar', 'required': false},
            {'name': 'relationship_type', 'data_type': 'varchar', 'required': false},
            {'name': 'nationality', 'data_type': 'varchar', 'required': false},
            {'name': 'risk_weighting', 'data_type': 'integer', 'required': false}
        ],
        'accounts': [
            {'name': 'account_id', 'data_type': 'varchar', 'required': true},
            {'name': 'customer_id', 'data_type': 'varchar', 'required': true},
            {'name': 'account_type', 'data_type': 'varchar', 'required': true},
            {'name': 'opened_date', 'data_type': 'varchar', 'required': false},
            {'name': 'closed_date', 'data_type': 'varchar', 'required': false},
            {'name': 'currency', 'data_type': 'varchar', 'required': false},
            {'name': 'credit_limit', 'data_type': 'double', 'required': false},
            {'name': 'status', 'data_type': 'varchar', 'required': false}
        ],
        'merchants': [
            {'name': 'merchant_id', 'data_type': 'varchar', 'required': true},
            {'name': 'merchant_name', 'data_type': 'varchar', 'required': false},
            {'name': 'mcc', 'data_type': 'varchar', 'required': false},
            {'name': 'category', 'data_type': 'varchar', 'required': false},
            {'name': 'city', 'data_type': 'varchar', 'required': false},
            {'name': 'country_code', 'data_type': 'varchar', 'required': false}
        ],
        'transactions': [
            {'name': 'transaction_id', 'data_type': 'varchar', 'required': true},
            {'name': 'account_id', 'data_type': 'varchar', 'required': true},
            {'name': 'merchant_id', 'data_type': 'varchar', 'required': false},
            {'name': 'transaction_at', 'data_type': 'varchar', 'required': true},
            {'name': 'amount', 'data_type': 'double', 'required': true},
            {'name': 'currency', 'data_type': 'varchar', 'required': false},
            {'name': 'channel', 'data_type': 'varchar', 'required': false},
            {'name': 'payment_type', 'data_type': 'varchar', 'required': false},
            {'name': 'category', 'data_type': 'varchar', 'required': false},
            {'name': 'country_code', 'data_type': 'varchar', 'required': false},
            {'name': 'is_fraud', 'data_type': 'integer', 'required': false}
        ],
        'loans': [
            {'name': 'loan_id', 'data_type': 'varchar', 'required': true},
            {'name': 'customer_id', 'data_type': 'varchar', 'required': true},
            {'name': 'account_id', 'data_type': 'varchar', 'required': false},
            {'name': 'disbursed_date', 'data_type': 'varchar', 'required': true},
            {'name': 'principal_amount', 'data_type': 'double', 'required': true},
            {'name': 'due_date', 'data_type': 'varchar', 'required': false},
            {'name': 'interest_rate', 'data_type': 'double', 'required': false}
        ],
        'loan_repayments': [
            {'name': 'repayment_id', 'data_type': 'varchar', 'required': true},
            {'name': 'loan_id', 'data_type': 'varchar', 'required': true},
            {'name': 'paid_date', 'data_type': 'varchar', 'required': true},
            {'name': 'amount', 'data_type': 'double', 'required': true}
        ],
        'account_balances': [
            {'name': 'account_id', 'data_type': 'varchar', 'required': true},
            {'name': 'balance_month', 'data_type': 'varchar', 'required': true},
            {'name': 'balance', 'data_type': 'double', 'required': true}
        ]
    }) }}
{%- endmacro %}
