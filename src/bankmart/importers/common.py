"""Small helpers the format modules share: reading several files of one format, numbers into
the contract's types, stable derived ids, the derived_columns marker, and the income period
option."""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from bankmart.importers.reader import Column, CsvTable, parse_number, read_csv
from bankmart.importers.report import ImportReport

#: Income periods an income column may be given in, and the factor to a monthly figure.
INCOME_PERIODS = {"monthly": 1.0, "annual": 1.0 / 12.0}


def read_files(paths: Sequence[Path], name: str, columns: Sequence[Column], report: ImportReport) -> list[CsvTable]:
    """Each file of one format, read and recorded in the report, in the order given."""
    tables = [read_csv(path, name, columns) for path in paths]
    for table in tables:
        report.read(table)
    return tables


def text_column(tables: Sequence[CsvTable], key: str) -> pa.ChunkedArray:
    """One text column over several files of one format, as one array."""
    return pa.chunked_array([c for t in tables for c in t.column(key).chunks], pa.string())


def numbers(table: CsvTable, key: str, report: ImportReport, *, percent: bool = False) -> pa.Array:
    """A column as DOUBLE: unreadable text becomes NULL and is counted in the report under
    'file:column' (a required amount left NULL is then quarantined by staging as missing)."""
    values: list[float | None] = []
    bad: list[str] = []
    for text in table.column(key).to_pylist():
        value, readable = parse_number(text, percent=percent)
        if not readable:
            bad.append(text)
        values.append(value)
    report.unreadable(f"{table.path.name}:{key}", len(bad), bad, "landed as NULL")
    return pa.array(values, pa.float64())


def integers(table: CsvTable, key: str, report: ImportReport) -> pa.Array:
    """A whole-number column (INTEGER in the contract): '3', '3.0' and '1,200' are read; a
    fraction or text lands NULL and is counted."""
    values: list[int | None] = []
    bad: list[str] = []
    for text in table.column(key).to_pylist():
        value, readable = parse_number(text)
        if value is not None and (value != value or value in (float("inf"), float("-inf")) or value != int(value)):
            readable, value = False, None
        if not readable:
            bad.append(text)
        values.append(None if value is None else int(value))
    report.unreadable(f"{table.path.name}:{key}", len(bad), bad, "landed as NULL")
    return pa.array(values, pa.int32())


def stable_id(prefix: str, parts: Sequence[str | None], length: int = 16) -> str:
    """An id made from the row's own values: the same values give the same id in every run and
    on every machine (exact duplicate rows share one, which staging quarantines as
    duplicate_row)."""
    text = "\x1f".join("" if p is None else p for p in parts)
    return prefix + hashlib.blake2b(text.encode(), digest_size=length // 2).hexdigest()


def bucket(parts: Sequence[str | None], buckets: int) -> int:
    """A deterministic bucket 0..buckets-1 from the row's values (synthetic customer choice)."""
    text = "\x1f".join("" if p is None else p for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") % buckets


def marker(rows: int, columns: Iterable[str] | str | None) -> pa.Array:
    """The derived_columns value for every row: '*' for rows made up whole, else the names."""
    if columns is None:
        return pa.nulls(rows, pa.string())
    text = columns if isinstance(columns, str) else ",".join(columns)
    return pa.array([text or None] * rows, pa.string())


def add_income_period(parser: argparse.ArgumentParser, default: str, what: str) -> None:
    parser.add_argument(
        "--income-period", choices=sorted(INCOME_PERIODS), default=default,
        help=f"the period of {what} (default {default}); the warehouse stores monthly income, "
        "so an annual figure is divided by 12 and marked derived",
    )
