"""The Kaggle "bank customer segmentation" transactions file (bank_transactions.csv): one row per
transaction, with the customer's birth date, gender, location and account balance repeated on
every row.

What the raw contract needs and the file lacks is derived and marked:
  - customers: one per CustomerID, from the transaction rows; where rows disagree (several
    birth dates, genders or locations) the most frequent value wins, then the one on the latest
    transaction, then the one later in the file; the conflicts are counted in the report;
  - accounts: one per customer (ACC-<CustomerID>, derived_columns '*'), of type savings: the
    file's CustAccountBalance is an Indian retail customer's deposit balance, and a savings
    account is what nearly every such customer holds (no overdraft, no card limit in the file);
  - account_balances: CustAccountBalance as the balance of that account in the transaction's
    month, the balance on the customer's latest transaction of the month where several differ
    (balance_month and account_id derived).
Dates, times and birth dates land exactly as written; staging decides their day/month order.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pyarrow as pa

from bankmart.importers.common import marker, numbers, read_files, text_column
from bankmart.importers.dates import parse_column
from bankmart.importers.reader import Column
from bankmart.importers.report import ImportReport

NAME = "kaggle-transactions"
HELP = "Kaggle bank_transactions.csv (customer segmentation, 1M transactions)"
ACCOUNT_TYPE = "savings"

COLUMNS = [
    Column("transactionid", ("transaction_id",)),
    Column("customerid", ("customer_id",)),
    Column("customerdob", ("customer_dob", "dob"), required=False),
    Column("custgender", ("customer_gender", "gender"), required=False),
    Column("custlocation", ("customer_location", "location"), required=False),
    Column("custaccountbalance", ("customer_account_balance", "account_balance"), required=False),
    Column("transactiondate", ("transaction_date",)),
    Column("transactiontime", ("transaction_time",), required=False),
    Column("transactionamount_inr", ("transactionamount", "transaction_amount", "transaction_amount_inr", "amount")),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="bank_transactions.csv (several files are read as one)")


def _account(customer: str | None) -> str | None:
    return None if customer is None else f"ACC-{customer}"


def run(args: argparse.Namespace, report: ImportReport) -> dict[str, pa.Table]:
    tables = read_files(args.files, NAME, COLUMNS, report)

    def concat(key: str) -> pa.ChunkedArray:
        return text_column(tables, key)

    def concat_numbers(key: str) -> pa.ChunkedArray:
        return pa.chunked_array([numbers(t, key, report) for t in tables], pa.float64())

    customer = concat("customerid")
    dates, order = parse_column(concat("transactiondate"))
    rows = pa.table({
        "row_no": pa.array(range(len(customer)), pa.int64()),
        "customer_id": customer,
        "dob": concat("customerdob"),
        "gender": concat("custgender"),
        "location": concat("custlocation"),
        "balance": concat_numbers("custaccountbalance"),
        "txn_date": dates,
        "txn_time": concat("transactiontime"),
    })
    con = duckdb.connect()
    con.register("rows", rows)
    # the latest transaction first: parsed date, then the HHMMSS time as a number, then file order
    latest = "txn_date desc nulls last, try_cast(try_cast(txn_time as double) as bigint) desc nulls last, row_no desc"
    picks = []
    for column in ("dob", "gender", "location"):
        picks.append(f"""
            {column}_values as (
                select customer_id, {column} as value, count(*) as n,
                       row_number() over (partition by customer_id order by count(*) desc,
                           max(txn_date) desc nulls last, max(row_no) desc) as choice,
                       count(*) over (partition by customer_id) as distinct_values
                from rows where customer_id is not null and {column} is not null
                group by customer_id, {column}
            )""")
    customers = con.execute(f"""
        with {', '.join(picks)},
        ids as (select customer_id, min(row_no) as first_row from rows where customer_id is not null group by customer_id)
        select ids.customer_id,
               dob_values.value as birth_date,
               gender_values.value as gender,
               location_values.value as city,
        from ids
        left join dob_values on dob_values.customer_id = ids.customer_id and dob_values.choice = 1
        left join gender_values on gender_values.customer_id = ids.customer_id and gender_values.choice = 1
        left join location_values on location_values.customer_id = ids.customer_id and location_values.choice = 1
        order by ids.first_row
    """).fetch_arrow_table()
    conflicts = {}
    for column in ("dob", "gender", "location"):
        conflicts[column] = con.execute(f"""
            select count(distinct customer_id) from (
                select customer_id from rows where customer_id is not null and {column} is not null
                group by customer_id having count(distinct {column}) > 1)
        """).fetchone()[0]
    balances = con.execute(f"""
        with ranked as (
            select customer_id, strftime(txn_date, '%Y-%m') as balance_month, balance,
                   row_number() over (partition by customer_id, date_trunc('month', txn_date) order by {latest}) as pick,
                   count(distinct balance) over (partition by customer_id, date_trunc('month', txn_date)) as different
            from rows
            where customer_id is not null and txn_date is not null and balance is not null
        )
        select customer_id, balance_month, balance, different from ranked where pick = 1
        order by customer_id, balance_month
    """).fetch_arrow_table()
    no_month = con.execute(
        "select count(*) from rows where customer_id is not null and balance is not null and txn_date is null"
    ).fetchone()[0]
    con.close()

    n_customers = customers.num_rows
    customer_ids = customers.column("customer_id").to_pylist()
    accounts = pa.table({
        "account_id": pa.array([_account(c) for c in customer_ids], pa.string()),
        "customer_id": customers.column("customer_id"),
        "account_type": pa.array([ACCOUNT_TYPE] * n_customers, pa.string()),
        "derived_columns": marker(n_customers, "*"),
    })
    transactions = pa.table({
        "transaction_id": concat("transactionid"),
        "account_id": pa.array([_account(c) for c in customer.to_pylist()], pa.string()),
        "customer_id": customer,
        "transaction_date": concat("transactiondate"),
        "transaction_time": concat("transactiontime"),
        "amount": concat_numbers("transactionamount_inr"),
        "derived_columns": pa.array(["account_id" if c is not None else None for c in customer.to_pylist()], pa.string()),
    })
    balance_rows = balances.num_rows
    account_balances = pa.table({
        "account_id": pa.array([_account(c) for c in balances.column("customer_id").to_pylist()], pa.string()),
        "balance_month": balances.column("balance_month"),
        "balance": balances.column("balance"),
        "derived_columns": marker(balance_rows, "account_id,balance_month"),
    })
    several = sum(1 for d in balances.column("different").to_pylist() if d > 1)

    report.derive("accounts", "*", n_customers,
                  f"one {ACCOUNT_TYPE} account per CustomerID, account_id ACC-<CustomerID>: the file "
                  "has a balance per customer but no account; a savings account is the Indian retail "
                  "deposit account such a balance sits in")
    report.derive("transactions", "account_id", len(customer) - customer.null_count,
                  "the customer's derived account (ACC-<CustomerID>)")
    report.derive("account_balances", "account_id,balance_month", balance_rows,
                  f"CustAccountBalance as the balance of the customer's account in the transaction's "
                  f"month (TransactionDate read {order}); where a month has several transactions, "
                  "the balance on the latest one")
    report.facts.update({
        "customers": n_customers,
        "transaction_date_order_for_derivations": order,
        "customers_with_conflicting_dob": conflicts["dob"],
        "customers_with_conflicting_gender": conflicts["gender"],
        "customers_with_conflicting_location": conflicts["location"],
        "account_months_with_several_balances": several,
        "balances_without_a_readable_transaction_date": no_month,
        "account_type": ACCOUNT_TYPE,
    })
    report.notes.append(
        "customer attributes that differ across a customer's rows: the most frequent value, "
        "then the one on the latest transaction, then the later row in the file"
    )
    if no_month:
        report.notes.append(
            f"{no_month:,} balances sit on rows whose TransactionDate cannot be read: no balance "
            "month can be derived for them, so they are not landed (the transactions are, for "
            "staging to judge)"
        )
    return {
        "customers": customers.append_column("derived_columns", marker(n_customers, None)),
        "accounts": accounts,
        "transactions": transactions,
        "account_balances": account_balances,
    }
