"""What a serving file says about itself: the publish history it carries over from the version
it replaces, and the meta schema (publish_log, published_tables, quarantine_summary)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from bankmart import __version__
from bankmart.duckdb_files import first_line, lock_holder, quote_identifier, sql_literal
from bankmart.errors import BankmartError
from bankmart.invocations import Invocation
from bankmart.publish.tables import PublishedTable

META_SCHEMA = "meta"


@dataclass
class PreviousVersion:
    """What publish keeps of the serving file it replaces: its history, and a stale WAL to drop."""

    history_columns: list[str] = field(default_factory=list)
    history: list[tuple[Any, ...]] = field(default_factory=list)
    stale_wal: Path | None = None
    notes: list[str] = field(default_factory=list)



def read_previous_version(serving_path: Path) -> PreviousVersion:
    """The publish history of the serving file about to be replaced.

    Refuses when another program holds the file open for writing (it would keep writing a
    write-ahead log beside the new file). A file that cannot be read (damaged, not DuckDB,
    another layout) is replaced anyway, with a note that its history is lost.
    """
    previous = PreviousVersion()
    wal = serving_path.with_name(serving_path.name + ".wal")
    if not serving_path.exists():
        if wal.exists():
            previous.stale_wal = wal
        return previous
    con = duckdb.connect()
    try:
        try:
            con.execute(f"attach {sql_literal(str(serving_path))} as previous_serving (read_only)")
        except duckdb.Error as exc:
            holder = lock_holder(exc)
            if holder is not None:
                raise BankmartError(
                    f"the serving file {serving_path} is open for writing in another program: "
                    f"{holder}. Readers must open it read-only (DuckDB: read_only=True or "
                    "-readonly; ODBC: access_mode=READ_ONLY). Close that program or its "
                    "connection and run `bankmart publish` again. Nothing was published; the "
                    "previous version is unchanged."
                ) from None
            previous.notes.append(
                f"the previous serving file could not be read ({first_line(exc)}); it was "
                "replaced, and its publish history (meta.publish_log) was lost."
            )
            previous.stale_wal = wal if wal.exists() else None
            return previous
        try:
            cursor = con.execute(
                f"select * from previous_serving.{META_SCHEMA}.publish_log order by publish_id"
            )
            previous.history_columns = [d[0] for d in cursor.description]
            previous.history = cursor.fetchall()
        except duckdb.Error as exc:
            previous.notes.append(
                f"the previous serving file has no readable publish history ({first_line(exc)}); "
                "this publish starts a new one."
            )
    finally:
        con.close()
    if wal.exists():
        # Nobody holds the file (the attach above would have failed), so this log is left by
        # a program that wrote to the serving file and died. DuckDB would replay it onto the
        # new file: it goes.
        previous.stale_wal = wal
    return previous



def write_meta(
    con: duckdb.DuckDBPyConnection,
    *,
    src: str,
    dst: str,
    previous: PreviousVersion,
    tables: list[PublishedTable],
    build: Invocation,
    source_file: str,
    storage_version: str,
    published_at: datetime,
    project_dir: Path,
) -> list[PublishedTable]:
    """meta.publish_log (history), meta.published_tables, meta.quarantine_summary."""
    meta = f"{quote_identifier(dst)}.{quote_identifier(META_SCHEMA)}"
    con.execute(f"create schema {meta}")
    con.execute(
        f"""
        create table {meta}.publish_log (
            publish_id integer not null,
            published_at timestamp not null,
            build_finished_at timestamp,
            dbt_invocation_id varchar,
            dbt_version varchar,
            dbt_command varchar,
            git_revision varchar,
            git_dirty boolean,
            bankmart_version varchar not null,
            duckdb_version varchar not null,
            storage_version varchar not null,
            source_file varchar not null,
            table_count integer not null,
            total_rows bigint not null
        )
        """
    )
    con.execute(
        f"comment on table {meta}.publish_log is "
        "'One row per bankmart publish, newest last: what was published, from which build.'"
    )
    _carry_over_history(con, previous, f"{meta}.publish_log")
    revision, dirty = _git_revision(project_dir)
    con.execute(
        f"""
        insert into {meta}.publish_log
        select coalesce(max(publish_id), 0) + 1, $published_at, $build_finished_at,
               $invocation_id, $dbt_version, $command, $revision, $dirty, $bankmart_version,
               $duckdb_version, $storage_version, $source_file, $table_count, $total_rows
        from {meta}.publish_log
        """,
        {
            "published_at": published_at,
            "build_finished_at": build.finished_at,
            "invocation_id": build.invocation_id,
            "dbt_version": build.dbt_version,
            "command": build.command,
            "revision": revision,
            "dirty": dirty,
            "bankmart_version": __version__,
            "duckdb_version": duckdb.__version__,
            "storage_version": storage_version,
            "source_file": source_file,
            "table_count": len(tables),
            "total_rows": sum(t.rows for t in tables),
        },
    )
    con.execute(
        f"create table {meta}.published_tables (schema_name varchar not null, "
        "table_name varchar not null, row_count bigint not null, column_count integer not null, "
        "parquet_file varchar not null)"
    )
    con.executemany(
        f"insert into {meta}.published_tables values (?, ?, ?, ?, ?)",
        [[t.schema, t.name, t.rows, t.columns, t.parquet_name] for t in tables],
    )
    con.execute(
        f"comment on table {meta}.published_tables is "
        "'Row and column counts of every table of this publish, and its Parquet file.'"
    )
    meta_tables = ["publish_log", "published_tables"]
    has_quarantine = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? "
        "and schema_name = 'quarantine' and table_name = 'quarantined_rows'",
        [src],
    ).fetchone()[0]
    if has_quarantine:
        # Counts only: the raw records themselves may carry names and birth dates.
        con.execute(
            f"""
            create table {meta}.quarantine_summary as
            select source_table, reason_code, count(*) as quarantined_rows
            from {quote_identifier(src)}.quarantine.quarantined_rows
            group by all
            order by source_table, quarantined_rows desc
            """
        )
        meta_tables.append("quarantine_summary")
    result = []
    for name in meta_tables:
        rows = con.execute(f"select count(*) from {meta}.{quote_identifier(name)}").fetchone()[0]
        columns = con.execute(
            "select count(*) from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ?",
            [dst, META_SCHEMA, name],
        ).fetchone()[0]
        result.append(PublishedTable(META_SCHEMA, name, int(rows), int(columns)))
    return result


def _carry_over_history(
    con: duckdb.DuckDBPyConnection, previous: PreviousVersion, log_table: str
) -> None:
    """Keep the publish history of the file being replaced: the columns both versions have."""
    if not previous.history:
        return
    columns = [
        name
        for (name,) in con.execute(f"select column_name from (describe {log_table})").fetchall()
        if name in previous.history_columns
    ]
    positions = [previous.history_columns.index(name) for name in columns]
    con.executemany(
        f"insert into {log_table} ({', '.join(quote_identifier(c) for c in columns)}) "
        f"values ({', '.join('?' for _ in columns)})",
        [[row[i] for i in positions] for row in previous.history],
    )


def _git_revision(project_dir: Path) -> tuple[str | None, bool | None]:
    """The commit the models were built from, and whether the checkout had local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_dir, capture_output=True, text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=project_dir,
            capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return head.stdout.strip(), dirty


