{#
    No relation BI can read holds personal data: fails with one row per column, in any table or
    view of the served schemas (var served_schemas), named like a raw column that the raw
    contract marks sensitive (`meta: {sensitive: true}` in the sources YAML, rendered from
    src/bankmart/raw_schema.py): a person's name or birth date. Those stay in staging; the
    served marts carry ages, bands and keys. One test reads the catalogue for every served
    relation, declared in YAML or not; the list below only makes dbt run it after all of them
    (tests/python/test_marts.py checks that it names every served model and seed).
    `bankmart publish` checks the same marks again on the file it serves.
#}
{%- set served_nodes = [
    'account_types', 'age_bands', 'channels', 'cities', 'code_aliases', 'countries',
    'currencies', 'data_quality_flag_codes', 'income_bands', 'merchant_categories',
    'payment_types', 'quarantine_reasons',
    'customer_features', 'customer_holdings_features', 'customer_month_kpis',
    'customer_monthly_features', 'customer_risk_predictions', 'customer_risk_scores',
    'customer_segments', 'customer_spend_tiers', 'data_availability', 'dim_account',
    'dim_customer', 'dim_date', 'dim_merchant', 'fct_account_balances_monthly',
    'fct_customer_holdings', 'fct_loan_repayments', 'fct_loans', 'fct_monthly_spend',
    'fct_transactions', 'mart_city_profiles', 'mart_data_quality', 'mart_fraud_profile',
    'mart_holdings_profile', 'mart_income_utilisation', 'mart_occupation_tiers',
    'mart_portfolio_kpis', 'mart_portfolio_kpis_monthly', 'mart_repayment_k_diagnostics',
    'mart_repayment_segments', 'mart_rfm_city_profiles', 'mart_rfm_segments', 'risk_alerts',
    'risk_feature_importances', 'risk_model_metrics', 'risk_rules', 'segment_k_diagnostics',
    'segment_profiles', 'spend_tier_thresholds',
] -%}
{%- for name in served_nodes %}
-- depends_on: {{ ref(name) }}
{%- endfor %}

{%- set sensitive = [] -%}
{%- for source in (graph.get('sources') or {}).values() if execute -%}
{%- for column in source.columns.values() -%}
{%- set meta = column.get('meta') or {} -%}
{%- set config_meta = (column.get('config') or {}).get('meta') or {} -%}
{%- if (meta.get('sensitive') or config_meta.get('sensitive')) and column.name | lower not in sensitive -%}
{%- do sensitive.append(column.name | lower) -%}
{%- endif -%}
{%- endfor -%}
{%- endfor %}

with

served_columns as (
    {{ catalog_columns_sql(var('served_schemas')) }}
),

sensitive_columns as (
    {{ text_rows(sensitive, 'column_name') }}
),

final as (
    select
        served_columns.table_schema,
        served_columns.table_name,
        served_columns.column_name
    from served_columns
    inner join sensitive_columns
        on served_columns.column_name = sensitive_columns.column_name
)

select * from final
