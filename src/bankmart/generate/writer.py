"""Writing a bank folder: Parquet per chunk into a hidden sibling, renamed into place at the end.

dbt, `make generate` and the tests all treat "the folder exists" as "the bank is complete". The
rename at the end makes that true even when a run is interrupted: a half-written bank only ever
exists under a hidden `.NAME.partial-PID` name, which the next run cleans up.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bankmart.errors import BankmartError
from bankmart.raw_schema import GROUND_TRUTH_COLUMNS, PARTITIONED_TABLES, arrow_schema

COMPRESSION = "zstd"
#: The raw tables the generator writes (a bank of its own making has no holdings extract and no
#: monthly aggregates: those tables stay absent).
GENERATED_TABLES = (
    "customers",
    "accounts",
    "merchants",
    "transactions",
    "loans",
    "loan_repayments",
    "account_balances",
)
MANIFEST_NAME = "_manifest.json"


def replace_folder(new: Path, out: Path) -> Path:
    """Rename the finished folder `new` to `out`, moving an existing `out` aside first and
    removing it afterwards (the caller has checked it may be replaced)."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.replaced-{os.getpid()}"
        out.rename(old)
    new.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def check_destination(out: Path, force: bool) -> None:
    """Refuse early, before minutes of work, if the bank folder cannot be (re)placed."""
    if out.name == "raw":
        raise BankmartError(
            f"--out {out} ends in 'raw', but --out is the bank folder that gets raw/ and "
            f"ground_truth/ inside it. Use --out {out.parent} instead."
        )
    if not out.exists():
        return
    if not force:
        raise BankmartError(
            f"--out {out} already exists. Choose another folder, delete it, or add --force "
            "to replace it."
        )
    if not out.is_dir():
        raise BankmartError(f"--out {out} exists and is not a folder; refusing to replace it.")
    looks_like_bank = (out / "raw").is_dir() or (out / "ground_truth").is_dir()
    if any(out.iterdir()) and not looks_like_bank:
        raise BankmartError(
            f"--out {out} is not empty and holds no raw/ or ground_truth/ folder; --force only "
            "replaces bank folders. Choose another folder."
        )


class BankWriter:
    """Writes one bank; use finish() to publish it or abort() to throw it away."""

    def __init__(self, out: Path, force: bool, tables: tuple[str, ...] = GENERATED_TABLES) -> None:
        self.out = out.resolve()
        self.force = force
        check_destination(self.out, force)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.out.parent / f".{self.out.name}.partial-{os.getpid()}"
        for stale in self.out.parent.glob(f".{self.out.name}.partial-*"):
            if not _pid_alive(stale.name.rsplit("-", 1)[-1]):  # left by an interrupted run
                shutil.rmtree(stale, ignore_errors=True)
        (self.tmp / "raw").mkdir(parents=True)
        (self.tmp / "ground_truth").mkdir()
        self.rows: dict[str, int] = {name: 0 for name in tables}
        self.files: dict[str, int] = {name: 0 for name in tables}
        self.ground_truth_rows = 0
        self._ground_truth: pq.ParquetWriter | None = None

    def _write(self, table: pa.Table, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression=COMPRESSION)

    def write(self, name: str, table: pa.Table, part: int) -> None:
        """One chunk of an unpartitioned table: raw/<name>/part-NNNNN.parquet."""
        if table.num_rows == 0:
            return
        self._write(table, self.tmp / "raw" / name / f"part-{part:05d}.parquet")
        self.rows[name] += table.num_rows
        self.files[name] += 1

    def write_by_month(
        self, name: str, table: pa.Table, month_column: str, labels: list[str], part: int
    ) -> None:
        """One chunk of a month-partitioned table: raw/<name>/<key>=YYYY-MM/part-NNNNN, the key
        from PARTITIONED_TABLES (txn_month for transactions)."""
        key = PARTITIONED_TABLES[name]
        month = table.column(month_column).to_numpy()
        order = np.argsort(month, kind="stable")
        bounds = np.searchsorted(month[order], np.arange(len(labels) + 1))
        table = table.drop_columns([month_column]).take(order)  # one copy; slices are free
        for m, label in enumerate(labels):
            if bounds[m + 1] == bounds[m]:
                continue
            rows = table.slice(bounds[m], bounds[m + 1] - bounds[m])
            self._write(rows, self.tmp / "raw" / name / f"{key}={label}" / f"part-{part:05d}.parquet")
            self.rows[name] += rows.num_rows
            self.files[name] += 1

    def write_ground_truth(self, table: pa.Table) -> None:
        if self._ground_truth is None:
            schema = pa.schema([(c.name, c.arrow_type) for c in GROUND_TRUTH_COLUMNS])
            self._ground_truth = pq.ParquetWriter(
                self.tmp / "ground_truth" / "customers.parquet", schema, compression=COMPRESSION
            )
        self._ground_truth.write_table(table)
        self.ground_truth_rows += table.num_rows

    def finish(self, manifest: dict, first_month: str) -> Path:
        """Write what is still missing, the manifest, and move the bank into place."""
        for name, count in self.files.items():
            if count == 0:  # a table written with no rows is present but empty, not absent
                folder = self.tmp / "raw" / name
                if name in PARTITIONED_TABLES:
                    folder = folder / f"{PARTITIONED_TABLES[name]}={first_month}"
                self._write(arrow_schema(name).empty_table(), folder / "part-00000.parquet")
                self.files[name] = 1
        if self._ground_truth is not None:
            self._ground_truth.close()
            self._ground_truth = None
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        (self.tmp / "raw" / MANIFEST_NAME).write_text(text)
        if self.out.exists():
            check_destination(self.out, self.force)
        return replace_folder(self.tmp, self.out)

    def abort(self) -> None:
        if self._ground_truth is not None:
            self._ground_truth.close()
            self._ground_truth = None
        shutil.rmtree(self.tmp, ignore_errors=True)


def _pid_alive(text: str) -> bool:
    try:
        os.kill(int(text), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
