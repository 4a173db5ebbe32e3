"""`bankmart publish`: copy a green build into the serving file that BI tools and the dashboard read.

Why a separate file: dbt holds an exclusive lock on the warehouse it builds, so nothing may read
that file while a build runs, and a reader holding it would block the next build. Readers get
their own copy instead:

- every table of the ``marts`` and ``reference`` schemas (never ``staging``, which holds names
  and birth dates, and never raw quarantined records: only a count by table and reason);
- a ``meta`` schema saying what was published, from which build, with row counts;
- the same tables as Parquet files (``<schema>__<table>.parquet``) for tools that read Parquet;
- ``powerbi/spend_tier_measure.dax``, the spend-tier DAX measure generated from the thresholds.

Everything is written under temporary names in the serving folder and then renamed into place,
so a reader sees the previous version or the new one, never half of one. On Linux and macOS a
reader that still has the old file open keeps reading the old version (the rename swaps the
directory entry, not the open inode) until it reconnects. On Windows a file that is open cannot
be replaced: publish then says so and leaves the previous version untouched.

The serving file is written in an explicit DuckDB storage format (``--storage-version``) so that
the DuckDB ODBC driver Power BI users install can open it; see bi/powerbi/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil

from bankmart import __version__
from bankmart.errors import BankmartError
from bankmart.settings import Settings

#: Schemas copied into the serving file. staging (direct identifiers) and intermediate
#: (not for BI) stay in the build file.
SERVED_SCHEMAS: tuple[str, ...] = ("marts", "reference")
META_SCHEMA = "meta"

#: Storage format of the serving file. v1.4.0 is readable by DuckDB 1.4.0 and later, which
#: includes the DuckDB ODBC driver 1.4.x (LTS) we target for Power BI. Lower it (e.g. v1.1.0)
#: for users stuck on an older driver; the file then loses the newer compression methods.
DEFAULT_STORAGE_VERSION = "v1.4.0"
STORAGE_VERSION_ENV = "BANKMART_STORAGE_VERSION"

#: Direct identifiers that must never reach a served table, whatever a model does.
SENSITIVE_COLUMNS = frozenset({"full_name", "birth_date"})

#: dbt result statuses that make a build unfit to publish. "skipped" appears when an upstream
#: node failed, so it is as bad as the failure itself.
FAILED_STATUSES = frozenset({"error", "fail", "runtime error", "skipped"})

#: How much later than dbt's run_results.json the warehouse file may have been written. dbt
#: writes run_results.json first and closes (checkpoints) the DuckDB file afterwards, which takes
#: seconds on a big warehouse; a build that was killed later leaves a much newer file.
MTIME_SLACK_SECONDS = 300.0

DAX_FILE = Path("powerbi") / "spend_tier_measure.dax"
_TEMP_PREFIX = ".publishing-"
_OLD_PREFIX = ".previous-"


@dataclass(frozen=True)
class BuildInfo:
    """What dbt's run_results.json says about the last build."""

    finished_at: datetime | None
    invocation_id: str | None
    dbt_version: str | None
    command: str | None
    nodes: int


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
    parser.add_argument(
        "--storage-version",
        default=os.environ.get(STORAGE_VERSION_ENV, DEFAULT_STORAGE_VERSION),
        help=(
            "DuckDB storage format of the serving file, e.g. v1.4.0 (default; DuckDB/ODBC 1.4+) "
            f"or v1.1.0 for older ODBC drivers. Also ${STORAGE_VERSION_ENV}."
        ),
    )
    parser.add_argument(
        "--run-results",
        type=Path,
        default=None,
        help="dbt's run_results.json of the last build (default: $DBT_TARGET_PATH or target/)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    result = publish(
        settings, run_results_path=args.run_results, storage_version=args.storage_version
    )
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
# Checks before publishing
# --------------------------------------------------------------------------------------------


def default_run_results_path(settings: Settings) -> Path:
    """Where dbt wrote run_results.json: $DBT_TARGET_PATH (relative to the project) or target/."""
    target = Path(os.environ.get("DBT_TARGET_PATH") or "target").expanduser()
    if not target.is_absolute():
        target = settings.project_dir / target
    return target / "run_results.json"


