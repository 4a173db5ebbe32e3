"""`bankmart publish`: copy a green build into the serving file that BI tools and the dashboard read.

Why a separate file: dbt holds an exclusive lock on the warehouse it builds, so nothing may read
that file while a build runs, and a reader holding it would block the next build. Readers get
their own copy instead:

- every table of the ``marts`` and ``reference`` schemas (never ``staging``, which holds names
  and birth dates, and never raw quarantined records: only a count by table and reason);
- a ``meta`` schema saying what was published, from which build, with row counts;
- the same tables as Parquet files (``<schema>__<table>.parquet``) for tools that read Parquet;
- ``powerbi/spend_tier_measure.dax``, the spend-tier DAX measure generated from the thresholds.

Only a whole, green, complete build is published: the warehouse itself records every dbt run
(meta.dbt_invocations, written by the project's dbt hooks), and bankmart.invocations decides
from that record, from the row counts the build left and from counts the marts must agree on.
Each refusal says what is wrong and what to do, and leaves the previous serving copy as it was.

Everything is written under temporary names in the serving folder and then renamed into place,
so a reader sees the previous version or the new one, never half of one. On Linux and macOS a
reader that still has the old file open keeps reading the old version (the rename swaps the
directory entry, not the open inode) until it reconnects. On Windows a file that is open cannot
be replaced: publish then says so and leaves the previous version untouched. A program that
holds the serving file open for writing is refused by name (readers must open it read-only);
a damaged serving file is replaced, losing only its publish history.

The serving file is written in an explicit DuckDB storage format (``--storage-version``) so that
the DuckDB ODBC driver Power BI users install can open it; see bi/powerbi/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psutil

from bankmart import __version__
from bankmart.duckdb_files import first_line, lock_holder
from bankmart.errors import BankmartError
from bankmart.invocations import (
    Invocation,
    check_mart_counts,
    check_relations_unchanged,
    publishable_build,
    read_invocations,
)
from bankmart.settings import Settings, check_storage_version

#: Schemas copied into the serving file. staging (direct identifiers), intermediate (not for
#: BI) and meta (the build's own record of its dbt runs) stay in the build file.
SERVED_SCHEMAS: tuple[str, ...] = ("marts", "reference")
META_SCHEMA = "meta"

#: Direct identifiers that must never reach a served table, whatever a model does.
SENSITIVE_COLUMNS = frozenset({"full_name", "birth_date"})

DAX_FILE = Path("powerbi") / "spend_tier_measure.dax"
_TEMP_PREFIX = ".publishing-"
_OLD_PREFIX = ".previous-"


@dataclass
class PreviousVersion:
    """What publish keeps of the serving file it replaces: its history, and a stale WAL to drop."""

    history_columns: list[str] = field(default_factory=list)
    history: list[tuple[Any, ...]] = field(default_factory=list)
    stale_wal: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    rows: int
    columns: int

    @property
    def parquet_name(self) -> str:
        """Stable file name: the schema is part of it because marts and reference may share names."""
        return f"{self.schema}__{self.name}.parquet"


@dataclass(frozen=True)
class PublishResult:
    serving_path: Path
    parquet_dir: Path
    tables: list[PublishedTable]
    published_at: datetime
    storage_version: str
    dax_path: Path | None
    notes: list[str]
    elapsed_seconds: float


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Copy the marts and reference tables of the last build into the serving file and "
        "Parquet folder that BI tools and the dashboard read. Only a whole, green, complete "
        "`dbt build` is published (see README, BI): the warehouse records every dbt run, and a "
        "killed, failed or partial last run, or a change to the tables after the build, is "
        "refused with what to do."
    )
    parser.add_argument(
        "--storage-version",
        default=None,
        help=(
            "DuckDB storage format of the serving file, e.g. v1.4.0 (default; DuckDB/ODBC 1.4+) "
            "or v1.1.0 for older ODBC drivers. Default: $BANKMART_STORAGE_VERSION, else v1.4.0."
        ),
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    result = publish(settings, storage_version=args.storage_version)
    print(summarise(result))
    return 0


def summarise(result: PublishResult) -> str:
    total = sum(t.rows for t in result.tables)
    lines = [
        f"bankmart publish: {len(result.tables)} tables, {total:,} rows "
        f"in {result.elapsed_seconds:,.1f} s",
        f"  serving file  {result.serving_path} (DuckDB storage {result.storage_version})",
        f"  Parquet       {result.parquet_dir}",
    ]
    if result.dax_path is not None:
        lines.append(f"  Power BI      {result.dax_path}")
    lines.extend(f"  note: {note}" for note in result.notes)
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------------


def publish(settings: Settings, *, storage_version: str | None = None) -> PublishResult:
    """Publish the last build into settings.serving_dir if it is whole, green and complete.

    Raises BankmartError (and changes nothing readers see) otherwise.
    """
    started = time.perf_counter()
    if storage_version is None:
        storage_version = settings.storage_version
    else:
        try:
            storage_version = check_storage_version(storage_version)
        except ValueError as exc:
            raise BankmartError(f"--storage-version {storage_version!r}: {exc}.") from None
    build_path = settings.duckdb_path
    serving_dir = settings.serving_dir
    if build_path.resolve() == settings.serving_path.resolve():
        raise BankmartError(
            f"BANKMART_DUCKDB_PATH and the serving file are the same file ({build_path}): "
            "point BANKMART_SERVING_DIR at another folder."
        )
    if not build_path.is_file():
        raise BankmartError(
            f"warehouse file {build_path} does not exist: nothing to publish. Build it first with "
            "`make run` (or `bankmart build`), or point BANKMART_DUCKDB_PATH at it."
        )
    if settings.serving_path.is_dir():
        raise BankmartError(
            f"the serving file {settings.serving_path} is a folder; move it away so that "
            "`bankmart publish` can write the serving file there."
        )
    serving_dir.mkdir(parents=True, exist_ok=True)

    with _publish_lock(serving_dir) as exclusive:
        _remove_leftovers(serving_dir, all_of_them=exclusive)
        previous = _read_previous_version(settings.serving_path)
        token = f"{os.getpid()}-{time.time_ns()}"
        tmp_db = serving_dir / f"{_TEMP_PREFIX}{token}-{settings.serving_path.name}"
        tmp_parquet = serving_dir / f"{_TEMP_PREFIX}{token}-{settings.parquet_dir.name}"
        published_at = datetime.now(UTC).replace(tzinfo=None)
        try:
            tables, dax_text, notes = _write_serving_copy(
                build_path=build_path,
                tmp_db=tmp_db,
                tmp_parquet=tmp_parquet,
                previous=previous,
                storage_version=storage_version,
                published_at=published_at,
                project_dir=settings.project_dir,
            )
            notes = previous.notes + notes
            dax_path = None
            if dax_text is not None:
                dax_path = serving_dir / DAX_FILE
                tmp_dax = serving_dir / f"{_TEMP_PREFIX}{token}-{DAX_FILE.name}"
                tmp_dax.write_text(dax_text, encoding="utf-8")
            notes += _swap_into_place(
                tmp_db=tmp_db,
                serving_path=settings.serving_path,
                tmp_parquet=tmp_parquet,
                parquet_dir=settings.parquet_dir,
                token=token,
                stale_wal=previous.stale_wal,
            )
            if dax_path is not None:
                dax_path.parent.mkdir(exist_ok=True)
                os.replace(tmp_dax, dax_path)
        finally:
            for leftover in serving_dir.glob(f"{_TEMP_PREFIX}{token}-*"):
                _remove(leftover)

    return PublishResult(
        serving_path=settings.serving_path,
        parquet_dir=settings.parquet_dir,
        tables=tables,
        published_at=published_at,
        storage_version=storage_version,
        dax_path=dax_path,
        notes=notes,
        elapsed_seconds=time.perf_counter() - started,
    )


def _read_previous_version(serving_path: Path) -> PreviousVersion:
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
            con.execute(f"attach {_literal(str(serving_path))} as previous_serving (read_only)")
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


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_serving_copy(
    *,
    build_path: Path,
    tmp_db: Path,
    tmp_parquet: Path,
    previous: PreviousVersion,
    storage_version: str,
    published_at: datetime,
    project_dir: Path,
) -> tuple[list[PublishedTable], str | None, list[str]]:
    """Check the build, then write the new serving file and Parquet folder under temporary
    names; swap nothing.

    The checks and the copy read the build file through one read-only attachment: while it is
    held, no dbt run can open the file for writing, so what is copied is what was checked.
    """
    notes: list[str] = []
    con = duckdb.connect()
    try:
        # The build file is attached under its own stem, the catalog name dbt used, so that a
        # view in marts that names its inputs by catalog still resolves.
        src = build_path.stem
        dst = "bankmart_serving_next" if src != "bankmart_serving_next" else "bankmart_serving_2"
        try:
            con.execute(f"attach {_literal(str(build_path))} as {_quote(src)} (read_only)")
        except duckdb.Error as exc:
            holder = lock_holder(exc)
            if holder is not None:
                raise BankmartError(
                    f"the warehouse file {build_path} is open for writing in {holder}: a dbt "
                    "build is running (wait for it to finish, then publish) or another program "
                    "opened it for writing (close it). Nothing was published."
                ) from None
            raise BankmartError(
                f"cannot open the warehouse file {build_path} read-only: {first_line(exc)}. "
                "Run `bankmart build` again (move a damaged file away first), then publish."
            ) from None
        build = publishable_build(read_invocations(con, src, build_path), build_path)
        check_relations_unchanged(con, src, build, build_path)
        check_mart_counts(con, src, project_dir, build_path)
        con.execute(
            f"attach {_literal(str(tmp_db))} as {_quote(dst)} "
            f"(storage_version {_literal(storage_version)})"
        )
        sources = _served_relations(con, src)
        if not any(schema == "marts" for schema, _ in sources):
            raise BankmartError(
                f"{build_path} has no tables in schema marts: the build did not get that far. "
                "Run `bankmart build` and check its output."
            )
        _refuse_sensitive_columns(con, src, sources)

        tables: list[PublishedTable] = []
        # One transaction for the whole copy: DuckDB commits catalogue changes (every table and
        # comment) once instead of per statement.
        con.execute("begin transaction")
        for schema in sorted({s for s, _ in sources}):
            con.execute(f"create schema {_quote(dst)}.{_quote(schema)}")
        for schema, name in sources:
            target = f"{_quote(dst)}.{_quote(schema)}.{_quote(name)}"
            con.execute(
                f"create table {target} as select * from "
                f"{_quote(src)}.{_quote(schema)}.{_quote(name)}"
            )
            rows = con.execute(f"select count(*) from {target}").fetchone()[0]
            columns = con.execute(
                "select count(*) from duckdb_columns() "
                "where database_name = ? and schema_name = ? and table_name = ?",
                [dst, schema, name],
            ).fetchone()[0]
            tables.append(PublishedTable(schema, name, int(rows), int(columns)))

        tables += _write_meta(
            con,
            src=src,
            dst=dst,
            previous=previous,
            tables=tables,
            build=build,
            build_path=build_path,
            storage_version=storage_version,
            published_at=published_at,
            project_dir=project_dir,
        )

        _copy_comments(con, src, dst, sources)
        con.execute("commit")

        tmp_parquet.mkdir()
        for table in tables:
            con.execute(
                f"copy {_quote(dst)}.{_quote(table.schema)}.{_quote(table.name)} "
                f"to {_literal(str(tmp_parquet / table.parquet_name))} "
                "(format parquet, compression zstd)"
            )

        dax_text, dax_note = _spend_tier_dax(con, dst)
        if dax_note:
            notes.append(dax_note)
        con.execute(f"checkpoint {_quote(dst)}")
        con.execute(f"detach {_quote(dst)}")
        con.execute(f"detach {_quote(src)}")
    finally:
        con.close()
    wal = tmp_db.with_name(tmp_db.name + ".wal")
    if wal.exists():  # never expected after checkpoint + detach; a stray WAL would be lost
        raise BankmartError(f"DuckDB left {wal} behind after writing the serving copy; not publishing.")
    return tables, dax_text, notes


def _served_relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """Tables and views in the served schemas, without dbt's own temporary relations."""
    rows = con.execute(
        """
        select schema_name, table_name from duckdb_tables()
        where database_name = $catalog and schema_name in (select unnest($schemas))
        union
        select schema_name, view_name from duckdb_views()
        where database_name = $catalog and schema_name in (select unnest($schemas))
        order by 1, 2
        """,
        {"catalog": catalog, "schemas": list(SERVED_SCHEMAS)},
    ).fetchall()
    return [
        (schema, name)
        for schema, name in rows
        if not re.search(r"__dbt_(tmp|backup)$", name)
    ]


