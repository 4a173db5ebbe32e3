"""Mitron Bank: dim_customers.csv (demographics, monthly income) and fact_spends.csv (spend per
customer, month, category and payment type).

fact_spends holds monthly aggregates, not transactions: they land in monthly_spend as given,
and customer_monthly_features takes them for the customer-months. The months carry no year
(May..October): --year supplies it, so every spend_month is marked derived.
"""

from __future__ import annotations

import argparse
import calendar
import re
from pathlib import Path

import pyarrow as pa

from bankmart.errors import BankmartError
from bankmart.importers.common import INCOME_PERIODS, add_income_period, marker, numbers
from bankmart.importers.reader import Column, column_key, read_csv
from bankmart.importers.report import ImportReport

NAME = "mitron"
HELP = "Mitron Bank: dim_customers.csv + fact_spends.csv (monthly spend aggregates)"
DEFAULT_YEAR = 2023

CUSTOMER_COLUMNS = [
    Column("customer_id"),
    Column("age_group"),
    Column("city"),
    Column("occupation"),
    Column("gender"),
    Column("marital_status"),
    Column("avg_income", ("income", "monthly_income")),
]
SPEND_COLUMNS = [
    Column("customer_id"),
    Column("month"),
    Column("category"),
    Column("payment_type"),
    Column("spend", ("amount", "spends")),
]

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs=2, type=Path, metavar="FILE",
                        help="dim_customers.csv and fact_spends.csv, in either order")
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR,
                        help=f"the year of the month names (the files carry none; default {DEFAULT_YEAR})")
    add_income_period(parser, "monthly", "avg_income")


def _which(path: Path) -> str:
    """'customers' or 'spends', from the header (so the files may come in any order)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except OSError as exc:
        raise BankmartError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    keys = {column_key(cell) for cell in re.split(r"[,;\t|]", head.splitlines()[0] if head else "")}
    if "spend" in keys or "month" in keys:
        return "spends"
    return "customers"


def spend_month(text: str | None, year: int) -> tuple[str | None, bool]:
    """'May' -> '2023-05' (derived year); other text lands as given for staging to judge."""
    if text is None:
        return None, False
    number = _MONTHS.get(text.strip().lower().rstrip("."))
    if number is None:
        return text, False
    return f"{year:04d}-{number:02d}", True


def run(args: argparse.Namespace, report: ImportReport) -> dict[str, pa.Table]:
    if not 1900 <= args.year <= 2100:
        raise BankmartError(f"--year {args.year}: give the four-digit year of the months (1900..2100)")
    roles = {_which(p): p for p in args.files}
    if set(roles) != {"customers", "spends"}:
        raise BankmartError(
            f"{args.files[0]}, {args.files[1]}: give one customers file (dim_customers.csv: "
            "customer_id, age_group, ..., avg_income) and one spends file (fact_spends.csv: "
            "customer_id, month, category, payment_type, spend)"
        )
    customers_csv = read_csv(roles["customers"], "mitron dim_customers", CUSTOMER_COLUMNS)
    spends_csv = read_csv(roles["spends"], "mitron fact_spends", SPEND_COLUMNS)
    report.read(customers_csv)
    report.read(spends_csv)

    income = numbers(customers_csv, "avg_income", report)
    factor = INCOME_PERIODS[args.income_period]
    income_derived = factor != 1.0
    if income_derived:
        income = pa.array([None if v is None else v * factor for v in income.to_pylist()], pa.float64())
        report.derive("customers", "monthly_income", customers_csv.rows,
                      "avg_income divided by 12 (--income-period annual)")
    n = customers_csv.rows
    customers = pa.table({
        "customer_id": customers_csv.column("customer_id"),
        "age_group": customers_csv.column("age_group"),
        "city": customers_csv.column("city"),
        "occupation": customers_csv.column("occupation"),
        "gender": customers_csv.column("gender"),
        "marital_status": customers_csv.column("marital_status"),
        "monthly_income": income,
        "derived_columns": marker(n, "monthly_income" if income_derived else None),
    })

    months: list[str | None] = []
    derived: list[str | None] = []
    unknown_months: dict[str, int] = {}
    for text in spends_csv.column("month").to_pylist():
        month, made = spend_month(text, args.year)
        months.append(month)
        derived.append("spend_month" if made else None)
        if not made and text is not None:
            unknown_months[text] = unknown_months.get(text, 0) + 1
    made_rows = sum(1 for d in derived if d)
    report.derive("monthly_spend", "spend_month", made_rows,
                  f"month name + --year {args.year} as YYYY-MM (the file's months carry no year)")
    if unknown_months:
        report.notes.append(
            f"{sum(unknown_months.values()):,} spend rows have a month that is no month name "
            f"(e.g. {sorted(unknown_months)[:3]}): landed as given, staging judges them"
        )
    monthly_spend = pa.table({
        "customer_id": spends_csv.column("customer_id"),
        "spend_month": pa.array(months, pa.string()),
        "category": spends_csv.column("category"),
        "payment_type": spends_csv.column("payment_type"),
        "amount": numbers(spends_csv, "spend", report),
        "derived_columns": pa.array(derived, pa.string()),
    })
    distinct_months = sorted({m for m in months if m})
    report.facts.update({
        "customers": n,
        "spend_months": distinct_months,
        "year_assumed": args.year,
        "income_period": args.income_period,
    })
    report.notes.append(
        "fact_spends are monthly aggregates: they land in monthly_spend (no transactions are "
        "invented), so transaction counts and per-transaction features stay NULL"
    )
    return {"customers": customers, "monthly_spend": monthly_spend}
