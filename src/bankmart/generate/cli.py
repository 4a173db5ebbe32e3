"""`bankmart generate`: write a deterministic synthetic bank as raw Parquet files."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from bankmart.argtypes import fraction, non_negative_int, positive_int
from bankmart.errors import BankmartError
from bankmart.generate.bank import (
    MAX_CUSTOMERS,
    BankSpec,
    customers_for_transactions,
    generate,
    max_transactions,
)
from bankmart.generate.shapes import DATE_STYLES, Shape
from bankmart.generate.timeline import parse_month
from bankmart.settings import Settings

MAX_MONTHS = 240


def _customers(value: str) -> int:
    number = positive_int(value)
    if number > MAX_CUSTOMERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_CUSTOMERS:,} customers, got {number:,}")
    return number


def _months(value: str) -> int:
    number = positive_int(value)
    if number > MAX_MONTHS:
        raise argparse.ArgumentTypeError(f"at most {MAX_MONTHS} months, got {number}")
    return number


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _month(value: str) -> str:
    try:
        year, month = parse_month(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return f"{year:04d}-{month:02d}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write a deterministic synthetic Indian retail bank (customers, accounts, merchants, "
        "transactions, microloans, repayments, month-end balances) as raw Parquet files, plus "
        "the ground truth (persona, planted risk) the ML checks compare against. The same "
        "parameters always give the same files."
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--customers", type=_customers, metavar="N",
                      help="number of customers (default 10000: about 1M transactions over 24 months)")
    size.add_argument("--transactions", type=positive_int, metavar="T",
                      help="size the bank for about T transactions instead (about 100 per "
                      f"customer per 24 months; at most {max_transactions(24):,} over 24 "
                      "months)")
    parser.add_argument("--months", type=_months, default=24, metavar="M",
                        help="months of history (default 24)")
    parser.add_argument("--seed", type=non_negative_int, default=42, metavar="S",
                        help="random seed (default 42)")
    parser.add_argument("--start-month", type=_month, default=None, metavar="YYYY-MM",
                        help="first month (default: the window ends in 2026-10, whatever today is)")
    parser.add_argument("--dirty-rate", type=fraction, default=0.0, metavar="P",
                        help="share of rows per table with one planted data-quality problem, "
                        "0 <= P < 1 (default 0: clean)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="bank folder to create, in a folder that exists; gets DIR/raw/ "
                        "and DIR/ground_truth/ (default: the folder above BANKMART_RAW_DIR, "
                        "i.e. data/demo, created with its parents)")
    parser.add_argument("--force", action="store_true",
                        help="replace DIR if it already holds a bank")
    shape = parser.add_argument_group(
        "shape of the files",
        "Write the bank the way other extracts look, to try the warehouse on them (the "
        "values stay the same; see src/bankmart/generate/shapes.py).",
    )
    shape.add_argument("--omit-tables", type=_names, default=(), metavar="T1,T2",
                       help="raw tables to leave out (no folder), e.g. loans,loan_repayments")
    shape.add_argument("--omit-columns", type=_names, default=(), metavar="TABLE.COL,...",
                       help="optional columns to leave out of every file, e.g. transactions.channel")
    shape.add_argument("--date-style", choices=DATE_STYLES, default="iso",
                       help="how dates are written: iso 2026-05-03, dmy 3/5/2026, dmy2 3/5/26, "
                       "mdy 5/3/2026 (default iso)")
    shape.add_argument("--split-datetime", action="store_true",
                       help="transactions get transaction_date and an unpadded HHMMSS "
                       "transaction_time instead of transaction_at")
    shape.add_argument("--date-only", action="store_true",
                       help="transactions carry a date without a time of day")
    shape.add_argument("--link-customers", action="store_true",
                       help="transactions name their customer (customer_id); needed with "
                       "--omit-tables accounts")
    shape.add_argument("--zero-spend-share", type=fraction, default=0.0, metavar="P",
                       help="share of customers whose transactions are left out (never spend)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    months = args.months
    if args.transactions is not None:
        customers = customers_for_transactions(args.transactions, months)
        if customers > MAX_CUSTOMERS:
            raise BankmartError(
                f"--transactions {args.transactions:,} is more than the generator makes over "
                f"{months} months: at most {max_transactions(months):,} ({MAX_CUSTOMERS:,} "
                "customers at about 100 transactions each per 24 months). Ask for fewer, or "
                "more --months."
            )
    else:
        customers = args.customers if args.customers is not None else 10_000
    shape = Shape(
        omit_tables=args.omit_tables,
        omit_columns=args.omit_columns,
        date_style=args.date_style,
        split_datetime=args.split_datetime,
        date_only=args.date_only,
        link_customers=args.link_customers,
        zero_spend_share=args.zero_spend_share,
    )
    spec = BankSpec(customers=customers, months=months, seed=args.seed,
                    dirty_rate=args.dirty_rate, start_month=args.start_month,
                    transactions=args.transactions, shape=shape)
    if args.out is not None:
        out = args.out.expanduser().resolve()
        if not out.parent.is_dir():
            what = "is not a folder" if out.parent.exists() else "does not exist"
            raise BankmartError(
                f"--out {args.out}: the folder it goes in, {out.parent}, {what}. Create it "
                "first, or choose another --out."
            )
    else:
        out = settings.raw_dir.parent
    # The bank is written into a hidden sibling and renamed into place at the end; a SIGTERM
    # (a supervisor, `timeout`) must remove it like Ctrl+C does, not leave it half-written.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        manifest = generate(spec, out, force=args.force)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(summary(manifest, out))
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def summary(manifest: dict, out: Path) -> str:
    params = manifest["parameters"]
    lines = [
        f"Bank written to {out}",
        f"  {params['customers']:,} customers, {params['start_month']}..{params['end_month']}, "
        f"seed {params['seed']}, dirty rate {params['dirty_rate']}",
        "",
        "Raw rows per table",
    ]
    shape = params.get("shape") or {}
    if any(v for v in shape.values() if v not in ("iso", 0.0)):
        lines.insert(2, "  shape: " + ", ".join(f"{k}={v}" for k, v in shape.items() if v not in ((), [], False, "iso", 0.0)))
    for table, count in manifest["row_counts"].items():
        lines.append(f"  {table:<20} {count:>14,}")
    dirty_total = sum(sum(kinds.values()) for kinds in manifest["dirty_rows"].values())
    lines.append("")
    lines.append(f"Dirty rows planted: {dirty_total:,}")
    for table, kinds in manifest["dirty_rows"].items():
        planted = {k: v for k, v in kinds.items() if v}
        if planted:
            lines.append(f"  {table:<20} " + ", ".join(f"{k} {v:,}" for k, v in planted.items()))
    truth = manifest["ground_truth"]
    risk_total = sum(truth["planted_risk"].values())
    lines.append("")
    lines.append(
        f"Ground truth: {truth['customers']:,} customers, {risk_total:,} with planted risk, "
        f"{truth['fraud_transactions']:,} fraud transactions -> {out / 'ground_truth'}"
    )
    return "\n".join(lines)