def _refuse_sensitive_columns(
    con: duckdb.DuckDBPyConnection, catalog: str, relations: list[tuple[str, str]]
) -> None:
    """The marts contract says no names and no birth dates; check it rather than trust it."""
    found = con.execute(
        """
        select schema_name || '.' || table_name || '.' || column_name
        from duckdb_columns()
        where database_name = $catalog
          and schema_name in (select unnest($schemas))
          and lower(column_name) in (select unnest($sensitive))
        order by 1
        """,
        {
            "catalog": catalog,
            "schemas": sorted({s for s, _ in relations}),
            "sensitive": sorted(SENSITIVE_COLUMNS),
        },
    ).fetchall()
    if found:
        raise BankmartError(
            "refusing to publish direct identifiers: "
            + ", ".join(r[0] for r in found)
            + ". Names and birth dates must stay in staging; remove the column from the model."
        )


def _copy_comments(
    con: duckdb.DuckDBPyConnection, src: str, dst: str, relations: list[tuple[str, str]]
) -> None:
    """Keep dbt's persisted descriptions, so BI tools and the dashboard can show them."""
    served = set(relations)
    table_comments = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() where database_name = $db "
        "and comment <> '' union all select schema_name, view_name, comment from duckdb_views() "
        "where database_name = $db and comment <> ''",
        {"db": src},
    ).fetchall()
    column_comments = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = $db and comment <> ''",
        {"db": src},
    ).fetchall()
    for schema, name, comment in table_comments:
        if (schema, name) in served:
            target = f"{_quote(dst)}.{_quote(schema)}.{_quote(name)}"
            con.execute(f"comment on table {target} is {_literal(comment)}")
    for schema, name, column, comment in column_comments:
        if (schema, name) in served:
            target = f"{_quote(dst)}.{_quote(schema)}.{_quote(name)}.{_quote(column)}"
            con.execute(f"comment on column {target} is {_literal(comment)}")


