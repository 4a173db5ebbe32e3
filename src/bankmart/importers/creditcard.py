"""The card-fraud data set (creditcard.csv): Time (seconds since the first transaction), V1..V28
(anonymised PCA components), Amount and Class (1 = fraud).

The file names no customer, account, merchant or date. The importer derives, and marks:
  - transaction_at = --start + Time seconds (default 2013-09-01 00:00:00, the start of the two
    September 2013 days the data set covers; the hour of day then reads as the hour of Time's day);
  - transaction_id = CC + a hash of the row's own values, so the data set's exact duplicate rows
    share an id and staging quarantines the later copies as duplicate_row;
  - --customers synthetic customers (default 1000; CC-CUST-0001...), each with one credit-card
    account (CC-ACCT-0001...), made up whole ('*'); a transaction goes to the customer chosen by
    a hash of its values (a fixed, uniform assignment: it carries no information).
V1..V28 have no place in the raw contract and are ignored. No merchants are made up.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from bankmart.argtypes import positive_int
from bankmart.errors import BankmartError
from bankmart.importers.common import bucket, integers, marker, numbers, stable_id
from bankmart.importers.reader import Column, read_csv
from bankmart.importers.report import ImportReport

NAME = "creditcard"
HELP = "card-fraud creditcard.csv (Time, V1..V28, Amount, Class)"
DEFAULT_START = "2013-09-01 00:00:00"
DEFAULT_CUSTOMERS = 1000
PCA = [f"v{i}" for i in range(1, 29)]
COLUMNS = [Column("time"), *(Column(v, required=False) for v in PCA), Column("amount"), Column("class", ("is_fraud",))]
DERIVED = "transaction_id,account_id,customer_id,transaction_at"


def _start(value: str) -> datetime:
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), form)
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"give the start as YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS', got {value!r}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="creditcard.csv")
    parser.add_argument("--start", type=_start, default=_start(DEFAULT_START),
                        help=f"local date and time of Time = 0 (default {DEFAULT_START})")
    parser.add_argument("--customers", type=positive_int, default=DEFAULT_CUSTOMERS,
                        help=f"synthetic customers to spread the transactions over (default {DEFAULT_CUSTOMERS})")


def run(args: argparse.Namespace, report: ImportReport) -> dict[str, pa.Table]:
    if args.customers > 1_000_000:
        raise BankmartError(f"--customers {args.customers:,}: at most 1,000,000 synthetic customers")
    width = max(4, len(str(args.customers)))
    customer_ids = [f"CC-CUST-{i:0{width}d}" for i in range(1, args.customers + 1)]
    account_ids = [f"CC-ACCT-{i:0{width}d}" for i in range(1, args.customers + 1)]
    tables = [read_csv(path, NAME, COLUMNS) for path in args.files]
    ids: list[str] = []
    at: list[str | None] = []
    accounts: list[str] = []
    owners: list[str] = []
    amounts: list[pa.Array] = []
    labels: list[pa.Array] = []
    for table in tables:
        report.read(table)
        header_of = {key: name for name, key in table.mapped.items()}
        found = [header_of[v] for v in PCA if table.has(v)]
        if found:
            report.columns_ignored.append({
                "file": str(table.path),
                "column": f"{found[0]}..{found[-1]}" if len(found) > 1 else found[0],
                "why": f"{len(found)} anonymised PCA components: no place in the raw contract "
                "(they do enter the derived transaction id)",
            })
        seconds = numbers(table, "time", report)
        amounts.append(numbers(table, "amount", report))
        labels.append(integers(table, "class", report))
        # the row's own values, joined once (one string per row keeps memory flat)
        joined = pc.binary_join_element_wise(
            *[table.column(k) for k in ["time", *PCA, "amount", "class"]], "\x1f",
            null_handling="replace", null_replacement="",
        ).to_pylist()
        for text, value in zip(joined, seconds.to_pylist(), strict=True):
            ids.append(stable_id("CC", [text]))
            choice = bucket([text], args.customers)
            owners.append(customer_ids[choice])
            accounts.append(account_ids[choice])
            if value is None or value != value or abs(value) > 1e10:
                at.append(None)
            else:
                stamp = args.start + timedelta(seconds=value)
                at.append(stamp.strftime("%Y-%m-%d %H:%M:%S") + (f".{stamp.microsecond:06d}" if stamp.microsecond else ""))
    n = len(ids)
    repeated = n - len(set(ids))
    transactions = pa.table({
        "transaction_id": pa.array(ids, pa.string()),
        "account_id": pa.array(accounts, pa.string()),
        "customer_id": pa.array(owners, pa.string()),
        "transaction_at": pa.array(at, pa.string()),
        "amount": pa.chunked_array(amounts, pa.float64()),
        "payment_type": pa.array(["credit_card"] * n, pa.string()),
        "is_fraud": pa.chunked_array(labels, pa.int32()),
        "derived_columns": marker(n, DERIVED + ",payment_type"),
    })
    customers = pa.table({
        "customer_id": pa.array(customer_ids, pa.string()),
        "derived_columns": marker(args.customers, "*"),
    })
    account_table = pa.table({
        "account_id": pa.array(account_ids, pa.string()),
        "customer_id": pa.array(customer_ids, pa.string()),
        "account_type": pa.array(["credit_card"] * args.customers, pa.string()),
        "derived_columns": marker(args.customers, "*"),
    })
    start = args.start.strftime("%Y-%m-%d %H:%M:%S")
    report.derive("transactions", "transaction_id", n,
                  "CC + a hash of the row's values (Time, V1..V28, Amount, Class): exact duplicate "
                  "rows share an id and staging quarantines the later copies as duplicate_row")
    report.derive("transactions", "transaction_at", n - at.count(None), f"--start {start} + Time seconds")
    report.derive("transactions", "customer_id,account_id", n,
                  f"one of {args.customers:,} synthetic customers (and their card account), chosen "
                  "by a hash of the row's values: uniform and deterministic, it carries no information")
    report.derive("transactions", "payment_type", n, "credit_card: the data set holds card transactions")
    report.derive("customers", "*", args.customers, "synthetic customers CC-CUST-N (the file names none)")
    report.derive("accounts", "*", args.customers, "one credit_card account per synthetic customer, CC-ACCT-N")
    report.facts.update({
        "start": start,
        "synthetic_customers": args.customers,
        "rows_sharing_an_id_with_an_earlier_row": repeated,
        "fraud_rows": sum(sum(1 for v in a.to_pylist() if v == 1) for a in labels),
    })
    return {"customers": customers, "accounts": account_table, "transactions": transactions}
