"""A microfinance transactions file (transactions.csv): customer_id, txn_date, amount,
repayment_date: one loan paid out per row, and the date it was repaid.

Each row lands as a loan (disbursed_date = txn_date, principal_amount = amount, loan_id derived
from the row's values) and, where repayment_date is given, one repayment of the whole principal
on that date (repayment_id and amount derived, marked). Customers are made from customer_id
(rows made up whole, '*'). The warehouse's avg_repayment_days (customer_features) is the mean of
repayment date minus disbursement date, the seed analysis's feature.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from bankmart.importers.common import marker, numbers, read_files, stable_id, text_column
from bankmart.importers.reader import Column
from bankmart.importers.report import ImportReport

NAME = "microfinance"
HELP = "microfinance transactions.csv (customer_id, txn_date, amount, repayment_date)"
COLUMNS = [
    Column("customer_id", ("customerid", "client_id")),
    Column("txn_date", ("transaction_date", "date", "disbursed_date")),
    Column("amount", ("txn_amount", "loan_amount")),
    Column("repayment_date", ("repaid_date", "repayment"), required=False),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="transactions.csv")


def run(args: argparse.Namespace, report: ImportReport) -> dict[str, pa.Table]:
    tables = read_files(args.files, NAME, COLUMNS, report)

    def concat(key: str) -> pa.ChunkedArray:
        return text_column(tables, key)

    customer = concat("customer_id")
    txn_date = concat("txn_date")
    repaid = concat("repayment_date")
    amount_text = concat("amount")
    amount = pa.chunked_array([numbers(t, "amount", report) for t in tables], pa.float64())
    loan_ids = [
        stable_id("L", parts)
        for parts in zip(customer.to_pylist(), txn_date.to_pylist(), amount_text.to_pylist(),
                         repaid.to_pylist(), strict=True)
    ]
    n = len(loan_ids)
    loans = pa.table({
        "loan_id": pa.array(loan_ids, pa.string()),
        "customer_id": customer,
        "disbursed_date": txn_date,
        "principal_amount": amount,
        "derived_columns": marker(n, "loan_id"),
    })
    has_repayment = pc.is_valid(repaid)
    repaid_loans = pc.filter(pa.array(loan_ids, pa.string()), has_repayment.combine_chunks())
    repayments = pa.table({
        "repayment_id": pa.array([f"{loan}-R1" for loan in repaid_loans.to_pylist()], pa.string()),
        "loan_id": repaid_loans,
        "paid_date": pc.filter(repaid, has_repayment),
        "amount": pc.filter(amount, has_repayment),
        "derived_columns": marker(len(repaid_loans), "repayment_id,amount"),
    })
    ids = sorted({c for c in customer.to_pylist() if c is not None}, key=lambda c: (len(c), c))
    customers = pa.table({
        "customer_id": pa.array(ids, pa.string()),
        "derived_columns": marker(len(ids), "*"),
    })
    report.derive("loans", "loan_id", n, "L + a hash of the row's values (exact duplicate rows share an id; staging quarantines the copies)")
    report.derive("loan_repayments", "repayment_id,amount", len(repaid_loans),
                  "one repayment per repaid loan: <loan_id>-R1, of the whole principal, on repayment_date")
    report.derive("customers", "*", len(ids), "one customer per customer_id (the file has no customer table)")
    report.facts.update({
        "customers": len(ids),
        "loans_without_repayment_date": n - len(repaid_loans),
        "rows_sharing_a_loan_id_with_an_earlier_row": n - len(set(loan_ids)),
    })
    return {"customers": customers, "loans": loans, "loan_repayments": repayments}