def _write_meta(
    con: duckdb.DuckDBPyConnection,
    *,
    src: str,
    dst: str,
    previous: PreviousVersion,
    tables: list[PublishedTable],
    build: Invocation,
    build_path: Path,
    storage_version: str,
    published_at: datetime,
    project_dir: Path,
) -> list[PublishedTable]:
    """meta.publish_log (history), meta.published_tables, meta.quarantine_summary."""
    meta = f"{_quote(dst)}.{_quote(META_SCHEMA)}"
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
            "source_file": str(build_path),
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
            from {_quote(src)}.quarantine.quarantined_rows
            group by all
            order by source_table, quarantined_rows desc
            """
        )
        meta_tables.append("quarantine_summary")
    result = []
    for name in meta_tables:
        rows = con.execute(f"select count(*) from {meta}.{_quote(name)}").fetchone()[0]
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
        f"insert into {log_table} ({', '.join(_quote(c) for c in columns)}) "
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


def _spend_tier_dax(con: duckdb.DuckDBPyConnection, catalog: str) -> tuple[str | None, str | None]:
    """Generate the spend-tier DAX measure from marts.spend_tier_thresholds, when both exist."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? "
        "and schema_name = 'marts' and table_name = 'spend_tier_thresholds'",
        [catalog],
    ).fetchone()[0]
    if not exists:
        return None, (
            "marts.spend_tier_thresholds is not in this build, so "
            f"{DAX_FILE.as_posix()} was not generated."
        )
    try:
        from bankmart.ml.tiers import thresholds_to_dax
    except ImportError:
        return None, (
            "bankmart.ml.tiers.thresholds_to_dax is not available in this installation, so "
            f"{DAX_FILE.as_posix()} was not generated."
        )
    thresholds = con.execute(
        f"select * from {_quote(catalog)}.marts.spend_tier_thresholds order by tier_rank"
    ).df()
    expression, basis = _tier_value_expression(con, catalog)
    measure = thresholds_to_dax(thresholds, measure_name="Spend Tier", value_expression=expression)
    body = "\n".join("        " + line for line in measure.splitlines()[1:])
    text = (
        "// Spend Tier: generated by `bankmart publish` from marts.spend_tier_thresholds.\n"
        "// Do not edit: publish again after a rebuild. Power BI Desktop: DAX query view ->\n"
        "// paste -> \"Update model: Add new measure\" (after bi/powerbi/measures.dax).\n"
        f"// {basis}\n"
        "DEFINE\n"
        "    MEASURE dim_customer[Spend Tier] =\n"
        f"{body}\n"
        "\n"
        "EVALUATE\n"
        "    TOPN (\n"
        "        20,\n"
        "        ADDCOLUMNS (\n"
        "            VALUES ( dim_customer[customer_id] ),\n"
        "            \"Spend Tier\", [Spend Tier]\n"
        "        ),\n"
        "        dim_customer[customer_id], ASC\n"
        "    )\n"
    )
    return text, None


