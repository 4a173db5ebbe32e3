"""`bankmart build`: run `dbt build` against the configured raw folder and summarise the result."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bankmart.errors import BankmartError
from bankmart.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        help="extra arguments passed to `dbt build` (e.g. --select marts)",
    )


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so a bare `bankmart` works without activating."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(settings: Settings, *args: str) -> int:
    """Run one dbt command in the project with absolute paths; output streams to the terminal."""
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.project_dir),
    ]
    return subprocess.run(command, env=settings.dbt_env(), cwd=settings.project_dir).returncode


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.raw_dir.is_dir():
        raise BankmartError(
            f"raw folder {settings.raw_dir} does not exist. Generate the demo bank with "
            "`make generate` (or `bankmart generate --out DIR`), or point BANKMART_RAW_DIR "
            "at your own raw files."
        )
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"bankmart build: raw files from {settings.raw_dir}", flush=True)
    print(f"bankmart build: warehouse {settings.duckdb_path}", flush=True)
    started = time.perf_counter()
    extra = [a for a in args.dbt_args if a != "--"]
    if run_dbt(settings, "build", *extra) != 0:
        raise BankmartError(
            "dbt build failed: the messages above name the model, test or raw file. "
            "Nothing was published; the last good serving copy is unchanged."
        )
    elapsed = time.perf_counter() - started
    print(summarise(settings.duckdb_path, elapsed))
    return 0


def summarise(duckdb_path: Path, elapsed_seconds: float | None = None) -> str:
    """A short report: tables per schema with row counts, and quarantine counts by reason."""
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        tables = con.execute(
            """
            select table_schema, table_name, table_type
            from information_schema.tables
            where table_schema in ('marts', 'quarantine', 'reference')
            order by table_schema, table_name
            """
        ).fetchall()
        lines = ["", "Warehouse summary", "================="]
        for schema, name, _ in tables:
            (count,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            lines.append(f"  {schema + '.' + name:<48} {count:>12,} rows")
        reasons = _quarantine_reasons(con)
        if reasons:
            lines.append("")
            lines.append("Quarantined raw rows by table and reason")
            for table, reason, count in reasons:
                lines.append(f"  {table:<20} {reason:<32} {count:>10,}")
        lines.append("")
        if elapsed_seconds is not None:
            lines.append(f"Built in {elapsed_seconds:,.1f} s.")
        lines.append(f"DuckDB file: {duckdb_path}")
        return "\n".join(lines)
    finally:
        con.close()


def _quarantine_reasons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'quarantine' and table_name = 'quarantined_rows'"
    ).fetchone()[0]
    if not exists:
        return []
    return con.execute(
        """
        select source_table, reason_code, count(*)
        from quarantine.quarantined_rows
        group by all
        order by 1, 3 desc
        """
    ).fetchall()
