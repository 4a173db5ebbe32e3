"""The raw landing schema: the one contract between data producers and the warehouse.

The synthetic generator writes exactly these tables and columns, importers of public data sets
map onto them, and dbt's sources (models/staging/core/_core__sources.yml) declare the same
columns; a pytest keeps the two in step. Dates and timestamps land as text because real
extracts carry unparseable values that staging must be able to quarantine rather than lose.

Required columns must exist in every file; optional ones may be missing and are filled with
NULL by staging, so an importer only writes what its data set carries. Columns of one
``required_group`` are alternatives: every file needs at least one of them (a transaction names
its account or its customer; it carries a timestamp or a date). Only ``customers`` must be
delivered; a bank without some other table simply has no folder for it (see README, "Your own
data"), and ``customer_holdings`` and ``monthly_spend`` are for the banks that deliver those.

Every table also takes ``derived_columns``: the columns of the row whose values the importer
derived instead of reading them (comma-separated; ``*`` for a row made up whole), so BI can tell
derived values from observed ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class RawColumn:
    name: str
    duckdb_type: str
    required: bool
    description: str
    required_group: str | None = None
    # Text holding a date (or a month, or a date and time): its day/month order is decided per
    # column by base_core__date_orders.
    is_date: bool = False
    # A direct identifier of a person (a name, a birth date): it stays in staging. No served
    # table may carry a column of this name (the dbt test assert_no_sensitive_column_is_served
    # and `bankmart publish` both check, from this mark).
    sensitive: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.duckdb_type]

    @property
    def sql_type(self) -> str:
        """The type as the dbt project spells it, a name DuckDB and Spark SQL both accept
        (DuckDB reads `string` as VARCHAR; Spark has no VARCHAR without a length)."""
        return _SQL_TYPES[self.duckdb_type]


_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}

_SQL_TYPES = {"VARCHAR": "string", "DOUBLE": "double", "INTEGER": "integer", "BIGINT": "bigint"}


def _c(
    name: str,
    duckdb_type: str,
    description: str,
    *,
    required: bool = False,
    group: str | None = None,
    date: bool = False,
    sensitive: bool = False,
) -> RawColumn:
    return RawColumn(name, duckdb_type, required, description, group, date, sensitive)


def _derived() -> RawColumn:
    return _c(
        "derived_columns",
        "VARCHAR",
        "Columns of this row the importer derived rather than read (comma-separated; * for a "
        "row made up whole); empty when every value was observed.",
    )


RAW_TABLES: dict[str, list[RawColumn]] = {
    "customers": [
        _c("customer_id", "VARCHAR", "Bank's customer identifier, as issued.", required=True),
        _c("full_name", "VARCHAR", "Customer's name. Direct identifier: never leaves staging.",
           sensitive=True),
        _c("birth_date", "VARCHAR", "Date of birth as text, ISO YYYY-MM-DD (D/M/YYYY accepted). "
           "Direct identifier: never leaves staging (marts carry age and age band).",
           date=True, sensitive=True),
        _c("age", "INTEGER", "Age in years where the source has no birth date."),
        _c("age_group", "VARCHAR", "Age band as given by the source (e.g. 25-34)."),
        _c("gender", "VARCHAR", "Gender as given (M/F/Male/Female/T/...)."),
        _c("marital_status", "VARCHAR", "Marital status as given (Married/Single/...)."),
        _c("city", "VARCHAR", "Home city, free text."),
        _c("country_code", "VARCHAR", "Home country, ISO 3166-1 alpha-2."),
        _c("occupation", "VARCHAR", "Occupation group."),
        _c("monthly_income", "DOUBLE", "Estimated monthly income in the bank's home currency."),
        _c("joined_date", "VARCHAR", "Date the customer joined the bank, as text.", date=True),
        _c("loyalty_class", "VARCHAR", "Loyalty classification (Jade/Silver/Gold/Platinum)."),
        _c("fee_structure", "VARCHAR", "Fee structure (High/Mid/Low)."),
        _c("relationship_type", "VARCHAR", "Banking relationship (Retail/Institutional/Private/Commercial)."),
        _c("nationality", "VARCHAR", "Nationality as given."),
        _c("risk_weighting", "INTEGER", "Bank's own risk weighting, 1 (low) to 5 (high)."),
        _derived(),
    ],
    "accounts": [
        _c("account_id", "VARCHAR", "Account identifier.", required=True),
        _c("customer_id", "VARCHAR", "Owning customer.", required=True),
        _c("account_type", "VARCHAR", "current, savings, credit_card, loan, deposit, foreign_currency, business_loan.", required=True),
        _c("opened_date", "VARCHAR", "Date the account was opened, as text.", date=True),
        _c("closed_date", "VARCHAR", "Date the account was closed, as text; empty while open.", date=True),
        _c("currency", "VARCHAR", "Account currency, ISO 4217."),
        _c("credit_limit", "DOUBLE", "Credit limit for credit cards and overdrafts."),
        _c("status", "VARCHAR", "open, closed, frozen."),
        _derived(),
    ],
    "merchants": [
        _c("merchant_id", "VARCHAR", "Merchant identifier.", required=True),
        _c("merchant_name", "VARCHAR", "Trading name."),
        _c("mcc", "VARCHAR", "ISO 18245 merchant category code, 4 digits."),
        _c("category", "VARCHAR", "Spend category name; derived from the MCC when missing."),
        _c("city", "VARCHAR", "Merchant city, free text."),
        _c("country_code", "VARCHAR", "Merchant country, ISO 3166-1 alpha-2."),
        _derived(),
    ],
    "transactions": [
        _c("transaction_id", "VARCHAR", "Transaction identifier.", required=True),
        _c("account_id", "VARCHAR", "Account debited (or the customer_id column, when the bank has no accounts table).", group="owner"),
        _c("customer_id", "VARCHAR", "Customer who paid, where the extract names the customer rather than (or beside) the account.", group="owner"),
        _c("merchant_id", "VARCHAR", "Merchant paid; empty for ATM withdrawals and transfers."),
        _c("transaction_at", "VARCHAR", "Local date and time as text: ISO YYYY-MM-DD HH:MM:SS, day/month forms such as D/M/YY HH:MM:SS, or an ISO instant with a UTC offset (converted to the bank's time zone); a date alone means the time is unknown.", group="when", date=True),
        _c("transaction_date", "VARCHAR", "Date as text, where the extract keeps date and time apart (used when transaction_at is empty).", group="when", date=True),
        _c("transaction_time", "VARCHAR", "Time of day beside transaction_date: HH:MM[:SS], H:MM AM/PM or an unpadded HHMMSS number (91530 = 09:15:30)."),
        _c("amount", "DOUBLE", "Amount debited, in the bank's home currency, positive.", required=True),
        _c("currency", "VARCHAR", "Original transaction currency, ISO 4217."),
        _c("channel", "VARCHAR", "card_present, online, atm_withdrawal, transfer, instant_payment."),
        _c("payment_type", "VARCHAR", "credit_card, debit_card, instant_payment, net_banking."),
        _c("category", "VARCHAR", "Spend category; falls back to the merchant's category."),
        _c("country_code", "VARCHAR", "Country where the transaction took place, ISO 3166-1 alpha-2."),
        _c("is_fraud", "INTEGER", "1 when confirmed fraud, 0 when not, empty when unknown (true/false, yes/no accepted)."),
        _derived(),
    ],
    "loans": [
        _c("loan_id", "VARCHAR", "Microloan identifier.", required=True),
        _c("customer_id", "VARCHAR", "Borrower.", required=True),
        _c("account_id", "VARCHAR", "Loan account, where the bank books one."),
        _c("disbursed_date", "VARCHAR", "Date the loan was paid out, as text.", required=True, date=True),
        _c("principal_amount", "DOUBLE", "Amount lent, home currency.", required=True),
        _c("due_date", "VARCHAR", "Date the loan is due in full, as text.", date=True),
        _c("interest_rate", "DOUBLE", "Annual interest rate as a fraction."),
        _derived(),
    ],
    "loan_repayments": [
        _c("repayment_id", "VARCHAR", "Repayment identifier.", required=True),
        _c("loan_id", "VARCHAR", "Loan repaid.", required=True),
        _c("paid_date", "VARCHAR", "Date the repayment was received, as text.", required=True, date=True),
        _c("amount", "DOUBLE", "Amount repaid, home currency.", required=True),
        _derived(),
    ],
    "account_balances": [
        _c("account_id", "VARCHAR", "Account.", required=True),
        _c("balance_month", "VARCHAR", "Month of the balance, YYYY-MM.", required=True, date=True),
        _c("balance", "DOUBLE", "End-of-month balance, home currency; negative for credit owed.", required=True),
        _derived(),
    ],
    "customer_holdings": [
        _c("customer_id", "VARCHAR", "Customer holding the product.", required=True),
        _c("snapshot_date", "VARCHAR", "Date the holdings were measured, as text.", required=True, date=True),
        _c("product", "VARCHAR", "Product held: current, savings, deposit, foreign_currency, credit_card, loan, business_loan, superannuation, property (aliases such as 'Bank Deposits' or 'Checking Accounts' accepted).", required=True),
        _c("balance", "DOUBLE", "Balance of the product at the snapshot, home currency (amount owed for credit products)."),
        _c("quantity", "DOUBLE", "How many of the product the customer holds (cards, properties), where the source counts them."),
        _derived(),
    ],
    "monthly_spend": [
        _c("customer_id", "VARCHAR", "Customer who spent.", required=True),
        _c("spend_month", "VARCHAR", "Month of the spend, YYYY-MM (or a date in the month).", required=True, date=True),
        _c("category", "VARCHAR", "Spend category (the merchant_categories seed's, aliases accepted)."),
        _c("payment_type", "VARCHAR", "Payment type (credit_card, debit_card, instant_payment, net_banking; aliases such as UPI accepted)."),
        _c("channel", "VARCHAR", "Channel, where the source splits by it."),
        _c("amount", "DOUBLE", "Total spent in the month in this category and payment type, home currency, zero or more.", required=True),
        _c("transaction_count", "INTEGER", "Number of transactions behind the amount, where the source counts them."),
        _derived(),
    ],
}

#: What one raw row is, per table (the sources YAML's table descriptions).
RAW_TABLE_DESCRIPTIONS: dict[str, str] = {
    "customers": "One row per customer as the bank's core system exports it: demographics, home "
    "city, income and the bank's own classifications. Names and birth dates stay in staging. "
    "The one raw table every bank must deliver.",
    "accounts": "One row per account or product a customer holds (current, savings, credit card, "
    "loan, deposit, foreign currency).",
    "merchants": "One row per merchant the bank's customers pay, with its merchant category code "
    "(MCC) and city.",
    "transactions": "One row per debit: card, online, ATM, transfer and UPI payments, amounts in "
    "the home currency. Lands partitioned by month (txn_month=YYYY-MM) or as plain files.",
    "loans": "One row per (micro)loan paid out to a customer.",
    "loan_repayments": "One row per repayment received against a loan.",
    "account_balances": "One row per account and month: the end-of-month balance. Lands "
    "partitioned by month (balance_period=YYYY-MM) or as plain files.",
    "customer_holdings": "One row per customer, snapshot date and product: what the customer "
    "holds (balances of deposits, savings, cards, loans, superannuation; counts of cards and "
    "properties), as a holdings extract such as Banking.csv reports it.",
    "monthly_spend": "One row per customer, month, category and payment type: spend delivered as "
    "monthly aggregates instead of transactions (Mitron Bank's fact_spends). Feeds the "
    "customer-month features for customer-months without transactions.",
}

# Transactions and month-end balances land partitioned by month (hive style:
# transactions/txn_month=YYYY-MM/*.parquet, account_balances/balance_period=YYYY-MM/*.parquet) so
# that an incremental build reads only the new months. The folder key is not a contract column
# (balance_month is one, so the balances' key has another name): readers ignore it.
PARTITIONED_TABLES = {"transactions": "txn_month", "account_balances": "balance_period"}

# The generator's answer key. Written beside raw/, never read by dbt.
GROUND_TRUTH_COLUMNS: list[RawColumn] = [
    _c("customer_id", "VARCHAR", "Customer.", required=True),
    _c("persona", "VARCHAR", "Latent behavioural persona the customer was drawn from.", required=True),
    _c("is_planted_risk", "INTEGER", "1 when the generator planted risk behaviour.", required=True),
    _c("risk_pattern", "VARCHAR", "Which risk behaviour was planted, empty when none."),
]


def arrow_schema(table: str, only: Iterable[str] | None = None) -> pa.Schema:
    """Arrow schema of a raw table in contract order: every column, or those in ``only`` (a
    producer writes the optional columns it has and leaves the rest out)."""
    wanted = None if only is None else set(only)
    unknown = set() if wanted is None else wanted - {c.name for c in RAW_TABLES[table]}
    if unknown:
        raise ValueError(f"columns {sorted(unknown)} are not in the raw contract of {table}")
    return pa.schema(
        [(c.name, c.arrow_type) for c in RAW_TABLES[table] if wanted is None or c.name in wanted]
    )


def required_columns(table: str) -> list[str]:
    return [c.name for c in RAW_TABLES[table] if c.required]


def required_groups(table: str) -> dict[str, list[str]]:
    """Groups of alternative columns: every file needs at least one column of each group."""
    groups: dict[str, list[str]] = {}
    for column in RAW_TABLES[table]:
        if column.required_group:
            groups.setdefault(column.required_group, []).append(column.name)
    return groups


#: The one raw table every bank must deliver.
ESSENTIAL_TABLES = ("customers",)


def sensitive_columns() -> frozenset[str]:
    """Names of the raw columns marked sensitive, in any table."""
    return frozenset(c.name for columns in RAW_TABLES.values() for c in columns if c.sensitive)