def _tier_value_expression(con: duckdb.DuckDBPyConnection, catalog: str) -> tuple[str, str]:
    """What the tiers rank, as DAX: total spend when that is what the mart measured.

    The tier measure is configurable (``tier_measure`` in python_models/ml/_ml__models.yml).
    When the published measure_value is each customer's total spend over the whole history,
    the DAX ranks [Total Spend] without date filters (and so follows other slicers); otherwise
    it reads the mart's own per-customer value.
    """
    db = _quote(catalog)
    mismatches = None
    with contextlib.suppress(duckdb.Error):
        mismatches = con.execute(
            f"""
            select count(*)
            from {db}.marts.customer_spend_tiers as t
            left join (
                select customer_id, sum(amount)::double as spend
                from {db}.marts.fct_transactions group by customer_id
            ) as f using (customer_id)
            where t.measure_value is not null
              and abs(t.measure_value - coalesce(f.spend, 0)) > 0.005
            """
        ).fetchone()[0]
    if mismatches == 0:
        return (
            "CALCULATE ( [Total Spend], REMOVEFILTERS ( dim_date ) )",
            "Tiers rank each customer's total spend over the whole history, so date filters "
            "are ignored; evaluate per customer (dim_customer[customer_id] in context).",
        )
    return (
        "SUM ( customer_spend_tiers[measure_value] )",
        "The tier measure is not total spend here, so this reads customer_spend_tiers"
        "[measure_value]; evaluate per customer (dim_customer[customer_id] in context).",
    )


