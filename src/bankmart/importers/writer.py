"""Writing an imported raw folder: the generator's way (hidden sibling, renamed into place).

``--out`` is the raw folder itself (what BANKMART_RAW_DIR points at): one sub-folder per raw
table, Parquet typed as the raw contract, and the import report. Until the last step everything
lives in ``.NAME.partial-PID`` beside it, so an import that fails or is interrupted leaves
nothing under ``--out``; a folder left by a dead run is removed by the next one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bankmart.errors import BankmartError
from bankmart.generate.writer import COMPRESSION, _pid_alive, replace_folder
from bankmart.importers.report import REPORT_NAME, ImportReport
from bankmart.raw_schema import RAW_TABLES, arrow_schema


def check_out(out: Path, force: bool) -> None:
    """Refuse, before reading anything, an --out that cannot be (re)placed."""
    if out.exists() and not out.is_dir():
        raise BankmartError(f"--out {out} exists and is not a folder")
    if not out.parent.is_dir():
        raise BankmartError(f"--out {out}: the folder {out.parent} does not exist")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise BankmartError(
                f"--out {out} already exists and is not empty. Choose another folder, or add "
                "--force to replace an earlier import"
            )
        if not (out / REPORT_NAME).is_file():
            raise BankmartError(
                f"--out {out} holds no {REPORT_NAME}: --force only replaces a folder an earlier "
                "`bankmart import` wrote. Choose another folder"
            )


class ImportWriter:
    """Writes one raw folder; finish() publishes it, abort() throws it away."""

    def __init__(self, out: Path, force: bool) -> None:
        self.out = out.resolve()
        self.force = force
        check_out(self.out, force)
        self.tmp = self.out.parent / f".{self.out.name}.partial-{os.getpid()}"
        for stale in self.out.parent.glob(f".{self.out.name}.partial-*"):
            if not _pid_alive(stale.name.rsplit("-", 1)[-1]):
                shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        self.rows: dict[str, int] = {}

    def write(self, name: str, table: pa.Table) -> None:
        """A raw table, cast to the contract's types, in contract order; written even when
        empty (the bank has the table, with no rows)."""
        order = [c.name for c in RAW_TABLES[name] if c.name in table.column_names]
        table = table.select(order).cast(arrow_schema(name, only=order))
        folder = self.tmp / name
        folder.mkdir()
        pq.write_table(table, folder / "part-00000.parquet", compression=COMPRESSION)
        self.rows[name] = table.num_rows

    def finish(self, report: ImportReport) -> Path:
        report.rows_written = dict(self.rows)
        report.write(self.tmp)
        if self.out.exists():
            check_out(self.out, self.force)
        return replace_folder(self.tmp, self.out)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
