"""`bankmart build`: run `dbt build` against the configured raw folder and summarise the result."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bankmart.duckdb_files import first_line, lock_holder
from bankmart.errors import BankmartError
from bankmart.settings import Settings

DESCRIPTION = """\
Run `dbt build` (every model, seed and data test) on the raw folder into the warehouse file,
then print a summary. dbt's selection flags are passed through; anything after `--` goes to dbt
unchanged.

The dbt unit tests (model logic on fixed rows, no bank data) are left out, as dbt advises for
production runs; `make test` runs them, and `--unit-tests` runs them here too.

`bankmart publish` serves only a complete build: one run with no --select, --exclude or
--selector that finished with every node green. A partial build is fine for development,
but run a complete one before publishing."""

EPILOG = """\
examples:
  bankmart build                               everything (what `make build` runs)
  bankmart build --select staging              the staging models and their tests
  bankmart build -s +customer_features --exclude tag:ml
  bankmart build --full-refresh                rebuild the incremental models from the raw files
  bankmart build --unit-tests                  the dbt unit tests too
  bankmart build --vars 'absurd_amount_threshold: 5000000'
  bankmart build --target spark                the same project on a local Spark
  bankmart build -- --fail-fast --threads 1     any other dbt build flag, after --"""


#: What a production build leaves out: the dbt unit tests (see DESCRIPTION). The benchmark
#: measures the same build.
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("-s", "--select", nargs="+", action="extend", metavar="SELECTOR",
                        help="only these nodes (dbt selection syntax; repeatable)")
    parser.add_argument("--exclude", nargs="+", action="extend", metavar="SELECTOR",
                        help="leave these nodes out (repeatable)")
    parser.add_argument("--selector", metavar="NAME", help="a selector from selectors.yml")
    parser.add_argument("--full-refresh", action="store_true",
                        help="rebuild incremental models from scratch")
    parser.add_argument("--unit-tests", action="store_true",
                        help="run the dbt unit tests too (left out by default; `make test` runs them)")
    parser.add_argument("--vars", metavar="YAML",
                        help="dbt vars as a YAML dict, e.g. 'raw_format: csv'")
    parser.add_argument("-t", "--target", metavar="NAME",
                        help="profile target: dev (DuckDB, the default) or spark (a local Spark "
                        "in this process; `make spark-deps` installs it)")
    parser.add_argument("dbt_args", nargs="*", metavar="-- DBT_ARGS",
                        help="anything after -- is passed to `dbt build` unchanged")


def spark_vars(raw_dir: Path, given: str | None) -> str | None:
    """--vars for a Spark build: the user's, plus as_of_timestamp from the raw folder's
    _manifest.json when they set none. DuckDB's build reads the manifest itself
    (raw_manifest_as_of_date()); Spark's file listing hides files whose name starts with '_'."""
    import json

    import yaml

    try:
        values = yaml.safe_load(given) if given else {}
    except yaml.YAMLError as exc:
        raise BankmartError(f"--vars is not YAML: {first_line(exc)}") from None
    if not isinstance(values, dict):
        raise BankmartError("--vars must be a YAML mapping, e.g. 'raw_format: csv'")
    manifest = raw_dir / "_manifest.json"
    if values.get("as_of_timestamp") in (None, "", "None", "null") and manifest.is_file():
        try:
            as_of_date = str(json.loads(manifest.read_text(encoding="utf-8")).get("as_of_date") or "")
        except (OSError, ValueError, AttributeError):
            as_of_date = ""
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of_date):
            values["as_of_timestamp"] = f"{as_of_date} 23:59:59.999999"
    return json.dumps(values, default=str) if values else None


