{#
    GENERATED from src/bankmart/raw_schema.py by `bankmart contract --write`: edit the contract
    there, then regenerate. The raw contract as Jinja data: {table: [{name, data_type, required,
    required_group, is_date}, ...]} in contract order. The models need the column list where dbt's graph
    is not available (unit tests see no sources).
#}
{% macro raw_contract() -%}
    {{ return({
        'customers': [
            {'name': 'customer_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'full_name', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'birth_date', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': true},
            {'name': 'age', 'data_type': 'integer', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'age_group', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'gender', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'marital_status', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'city', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'country_code', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'occupation', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'monthly_income', 'data_type': 'double', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'joined_date', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': true},
            {'name': 'loyalty_class', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'fee_structure', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'relationship_type', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'nationality', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'risk_weighting', 'data_type': 'integer', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'accounts': [
            {'name': 'account_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'customer_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'account_type', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'opened_date', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': true},
            {'name': 'closed_date', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': true},
            {'name': 'currency', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'credit_limit', 'data_type': 'double', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'status', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'merchants': [
            {'name': 'merchant_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'merchant_name', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'mcc', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'category', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'city', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'country_code', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'transactions': [
            {'name': 'transaction_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'account_id', 'data_type': 'string', 'required': false, 'required_group': 'owner', 'is_date': false},
            {'name': 'customer_id', 'data_type': 'string', 'required': false, 'required_group': 'owner', 'is_date': false},
            {'name': 'merchant_id', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'transaction_at', 'data_type': 'string', 'required': false, 'required_group': 'when', 'is_date': true},
            {'name': 'transaction_date', 'data_type': 'string', 'required': false, 'required_group': 'when', 'is_date': true},
            {'name': 'transaction_time', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'amount', 'data_type': 'double', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'currency', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'channel', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'payment_type', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'category', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'country_code', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'is_fraud', 'data_type': 'integer', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'loans': [
            {'name': 'loan_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'customer_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'account_id', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'disbursed_date', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': true},
            {'name': 'principal_amount', 'data_type': 'double', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'due_date', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': true},
            {'name': 'interest_rate', 'data_type': 'double', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'loan_repayments': [
            {'name': 'repayment_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'loan_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'paid_date', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': true},
            {'name': 'amount', 'data_type': 'double', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'account_balances': [
            {'name': 'account_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'balance_month', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': true},
            {'name': 'balance', 'data_type': 'double', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'customer_holdings': [
            {'name': 'customer_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'snapshot_date', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': true},
            {'name': 'product', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'balance', 'data_type': 'double', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'quantity', 'data_type': 'double', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ],
        'monthly_spend': [
            {'name': 'customer_id', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'spend_month', 'data_type': 'string', 'required': true, 'required_group': none, 'is_date': true},
            {'name': 'category', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'payment_type', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'channel', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'amount', 'data_type': 'double', 'required': true, 'required_group': none, 'is_date': false},
            {'name': 'transaction_count', 'data_type': 'integer', 'required': false, 'required_group': none, 'is_date': false},
            {'name': 'derived_columns', 'data_type': 'string', 'required': false, 'required_group': none, 'is_date': false}
        ]
    }) }}
{%- endmacro %}
