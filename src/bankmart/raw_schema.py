"""The raw landing schema: the one contract between data producers and the warehouse.

The synthetic generator writes exactly these tables and columns, importers of public data sets
map onto them, and dbt's sources (models/staging/core/_core__sources.yml) declare the same
columns; a pytest keeps the two in step. Dates and timestamps land as text because real
extracts carry unparseable values that staging must be able to quarantine rather than lose.

Required columns must exist in every file; optional ones may be missing and are filled with
NULL by staging, so an importer only writes what its data set carries.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class RawColumn:
    name: str
    duckdb_type: str
    required: bool
    description: str

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.duckdb_type]


_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}


def _c(name: str, duckdb_type: str, description: str, *, required: bool = False) -> RawColumn:
    return RawColumn(name, duckdb_type, required, description)


RAW_TABLES: dict[str, list[RawColumn]] = {
    "customers": [
        _c("customer_id", "VARCHAR", "Bank's customer identifier, as issued.", required=True),
        _c("full_name", "VARCHAR", "Customer's name. Direct identifier: never leaves staging."),
        _c("birth_date", "VARCHAR", "Date of birth as text, ISO YYYY-MM-DD (D/M/YYYY accepted)."),
        _c("age", "INTEGER", "Age in years where the source has no birth date."),
        _c("age_group", "VARCHAR", "Age band as given by the source (e.g. 25-34)."),
        _c("gender", "VARCHAR", "Gender as given (M/F/Male/Female/T/...)."),
        _c("marital_status", "VARCHAR", "Marital status as given (Married/Single/...)."),
        _c("city", "VARCHAR", "Home city, free text."),
        _c("country_code", "VARCHAR", "Home country, ISO 3166-1 alpha-2."),
        _c("occupation", "VARCHAR", "Occupation group."),
        _c("monthly_income", "DOUBLE", "Estimated monthly income in the bank's home currency."),
        _c("joined_date", "VARCHAR", "Date the customer joined the bank, as text."),
        _c("loyalty_class", "VARCHAR", "Loyalty classification (Jade/Silver/Gold/Platinum)."),
        _c("fee_structure", "VARCHAR", "Fee structure (High/Mid/Low)."),
        _c("relationship_type", "VARCHAR", "Banking relationship (Retail/Institutional/Private/Commercial)."),
        _c("nationality", "VARCHAR", "Nationality as given."),
        _c("risk_weighting", "INTEGER", "Bank's own risk weighting, 1 (low) to 5 (high)."),
    ],
    "accounts": [
        _c("account_id", "VARCHAR", "Account identifier.", required=True),
        _c("customer_id", "VARCHAR", "Owning customer.", required=True),
        _c("account_type", "VARCHAR", "current, savings, credit_card, loan, deposit, foreign_currency, business_loan.", required=True),
        _c("opened_date", "VARCHAR", "Date the account was opened, as text."),
        _c("closed_date", "VARCHAR", "Date the account was closed, as text; empty while open."),
        _c("currency", "VARCHAR", "Account currency, ISO 4217."),
        _c("credit_limit", "DOUBLE", "Credit limit for credit cards and overdrafts."),
        _c("status", "VARCHAR", "open, closed, frozen."),
    ],
    "merchants": [
        _c("merchant_id", "VARCHAR", "Merchant identifier.", required=True),
        _c("merchant_name", "VARCHAR", "Trading name."),
        _c("mcc", "VARCHAR", "ISO 18245 merchant category code, 4 digits."),
        _c("category", "VARCHAR", "Spend category name; derived from the MCC when missing."),
        _c("city", "VARCHAR", "Merchant city, free text."),
        _c("country_code", "VARCHAR", "Merchant country, ISO 3166-1 alpha-2."),
    ],
    "transactions": [
        _c("transaction_id", "VARCHAR", "Transaction identifier.", required=True),
        _c("account_id", "VARCHAR", "Account debited.", required=True),
        _c("merchant_id", "VARCHAR", "Merchant paid; empty for ATM withdrawals and transfers."),
        _c("transaction_at", "VARCHAR", "Local timestamp as text, ISO YYYY-MM-DD HH:MM:SS.", required=True),
        _c("amount", "DOUBLE", "Amount debited, in the bank's home currency, positive.", required=True),
        _c("currency", "VARCHAR", "Original transaction currency, ISO 4217."),
        _c("channel", "VARCHAR", "card_present, online, atm_withdrawal, transfer, instant_payment."),
        _c("payment_type", "VARCHAR", "credit_card, debit_card, instant_payment, net_banking."),
        _c("category", "VARCHAR", "Spend category; falls back to the merchant's category."),
        _c("country_code", "VARCHAR", "Country where the transaction took place, ISO 3166-1 alpha-2."),
        _c("is_fraud", "INTEGER", "1 when confirmed fraud, 0 when not, empty when unknown."),
    ],
    "loans": [
        _c("loan_id", "VARCHAR", "Microloan identifier.", required=True),
        _c("customer_id", "VARCHAR", "Borrower.", required=True),
        _c("account_id", "VARCHAR", "Loan account, where the bank books one."),
        _c("disbursed_date", "VARCHAR", "Date the loan was paid out, as text.", required=True),
        _c("principal_amount", "DOUBLE", "Amount lent, home currency.", required=True),
        _c("due_date", "VARCHAR", "Date the loan is due in full, as text."),
        _c("interest_rate", "DOUBLE", "Annual interest rate as a fraction."),
    ],
    "loan_repayments": [
        _c("repayment_id", "VARCHAR", "Repayment identifier.", required=True),
        _c("loan_id", "VARCHAR", "Loan repaid.", required=True),
        _c("paid_date", "VARCHAR", "Date the repayment was received, as text.", required=True),
        _c("amount", "DOUBLE", "Amount repaid, home currency.", required=True),
    ],
    "account_balances": [
        _c("account_id", "VARCHAR", "Account.", required=True),
        _c("balance_month", "VARCHAR", "Month of the balance, YYYY-MM.", required=True),
        _c("balance", "DOUBLE", "End-of-month balance, home currency; negative for credit owed.", required=True),
    ],
}

# Transactions land partitioned by month (hive style: transactions/txn_month=YYYY-MM/*.parquet)
# so that an incremental build reads only the new months.
PARTITIONED_TABLES = {"transactions": "txn_month"}

# The generator's answer key. Written beside raw/, never read by dbt.
GROUND_TRUTH_COLUMNS: list[RawColumn] = [
    _c("customer_id", "VARCHAR", "Customer.", required=True),
    _c("persona", "VARCHAR", "Latent behavioural persona the customer was drawn from.", required=True),
    _c("is_planted_risk", "INTEGER", "1 when the generator planted risk behaviour.", required=True),
    _c("risk_pattern", "VARCHAR", "Which risk behaviour was planted, empty when none."),
]


def arrow_schema(table: str) -> pa.Schema:
    """Arrow schema of a raw table, in contract order."""
    return pa.schema([(c.name, c.arrow_type) for c in RAW_TABLES[table]])


def required_columns(table: str) -> list[str]:
    return [c.name for c in RAW_TABLES[table] if c.required]