def dbt_build_args(args: argparse.Namespace) -> list[str]:
    """The arguments after `dbt build`, in dbt's own spelling."""
    out: list[str] = []
    if args.select:
        out += ["--select", *args.select]
    if args.exclude:
        out += ["--exclude", *args.exclude]
    if args.selector:
        out += ["--selector", args.selector]
    if args.full_refresh:
        out.append("--full-refresh")
    if not args.unit_tests:
        out += WITHOUT_UNIT_TESTS
    if args.vars is not None:
        out += ["--vars", args.vars]
    if args.target:
        out += ["--target", args.target]
    extra = list(args.dbt_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return out + extra


def is_partial(args: argparse.Namespace) -> bool:
    return bool(args.select or args.exclude or args.selector)


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so a bare `bankmart` works without activating."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


#: Failures whose dbt message cannot say what to do in bankmart's terms: a text dbt prints ->
#: the advice `bankmart build` adds when the build fails.
DBT_OUTPUT_HINTS = (
    (
        "is not utf-8 encoded",
        "a CSV raw file is not UTF-8 (the message above names it). If the bank's files are "
        "Latin-1 or a Windows (cp1252) export, set BANKMART_CSV_ENCODING=latin-1; otherwise "
        "re-export them as UTF-8.",
    ),
)


def run_dbt(settings: Settings, *args: str, spark: bool = False) -> tuple[int, list[str]]:
    """Run one dbt command in the project with absolute paths; its output streams to the
    terminal as it comes. Returns dbt's exit code and the DBT_OUTPUT_HINTS its output called for.

    The project is the working folder and DBT_PROFILES_DIR points at it, so the command line
    dbt records (meta.dbt_invocations, which publish quotes) is just what the user asked for.
    On Spark, dbt runs through bankmart.spark.dbt, which runs Python models in the session.
    """
    runner = [sys.executable, "-m", "bankmart.spark.dbt"] if spark else [dbt_executable()]
    hints: list[str] = []
    with subprocess.Popen(
        [*runner, *args], env=settings.dbt_env(), cwd=settings.project_dir,
        stdout=subprocess.PIPE, text=True, errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            hints += [hint for text, hint in DBT_OUTPUT_HINTS if text in line and hint not in hints]
    return proc.returncode, hints


#: The profile target that builds on the local Spark (profiles.yml).
SPARK_TARGET = "spark"


def check_spark_installed() -> None:
    """The Spark target needs pyspark and dbt-spark (the [spark] extra) and a Java runtime."""
    import importlib.util

    from bankmart.settings import spark_java_home

    missing = [name for name in ("pyspark", "dbt.adapters.spark") if importlib.util.find_spec(name) is None]
    if missing:
        raise BankmartError(
            f"the spark target needs {' and '.join(missing)}, which are not installed: run "
            "`make spark-deps` (it installs the pinned dbt-spark and pyspark, and a JDK 17)."
        )
    if spark_java_home() is None and shutil.which("java") is None:
        raise BankmartError(
            "the spark target needs a Java 17 runtime and none was found (JAVA_HOME, "
            "/usr/lib/jvm or java on the PATH): run `make spark-deps`, or set JAVA_HOME."
        )


def check_warehouse_free(settings: Settings) -> None:
    """Before dbt starts: the build file must be free to write, or dbt fails deep inside with
    tracebacks. A file that does not exist yet is left uncreated (dbt creates it)."""
    path = settings.duckdb_path
    if not path.exists():
        return
    try:
        # Opening for writing replays a write-ahead log left by a killed run, which dbt would
        # do next anyway; the record of that run (meta.dbt_invocations) stays as it was.
        duckdb.connect(str(path)).close()
    except duckdb.Error as exc:
        holder = lock_holder(exc)
        if holder is not None:
            raise BankmartError(
                f"the warehouse file {path} is open in another program: {holder}. dbt needs "
                "the file to itself while it builds. Close that program or its connection "
                "and run `bankmart build` again. To read the warehouse while building, open "
                f"the published copy instead ({settings.serving_path}, written by `bankmart "
                "publish`): BI tools and the dashboard read that one."
            ) from None
        raise BankmartError(
            f"cannot open the warehouse file {path}: {first_line(exc)}. If it is damaged or "
            "not a DuckDB file, move it away or delete it: `bankmart build` then builds a new "
            "one from the raw files (BANKMART_DUCKDB_PATH chooses where)."
        ) from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.raw_dir.is_dir():
        raise BankmartError(
            f"raw folder {settings.raw_dir} does not exist. Generate the demo bank with "
            "`make generate` (or `bankmart generate --out DIR`), or point BANKMART_RAW_DIR "
            "at your own raw files."
        )
    spark = args.target == SPARK_TARGET
    if spark:
        check_spark_installed()
    else:
        check_warehouse_free(settings)
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"bankmart build: raw files from {settings.raw_dir}", flush=True)
    if spark:
        print(f"bankmart build: Spark warehouse and metastore in {settings.spark_dir}", flush=True)
    else:
        print(f"bankmart build: warehouse {settings.duckdb_path}", flush=True)
    started = time.perf_counter()
    if spark:
        args.vars = spark_vars(settings.raw_dir, args.vars)
    returncode, hints = run_dbt(settings, "build", *dbt_build_args(args), spark=spark)
    if returncode != 0:
        raise BankmartError(
            "dbt build failed: the messages above name the model, test or raw file. "
            "Nothing was published; the last good serving copy is unchanged."
            + "".join(f"\nHint: {hint}" for hint in hints)
        )
    elapsed = time.perf_counter() - started
    if spark:
        print(f"\nBuilt on Spark in {elapsed:,.1f} s: tables under {settings.spark_dir / 'warehouse'}.")
        return 0
    print(summarise(settings.duckdb_path, elapsed))
    if is_partial(args):
        print(
            "Partial build (--select/--exclude/--selector): `bankmart publish` serves only "
            "complete builds, so run `bankmart build` without them before publishing."
        )
    return 0


def summarise(duckdb_path: Path, elapsed_seconds: float | None = None) -> str:
    """A short report: tables per schema with row counts, what the bank's data lacks
    (marts.data_availability), quarantine counts by reason and flagged values by column."""
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
        lines += _what_the_data_lacks(con)
        lines += _mostly_quarantined(con)
        reasons = _quarantine_reasons(con)
        if reasons:
            lines.append("")
            lines.append("Quarantined raw rows by table and reason")
            for table, reason, count in reasons:
                lines.append(f"  {table:<20} {reason:<32} {count:>10,}")
        flags = _flagged_values(con)
        if flags:
            lines.append("")
            lines.append("Values flagged on kept rows (NULL or adjusted), by table, column and flag")
            for table, column, flag, count in flags:
                lines.append(f"  {table:<20} {column + ' ' + flag:<45} {count:>10,}")
        lines.append("")
        if elapsed_seconds is not None:
            lines.append(f"Built in {elapsed_seconds:,.1f} s.")
        lines.append(f"DuckDB file: {duckdb_path}")
        return "\n".join(lines)
    finally:
        con.close()


#: A raw table losing at least this share of its rows to quarantine is called out: the build
#: is green, but its marts describe only what is left (often a whole column in another format).
QUARANTINE_WARNING_SHARE = 0.5


def _mostly_quarantined(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A warning per raw table that lost most of its rows to quarantine, with its main reason."""
    if not (_has_table(con, "marts", "data_availability") and _has_table(con, "quarantine", "quarantined_rows")):
        return []
    rows = con.execute(
        """
        with tables as (
            select table_name, rows, rows - values_present as quarantined
            from marts.data_availability
            where object_type = 'raw_table' and rows > 0 and rows - values_present >= ? * rows
        ),
        reasons as (
            select source_table, reason_code, count(*) as n
            from quarantine.quarantined_rows
            group by source_table, reason_code
            qualify row_number() over (partition by source_table order by count(*) desc, reason_code) = 1
        )
        select tables.table_name, tables.quarantined, tables.rows, reasons.reason_code, reasons.n
        from tables
        left join reasons on reasons.source_table = tables.table_name
        order by tables.table_name
        """,
        [QUARANTINE_WARNING_SHARE],
    ).fetchall()
    lines = []
    for table, quarantined, total, reason, count in rows:
        lines.append(
            f"WARNING: {table}: {quarantined:,} of {total:,} raw rows ({quarantined / total:.0%}) are "
            f"quarantined, {count or 0:,} as {reason}; the marts describe only the rest. "
            "quarantine.quarantined_rows.reason_detail shows each value"
            + (
                " (numbers written with a decimal comma? build with --full-refresh --vars "
                "\"{csv_decimal_separator: ','}\")"
                if reason == "unparseable_number" else ""
            )
            + "."
        )
    return [""] + lines if lines else []


def _quarantine_reasons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    if not _has_table(con, "quarantine", "quarantined_rows"):
        return []
    return con.execute(
        """
        select source_table, reason_code, count(*)
        from quarantine.quarantined_rows
        group by all
        order by 1, 3 desc
        """
    ).fetchall()


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0])


def _what_the_data_lacks(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Raw tables the bank did not deliver, and customer features that carry no information."""
    if not _has_table(con, "marts", "data_availability"):
        return []
    absent = [row[0] for row in con.execute(
        "select table_name from marts.data_availability "
        "where object_type = 'raw_table' and not is_present order by table_name"
    ).fetchall()]
    silent = [row[0] for row in con.execute(
        "select column_name from marts.data_availability "
        "where object_type = 'feature' and not carries_information order by column_name"
    ).fetchall()]
    lines = [""]
    lines.append("Raw tables this bank does not have (read as empty): " + (", ".join(absent) or "none"))
    lines.append(
        "Customer features that carry no information here (left out of segments and rules): "
        + (", ".join(silent) or "none")
    )
    return lines


def _flagged_values(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    if not _has_table(con, "quarantine", "data_quality_flags"):
        return []
    return con.execute(
        """
        select source_table, column_name, flag_code, count(*)
        from quarantine.data_quality_flags
        group by all
        order by 1, 4 desc
        """
    ).fetchall()
