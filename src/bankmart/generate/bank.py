"""Generating a whole bank: merchants once, then customers in fixed-size chunks.

Each chunk of CHUNK_CUSTOMERS customers is drawn, turned into every raw table, dirtied and
written before the next one starts, so memory stays flat however large the bank is. Random
streams are keyed by (seed, table, chunk index) and the chunk size is a constant, so the
output depends only on the command's parameters.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from bankmart import __version__
from bankmart.generate import dirty
from bankmart.generate import reference as ref
from bankmart.generate.accounts import accounts_table, open_accounts
from bankmart.generate.balances import balances_table, draw_balances
from bankmart.generate.loans import draw_loans, loans_table, repayments_table
from bankmart.generate.merchants import Merchants, draw_merchants, merchant_count, merchants_table
from bankmart.generate.personas import (
    RISK_PATTERNS,
    customers_table,
    draw_customers,
    ground_truth_table,
)
from bankmart.generate.sampling import rng_for
from bankmart.generate.shapes import Shape
from bankmart.generate.timeline import DEFAULT_END_MONTH, Timeline
from bankmart.generate.transactions import MONTH_COLUMN, draw_transactions, transactions_table
from bankmart.generate.writer import GENERATED_TABLES, BankWriter
from bankmart.raw_schema import PARTITIONED_TABLES

GENERATOR_VERSION = "1.0"
CHUNK_CUSTOMERS = 10_000  # ~1M transactions a chunk: peak memory well under 1 GB
MAX_CUSTOMERS = 5_000_000  # dirty-row orphan ids (C9000000...) must stay above real ones


@dataclass(frozen=True)
class BankSpec:
    """Everything the output depends on."""

    customers: int = 10_000
    months: int = 24
    seed: int = 42
    dirty_rate: float = 0.0
    start_month: str | None = None  # 'YYYY-MM'; default: the window ends at DEFAULT_END_MONTH
    # The --transactions target the customer count was derived from (provenance only).
    transactions: int | None = None
    # How the files depart from the generator's own layout (tables or columns left out, date
    # styles, split date and time, ...): see bankmart.generate.shapes.
    shape: Shape = Shape()

    @property
    def timeline(self) -> Timeline:
        if self.start_month is None:
            return Timeline.ending_at(DEFAULT_END_MONTH, self.months)
        year, month = (int(part) for part in self.start_month.split("-"))
        return Timeline(year, month, self.months)


def customers_for_transactions(transactions: int, months: int) -> int:
    """How many customers give about `transactions` rows over `months` months."""
    return max(1, int(round(transactions / (months * ref.TXNS_PER_CUSTOMER_MONTH))))


def max_transactions(months: int) -> int:
    """About how many transactions MAX_CUSTOMERS customers make over `months` months."""
    return int(MAX_CUSTOMERS * months * ref.TXNS_PER_CUSTOMER_MONTH)


def _stderr(line: str) -> None:
    import sys

    print(line, file=sys.stderr, flush=True)


def generate(
    spec: BankSpec,
    out: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] = _stderr,
) -> dict:
    """Write the bank folder `out`; returns the manifest (also written to raw/_manifest.json)."""
    started = time.perf_counter()
    timeline = spec.timeline
    tables = tuple(t for t in GENERATED_TABLES if t not in spec.shape.omit_tables)
    writer = BankWriter(out, force, tables)
    try:
        manifest = _generate_into(writer, spec, timeline, progress, started)
        manifest_out = writer.finish(manifest, timeline.labels[0])
    except BaseException:
        writer.abort()
        raise
    progress(f"generate: done in {time.perf_counter() - started:,.1f} s -> {manifest_out}")
    return manifest


@dataclass
class _Counters:
    """Running id counters and ground-truth tallies, carried from chunk to chunk."""

    account: int = 1
    transaction: int = 1
    loan: int = 1
    repayment: int = 1
    personas: np.ndarray = field(default_factory=lambda: np.zeros(len(ref.PERSONAS), dtype=np.int64))
    risks: np.ndarray = field(default_factory=lambda: np.zeros(len(RISK_PATTERNS), dtype=np.int64))
    fraud_rows: int = 0


def _write(writer: BankWriter, name: str, table: pa.Table, timeline: Timeline, k: int) -> None:
    if name in PARTITIONED_TABLES:
        writer.write_by_month(name, table, MONTH_COLUMN, timeline.labels, k)
    else:
        writer.write(name, table, k)


def _draw_chunk(
    spec: BankSpec, timeline: Timeline, merchants: Merchants, k: int, counters: _Counters
) -> tuple[dict[str, pa.Table], pa.Table]:
    """Every raw table (clean) and the ground truth for chunk k; its numpy arrays die here."""
    seed = spec.seed
    first = k * CHUNK_CUSTOMERS + 1
    n = min(CHUNK_CUSTOMERS, spec.customers - k * CHUNK_CUSTOMERS)
    c = draw_customers(rng_for(seed, "customers", k), first, n, timeline)
    loans = draw_loans(rng_for(seed, "loans", k), c, timeline)
    accts = open_accounts(rng_for(seed, "accounts", k), c, loans, timeline, counters.account)
    txns = draw_transactions(rng_for(seed, "transactions", k), c, accts, merchants, timeline)
    balance_rows = draw_balances(rng_for(seed, "balances", k), c, accts, txns, loans, timeline)
    tables = {
        "customers": customers_table(c),
        "accounts": accounts_table(accts, c),
        "transactions": transactions_table(txns, accts, counters.transaction),
        "loans": loans_table(loans, c.number, accts.number, accts.loan_account, counters.loan),
        "loan_repayments": repayments_table(loans, counters.loan, counters.repayment),
        "account_balances": balances_table(accts, *balance_rows, timeline),
    }
    counters.account += len(accts)
    counters.transaction += len(txns)
    counters.loan += len(loans)
    counters.repayment += len(loans.repaid_loan)
    counters.personas += np.bincount(c.persona, minlength=len(ref.PERSONAS))
    counters.risks += np.bincount(c.risk[c.risk >= 0], minlength=len(RISK_PATTERNS))
    counters.fraud_rows += int((txns.is_fraud == 1).sum())
    return tables, ground_truth_table(c)


def _generate_into(
    writer: BankWriter,
    spec: BankSpec,
    timeline: Timeline,
    progress: Callable[[str], None],
    started: float,
) -> dict:
    seed, rate = spec.seed, spec.dirty_rate
    state = dirty.DirtyState(future_year=timeline.end_year + 5)

    merchants = draw_merchants(rng_for(seed, "merchants"), merchant_count(spec.customers))
    table = merchants_table(merchants)
    table = dirty.plant("merchants", table, rate, rng_for(seed, "dirty:merchants"), state, True)
    for name, shaped in spec.shape.apply({"merchants": table}, seed).items():
        writer.write(name, shaped, 0)

    counters = _Counters()
    n_chunks = -(-spec.customers // CHUNK_CUSTOMERS)
    for k in range(n_chunks):
        tables, truth = _draw_chunk(spec, timeline, merchants, k, counters)
        if spec.shape.is_plain:
            # Tables are dirtied and written one at a time and dropped at once, so a chunk's
            # peak memory is its arrays plus one table in flight, not all of them twice.
            for name in list(tables):
                table = dirty.plant(name, tables.pop(name), rate, rng_for(seed, f"dirty:{name}", k), state, k == 0)
                _write(writer, name, table, timeline, k)
                del table
        else:
            # A shape rewrites tables together (transactions need their accounts' customers).
            planted = {
                name: dirty.plant(name, table, rate, rng_for(seed, f"dirty:{name}", k), state, k == 0)
                for name, table in tables.items()
            }
            for name, table in spec.shape.apply(planted, seed).items():
                _write(writer, name, table, timeline, k)
            del planted
        writer.write_ground_truth(truth)

        elapsed = time.perf_counter() - started
        written = sum(writer.rows.values())
        done = min((k + 1) * CHUNK_CUSTOMERS, spec.customers)
        progress(
            f"generate: chunk {k + 1}/{n_chunks}: {done:,}/{spec.customers:,} customers, "
            f"{writer.rows.get('transactions', 0):,} transactions, {written:,} rows written "
            f"({written / max(elapsed, 1e-9):,.0f} rows/s)"
        )

    personas, risks, fraud_rows = counters.personas, counters.risks, counters.fraud_rows
    parameters = {
        **asdict(spec),
        "start_month": timeline.labels[0],
        "end_month": timeline.labels[-1],
        "chunk_customers": CHUNK_CUSTOMERS,
    }
    parameters["shape"] = spec.shape.describe()
    return {
        "generator": "bankmart generate",
        "generator_version": GENERATOR_VERSION,
        "bankmart_version": __version__,
        "parameters": parameters,
        "home_currency": ref.HOME_CURRENCY,
        "as_of_date": str(np.datetime64(timeline.last_day, "D")),
        "row_counts": dict(writer.rows),
        "file_counts": dict(writer.files),
        "partitioning": {table: column for table, column in PARTITIONED_TABLES.items()},
        "dirty_rows": state.counts,
        "dirty_kinds": {
            table: {k.name: {"handling": k.handling, "description": k.description} for k in kinds}
            for table, kinds in dirty.KINDS.items()
        },
        "ground_truth": {
            "customers": writer.ground_truth_rows,
            "personas": dict(zip(ref.PERSONAS, personas.tolist(), strict=True)),
            "planted_risk": dict(zip(RISK_PATTERNS, risks.tolist(), strict=True)),
            "fraud_transactions": fraud_rows,
        },
        "notes": {
            "is_fraud": "1 fraud, 0 not; NULL (label pending) for about "
            "3% of the last month's transactions, whatever the dirty rate.",
            "category": "NULL on about 1% of merchant transactions: use the merchant's category.",
            "txn_month": "partition = month the row belongs to; planted future or unparseable "
            "timestamps stay in their source row's partition.",
            "balance_period": "partition of account_balances = the month of the balance; planted "
            "unparseable or future months stay in their source row's partition.",
            "tables": sorted(writer.rows),
        },
    }