def check_build(build_path: Path, run_results_path: Path) -> BuildInfo:
    """Refuse anything but a complete, green build: a failed build must never reach readers."""
    if not build_path.is_file():
        raise BankmartError(
            f"warehouse file {build_path} does not exist: nothing to publish. Build it first with "
            "`make run` (or `bankmart build`), or point BANKMART_DUCKDB_PATH at it."
        )
    if not run_results_path.is_file():
        raise BankmartError(
            f"{run_results_path} does not exist, so bankmart cannot tell whether the last dbt "
            "build was green. Run `bankmart build` (it writes it), or pass --run-results with "
            "the run_results.json of the build that produced the warehouse."
        )
    try:
        results = json.loads(run_results_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BankmartError(
            f"cannot read dbt results {run_results_path}: {exc}. Re-run `bankmart build`."
        ) from exc
    failed = [
        f"{r.get('unique_id', '?')} ({r.get('status')})"
        for r in results.get("results", [])
        if str(r.get("status", "")).lower() in FAILED_STATUSES
    ]
    if failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        raise BankmartError(
            f"the last dbt build did not pass ({run_results_path}): {shown}. Nothing was "
            "published; the previous serving copy is unchanged. Fix the build and run "
            "`make run` again."
        )
    wal = build_path.with_name(build_path.name + ".wal")
    if wal.exists():
        raise BankmartError(
            f"{wal} exists: a dbt build is still running on {build_path.name}, or one was "
            "interrupted before it finished. Wait for it, or run `bankmart build` again, then "
            "publish."
        )
    if build_path.stat().st_mtime > run_results_path.stat().st_mtime + MTIME_SLACK_SECONDS:
        raise BankmartError(
            f"{build_path} changed after dbt last wrote {run_results_path}: a build was "
            "interrupted or something else wrote to the warehouse. Run `bankmart build` again, "
            "then publish."
        )
    metadata = results.get("metadata", {})
    args = results.get("args", {})
    return BuildInfo(
        finished_at=_parse_time(metadata.get("generated_at")),
        invocation_id=metadata.get("invocation_id"),
        dbt_version=metadata.get("dbt_version"),
        command=args.get("which"),
        nodes=len(results.get("results", [])),
    )


def _parse_time(value: str | None) -> datetime | None:
    """dbt writes ISO UTC timestamps with a trailing Z; return them as naive UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _check_storage_version(value: str) -> str:
    if not re.fullmatch(r"v\d+\.\d+\.\d+", value):
        raise BankmartError(
            f"--storage-version {value!r} is not a DuckDB version like v1.4.0 "
            f"(check ${STORAGE_VERSION_ENV})."
        )
    return value


# --------------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------------


def publish(
    settings: Settings,
    *,
    run_results_path: Path | None = None,
    storage_version: str = DEFAULT_STORAGE_VERSION,
) -> PublishResult:
    """Publish the last green build into settings.serving_dir. Raises BankmartError otherwise."""
    started = time.perf_counter()
    storage_version = _check_storage_version(storage_version)
    build_path = settings.duckdb_path
    serving_dir = settings.serving_dir
    if build_path.resolve() == settings.serving_path.resolve():
        raise BankmartError(
            f"BANKMART_DUCKDB_PATH and the serving file are the same file ({build_path}): "
            "point BANKMART_SERVING_DIR at another folder."
        )
    build = check_build(build_path, run_results_path or default_run_results_path(settings))
    serving_dir.mkdir(parents=True, exist_ok=True)
    wal = settings.serving_path.with_name(settings.serving_path.name + ".wal")
    if wal.exists():
        raise BankmartError(
            f"{wal} exists: some program opened the serving file for writing. Close it (readers "
            "should open it read-only); if none is running, delete the .wal file and publish again."
        )

    with _publish_lock(serving_dir):
        _remove_leftovers(serving_dir)
        token = f"{os.getpid()}-{time.time_ns()}"
        tmp_db = serving_dir / f"{_TEMP_PREFIX}{token}-{settings.serving_path.name}"
        tmp_parquet = serving_dir / f"{_TEMP_PREFIX}{token}-{settings.parquet_dir.name}"
        published_at = datetime.now(UTC).replace(tzinfo=None)
        try:
            tables, dax_text, notes = _write_serving_copy(
                build_path=build_path,
                tmp_db=tmp_db,
                tmp_parquet=tmp_parquet,
                previous=settings.serving_path,
                storage_version=storage_version,
                build=build,
                published_at=published_at,
                project_dir=settings.project_dir,
            )
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


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_serving_copy(
    *,
    build_path: Path,
    tmp_db: Path,
    tmp_parquet: Path,
    previous: Path,
    storage_version: str,
    build: BuildInfo,
    published_at: datetime,
    project_dir: Path,
) -> tuple[list[PublishedTable], str | None, list[str]]:
    """Write the new serving file and Parquet folder under temporary names; swap nothing."""
    notes: list[str] = []
    con = duckdb.connect()
    try:
        # The build file is attached under its own stem, the catalog name dbt used, so that a
        # view in marts that names its inputs by catalog still resolves.
        src = build_path.stem
        dst = "bankmart_serving_next" if src != "bankmart_serving_next" else "bankmart_serving_2"
        try:
            con.execute(f"attach {_literal(str(build_path))} as {_quote(src)} (read_only)")
        except duckdb.IOException as exc:
            raise BankmartError(
                f"cannot open {build_path} read-only: {exc}. If a dbt build is running, wait "
                "for it to finish and publish afterwards."
            ) from exc
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
    previous: Path,
    tables: list[PublishedTable],
    build: BuildInfo,
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


def _carry_over_history(con: duckdb.DuckDBPyConnection, previous: Path, log_table: str) -> None:
    """Keep the publish history of the file being replaced (best effort: a damaged or foreign
    previous file only loses its history, it never blocks publishing)."""
    if not previous.is_file():
        return
    alias = "bankmart_serving_previous"
    try:
        con.execute(f"attach {_literal(str(previous))} as {alias} (read_only)")
    except duckdb.Error:
        return
    try:
        con.execute(
            f"insert into {log_table} by name "
            f"select * from {alias}.{META_SCHEMA}.publish_log order by publish_id"
        )
    except duckdb.Error:
        pass
    finally:
        con.execute(f"detach {alias}")


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
    *, tmp_db: Path, serving_path: Path, tmp_parquet: Path, parquet_dir: Path, token: str
) -> list[str]:
    """Rename the new file and folder into place, keeping the previous version on any failure.

    A single file can be replaced atomically; a folder cannot, so the old Parquet folder is moved
    aside first (which fails on Windows while a reader holds a file in it, before anything has
    changed), then the serving file is replaced (the step readers care about most), then the
    new folder takes the freed name. If the serving file cannot be replaced, the old folder is
    moved back.
    """
    notes: list[str] = []
    aside = parquet_dir.with_name(f"{_OLD_PREFIX}{token}-{parquet_dir.name}")
    moved_aside = False
    if parquet_dir.exists():
        try:
            os.replace(parquet_dir, aside)
            moved_aside = True
        except OSError as exc:
            raise BankmartError(
                f"cannot replace the Parquet folder {parquet_dir}: {exc}. A program (Power BI, "
                "Excel, a DuckDB shell) probably has a file in it open; close it and run "
                "`bankmart publish` again. Nothing was published: the previous version is intact."
            ) from exc
    try:
        os.replace(tmp_db, serving_path)
    except OSError as exc:
        if moved_aside:
            os.replace(aside, parquet_dir)
        raise BankmartError(
            f"cannot replace the serving file {serving_path}: {exc}. A program (Power BI, the "
            "dashboard, a DuckDB shell) probably has it open; close it and run `bankmart "
            "publish` again. Nothing was published: the previous version is intact."
        ) from exc
    os.replace(tmp_parquet, parquet_dir)
    if moved_aside:
        try:
            shutil.rmtree(aside)
        except OSError as exc:
            notes.append(f"could not remove the previous Parquet folder {aside} ({exc}); "
                         "the next publish removes it.")
    return notes


@contextlib.contextmanager
def _publish_lock(serving_dir: Path) -> Iterator[None]:
    """One publish at a time per serving folder (advisory lock where the OS has flock)."""
    try:
        import fcntl
    except ImportError:  # Windows: unique temporary names still keep two publishes apart
        yield
        return
    with open(serving_dir / ".publish.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BankmartError(
                f"another `bankmart publish` is writing to {serving_dir}; wait for it to finish."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(serving_dir: Path) -> None:
    """Delete temporary files of publishes that died (their process no longer exists)."""
    for path in serving_dir.iterdir():
        match = re.match(rf"(?:{re.escape(_TEMP_PREFIX)}|{re.escape(_OLD_PREFIX)})(\d+)-", path.name)
        if match and not psutil.pid_exists(int(match.group(1))):
            _remove(path)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