# --------------------------------------------------------------------------------------------
# Swapping into place
# --------------------------------------------------------------------------------------------


def _swap_into_place(
    *,
    tmp_db: Path,
    serving_path: Path,
    tmp_parquet: Path,
    parquet_dir: Path,
    token: str,
    stale_wal: Path | None = None,
) -> list[str]:
    """Rename the new file and folder into place, keeping the previous version on any failure.

    A single file can be replaced atomically; a folder cannot, so the old Parquet folder is moved
    aside first (which fails on Windows while a reader holds a file in it, before anything has
    changed), then a write-ahead log left beside the old serving file by a dead writer (DuckDB
    would replay it onto the new file), then the serving file is replaced (the step readers care
    about most), then the new folder takes the freed name. If the serving file cannot be
    replaced, what was moved aside is moved back.
    """
    notes: list[str] = []
    aside = parquet_dir.with_name(f"{_OLD_PREFIX}{token}-{parquet_dir.name}")
    moved: list[tuple[Path, Path]] = []  # (original, aside), to undo in reverse
    if parquet_dir.exists():
        try:
            os.replace(parquet_dir, aside)
            moved.append((parquet_dir, aside))
        except OSError as exc:
            raise BankmartError(
                f"cannot replace the Parquet folder {parquet_dir}: {exc}. A program (Power BI, "
                "Excel, a DuckDB shell) probably has a file in it open; close it and run "
                "`bankmart publish` again. Nothing was published: the previous version is intact."
            ) from exc
    try:
        if stale_wal is not None and stale_wal.exists():
            wal_aside = stale_wal.with_name(f"{_OLD_PREFIX}{token}-{stale_wal.name}")
            os.replace(stale_wal, wal_aside)
            moved.append((stale_wal, wal_aside))
        os.replace(tmp_db, serving_path)
    except OSError as exc:
        for original, moved_to in reversed(moved):
            os.replace(moved_to, original)
        raise BankmartError(
            f"cannot replace the serving file {serving_path}: {exc}. A program (Power BI, the "
            "dashboard, a DuckDB shell) probably has it open; close it and run `bankmart "
            "publish` again. Nothing was published: the previous version is intact."
        ) from exc
    os.replace(tmp_parquet, parquet_dir)
    for original, moved_to in moved:
        if original == stale_wal:
            notes.append(
                f"removed {stale_wal.name}, a write-ahead log left by a program that wrote to "
                "the previous serving file and did not close it; its changes were not published."
            )
        try:
            _remove_strict(moved_to)
        except OSError as exc:
            notes.append(f"could not remove {moved_to} ({exc}); the next publish removes it.")
    return notes


@contextlib.contextmanager
def _publish_lock(serving_dir: Path) -> Iterator[bool]:
    """One publish at a time per serving folder. Yields True when that is guaranteed (an
    advisory lock where the OS has flock), so every temporary file there is a dead one's."""
    try:
        import fcntl
    except ImportError:  # Windows: unique temporary names still keep two publishes apart
        yield False
        return
    with open(serving_dir / ".publish.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BankmartError(
                f"another `bankmart publish` is writing to {serving_dir}; wait for it to finish."
            ) from None
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(serving_dir: Path, *, all_of_them: bool) -> None:
    """Delete temporary files of publishes that died (killed half-way, power cut).

    Under the publish lock every one is a dead publish's, even when its PID has been reused by
    another process since; without the lock, only those whose process no longer exists.
    """
    for path in serving_dir.iterdir():
        match = re.match(rf"(?:{re.escape(_TEMP_PREFIX)}|{re.escape(_OLD_PREFIX)})(\d+)-", path.name)
        if match and (all_of_them or not psutil.pid_exists(int(match.group(1)))):
            _remove(path)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        _remove_strict(path)


def _remove_strict(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
