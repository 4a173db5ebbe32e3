"""A customer holdings extract (Banking.csv): one row per client with demographics, the bank's
own classifications and the balances of every product held, at one moment.

customers take the demographics as given (Name stays in staging), relationship_type decoded from
BRId (1 Retail, 2 Institutional, 3 Private, 4 Commercial) and gender from GenderId (1 Male,
2 Female), both marked derived; Estimated Income becomes monthly_income (--income-period, default
annual: divided by 12, marked). Every product column becomes one customer_holdings row per client
(product named as the file's header, which the warehouse's code aliases read), dated
--snapshot-date (the file carries no date; marked derived). Client IDs that repeat land as given:
staging keeps the first row and quarantines the others.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pyarrow as pa

from bankmart.errors import BankmartError
from bankmart.importers.common import INCOME_PERIODS, add_income_period, integers, marker, numbers
from bankmart.importers.reader import Column, read_csv
from bankmart.importers.report import ImportReport

NAME = "holdings"
HELP = "customer holdings extract Banking.csv (balances per product, loyalty, fee structure)"
DEFAULT_SNAPSHOT = "2023-12-31"
RELATIONSHIPS = {"1": "Retail", "2": "Institutional", "3": "Private", "4": "Commercial"}
GENDERS = {"1": "Male", "2": "Female"}

# product column key -> (product as landed, balance or quantity)
PRODUCTS: dict[str, tuple[str, str]] = {
    "bank_deposits": ("Bank Deposits", "balance"),
    "checking_accounts": ("Checking Accounts", "balance"),
    "saving_accounts": ("Saving Accounts", "balance"),
    "foreign_currency_account": ("Foreign Currency Account", "balance"),
    "credit_card_balance": ("Credit Cards", "balance"),
    "amount_of_credit_cards": ("Credit Cards", "quantity"),
    "bank_loans": ("Bank Loans", "balance"),
    "business_lending": ("Business Lending", "balance"),
    "superannuation_savings": ("Superannuation Savings", "balance"),
    "properties_owned": ("Properties Owned", "quantity"),
}

COLUMNS = [
    Column("client_id", ("customer_id", "clientid")),
    Column("name", ("full_name",), required=False),
    Column("age", required=False),
    Column("joined_bank", ("joined_date",), required=False),
    Column("nationality", required=False),
    Column("occupation", required=False),
    Column("fee_structure", required=False),
    Column("loyalty_classification", ("loyalty_class",), required=False),
    Column("estimated_income", required=False),
    Column("risk_weighting", required=False),
    Column("brid", required=False),
    Column("genderid", required=False),
    *(Column(key, required=False) for key in PRODUCTS),
]


def _snapshot(value: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"give the snapshot date as YYYY-MM-DD, got {value!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="Banking.csv")
    parser.add_argument("--snapshot-date", type=_snapshot, default=DEFAULT_SNAPSHOT,
                        help=f"the date the balances were measured (the file carries none; default {DEFAULT_SNAPSHOT})")
    add_income_period(parser, "annual", "Estimated Income")


def _decode(values: pa.ChunkedArray, codes: dict[str, str]) -> tuple[pa.Array, int, int]:
    """Codes as labels: (labels, decoded, unknown codes landed as given)."""
    out, decoded, unknown = [], 0, 0
    for text in values.to_pylist():
        key = None if text is None else text.split(".")[0] if text.endswith(".0") else text
        if key in codes:
            out.append(codes[key])
            decoded += 1
        else:
            out.append(text)
            unknown += text is not None
    return pa.array(out, pa.string()), decoded, unknown


def run(args: argparse.Namespace, report: ImportReport) -> dict[str, pa.Table]:
    tables = [read_csv(path, NAME, COLUMNS) for path in args.files]
    customer_parts: list[pa.Table] = []
    holding_parts: list[pa.Table] = []
    factor = INCOME_PERIODS[args.income_period]
    for table in tables:
        report.read(table)
        products = [key for key in PRODUCTS if table.has(key)]
        if not products:
            raise BankmartError(
                f"{table.path}: no product column (one of "
                f"{', '.join(repr(label) for label, _ in dict.fromkeys(PRODUCTS.values()))}, ...): "
                "a holdings file reports balances per product"
            )
        n = table.rows
        relationship, relationship_decoded, relationship_unknown = _decode(table.column("brid"), RELATIONSHIPS)
        gender, gender_decoded, gender_unknown = _decode(table.column("genderid"), GENDERS)
        income = numbers(table, "estimated_income", report)
        if factor != 1.0:
            income = pa.array([None if v is None else v * factor for v in income.to_pylist()], pa.float64())
        derived = [c for c, present in (("monthly_income", factor != 1.0 and table.has("estimated_income")),
                                         ("relationship_type", table.has("brid")),
                                         ("gender", table.has("genderid"))) if present]
        customer_parts.append(pa.table({
            "customer_id": table.column("client_id"),
            "full_name": table.column("name"),
            "age": integers(table, "age", report),
            "gender": gender,
            "occupation": table.column("occupation"),
            "nationality": table.column("nationality"),
            "monthly_income": income,
            "joined_date": table.column("joined_bank"),
            "loyalty_class": table.column("loyalty_classification"),
            "fee_structure": table.column("fee_structure"),
            "relationship_type": relationship,
            "risk_weighting": integers(table, "risk_weighting", report),
            "derived_columns": marker(n, derived or None),
        }))
        # one row per client and product: balance and count of one product share a row
        by_product: dict[str, dict[str, pa.Array]] = {}
        for key in products:
            label, measure = PRODUCTS[key]
            by_product.setdefault(label, {})[measure] = numbers(table, key, report)
        for label, measures in by_product.items():
            holding_parts.append(pa.table({
                "customer_id": table.column("client_id"),
                "snapshot_date": pa.array([args.snapshot_date] * n, pa.string()),
                "product": pa.array([label] * n, pa.string()),
                "balance": measures.get("balance", pa.nulls(n, pa.float64())),
                "quantity": measures.get("quantity", pa.nulls(n, pa.float64())),
                "derived_columns": marker(n, "snapshot_date"),
            }))
        if table.has("brid"):
            report.derive("customers", "relationship_type", relationship_decoded,
                          "decoded from BRId: 1 Retail, 2 Institutional, 3 Private, 4 Commercial")
        if table.has("genderid"):
            report.derive("customers", "gender", gender_decoded, "decoded from GenderId: 1 Male, 2 Female")
        if relationship_unknown or gender_unknown:
            report.notes.append(
                f"{relationship_unknown:,} BRId and {gender_unknown:,} GenderId values are no known "
                "code: landed as given"
            )
    customers = pa.concat_tables(customer_parts)
    holdings = pa.concat_tables(holding_parts)
    ids = customers.column("customer_id").to_pylist()
    seen: dict[str, int] = {}
    for customer in ids:
        if customer is not None:
            seen[customer] = seen.get(customer, 0) + 1
    if factor != 1.0:
        report.derive("customers", "monthly_income", customers.num_rows - customers.column("monthly_income").null_count,
                      "Estimated Income divided by 12 (--income-period annual)")
    report.derive("customer_holdings", "snapshot_date", holdings.num_rows,
                  f"--snapshot-date {args.snapshot_date} (the file carries no date)")
    report.facts.update({
        "customers": customers.num_rows,
        "client_ids_repeated": sum(1 for count in seen.values() if count > 1),
        "rows_with_a_repeated_client_id": sum(count - 1 for count in seen.values() if count > 1),
        "products": sorted({p for p in holdings.column("product").to_pylist()}),
        "snapshot_date": args.snapshot_date,
        "income_period": args.income_period,
    })
    if report.facts["rows_with_a_repeated_client_id"]:
        report.notes.append(
            "repeated Client IDs land as given: staging keeps each id's first row and quarantines "
            "the others (duplicate_id), with their holdings"
        )
    return {"customers": customers, "customer_holdings": holdings}
