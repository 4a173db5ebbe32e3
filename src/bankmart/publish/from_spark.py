"""Publishing a Spark build (`bankmart publish --target spark`).

The Spark target keeps its tables in a warehouse folder with a Derby metastore
(BANKMART_SPARK_DIR). Publish reads them in a local SparkSession and stages them in a DuckDB
file shaped like a DuckDB build: the served schemas' tables and views as tables, each column in
its model's contract order (Spark stores partition columns last) and cast to its contract
type, dbt's descriptions as comments, the run record meta.dbt_invocations, and quarantine
reasons only (source_table, reason_code: never raw records). The staged file then goes through
the same publish as a DuckDB build (bankmart.publish.publisher): the same checks of the run
record and of the marts' counts, the same serving file, Parquet folder and DAX measure, so
Power BI and the dashboard cannot tell the engines apart.

What differs: Spark's tables cannot be fingerprinted as cheaply as DuckDB's, so the build
records no meta.dbt_invocation_relations there and publish cannot check that nothing wrote to
the tables after the build; a killed, failed, partial or later build is still refused from
the run record. Each relation travels from Spark to DuckDB as Parquet files (written by Spark,
read by DuckDB), so neither side holds a whole table in memory.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from bankmart.duckdb_files import quote_identifier, sql_literal
from bankmart.errors import BankmartError
from bankmart.invocations import Invocation, publishable_build, served_schemas
from bankmart.settings import Settings

#: The run record's columns, in the order of macros/dbt_invocations.sql.
INVOCATION_COLUMNS = tuple(Invocation.__dataclass_fields__)


def spark_warehouse(settings: Settings) -> Path:
    if settings.spark_dir is None:
        raise BankmartError("BANKMART_SPARK_DIR is not set: nothing to publish from Spark.")
    return settings.spark_dir / "warehouse"


def export_spark_build(settings: Settings, export_path: Path) -> Invocation:
    """Stage the Spark build in a new DuckDB file at export_path; returns the build.

    Raises BankmartError, before anything is written, when there is no Spark build or its last
    run cannot be published.
    """
    from bankmart.build import check_spark_installed

    warehouse = spark_warehouse(settings)
    if not (settings.spark_dir / "metastore_db").is_dir():
        raise BankmartError(
            f"no Spark build in {settings.spark_dir} (no metastore_db there): run "
            "`bankmart build --target spark` first, or point BANKMART_SPARK_DIR at its folder."
        )
    check_spark_installed()
    manifest = load_manifest(settings)
    env = settings.dbt_env()
    for name in ("SPARK_LOCAL_IP", "JAVA_HOME", "BANKMART_SPARK_LOG4J"):
        value = env.get(name)
        if value:
            os.environ.setdefault(name, value)

    from bankmart.spark.tables import local_session, relation_names

    session = local_session(settings.spark_dir)
    files = export_path.with_name(export_path.name + ".parquet")
    try:
        try:
            invocations = read_spark_invocations(session)
        except BankmartError:
            raise
        except Exception as exc:  # the metastore cannot be opened (Py4J, Spark analysis errors)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BankmartError(
                f"cannot read the Spark metastore in {settings.spark_dir} ({first}): a Spark "
                "build or another Spark session may be using it (its Derby metastore admits one "
                "process at a time). Wait for it to finish, then publish."
            ) from None
        build = publishable_build(invocations, warehouse)
        shutil.rmtree(files, ignore_errors=True)
        con = duckdb.connect(str(export_path))
        try:
            con.execute("set TimeZone = 'UTC'")
            write_invocations(con, invocations)
            for schema in served_schemas(settings.project_dir):
                if not session.catalog.databaseExists(schema):
                    continue
                for name in relation_names(session, schema):
                    frame = session.table(f"{schema}.{name}")
                    node = manifest.get((schema, name))
                    copy_relation(con, frame, schema, name, node, files)
            if session.catalog.databaseExists("quarantine") and "quarantined_rows" in relation_names(session, "quarantine"):
                frame = session.table("quarantine.quarantined_rows").select("source_table", "reason_code")
                copy_relation(con, frame, "quarantine", "quarantined_rows", None, files)
            con.execute("checkpoint")
        finally:
            con.close()
    finally:
        session.stop()
        shutil.rmtree(files, ignore_errors=True)
    return build


def load_manifest(settings: Settings) -> dict[tuple[str, str], dict[str, Any]]:
    """(schema, relation) -> manifest node of the project's models and seeds, from the dbt
    artifacts of the last build (DBT_TARGET_PATH, else target/)."""
    target = Path(os.environ.get("DBT_TARGET_PATH") or settings.project_dir / "target")
    if not target.is_absolute():
        target = settings.project_dir / target
    path = target / "manifest.json"
    try:
        nodes = json.loads(path.read_text(encoding="utf-8"))["nodes"]
    except (OSError, ValueError, KeyError) as exc:
        raise BankmartError(
            f"cannot read dbt's manifest {path} ({exc}): run `bankmart build --target spark` "
            "first (it writes the manifest publish takes column order, types and descriptions "
            "from)."
        ) from None
    return {
        (node["schema"], node.get("alias") or node["name"]): node
        for node in nodes.values()
        if node.get("resource_type") in ("model", "seed")
    }


def read_spark_invocations(session: Any) -> list[Invocation]:
    """The run record as a DuckDB build keeps it: Spark cannot update a row, so each run has a
    start row and an outcome row (macros/dbt_invocations.sql); a run is its start's position
    with its latest row's state."""
    if not session.catalog.tableExists("meta.dbt_invocations"):
        raise BankmartError(
            "the Spark warehouse holds no record of the dbt runs that wrote it "
            "(meta.dbt_invocations is missing): run `bankmart build --target spark`."
        )
    rows = [row.asDict() for row in session.table("meta.dbt_invocations").collect()]
    runs: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["invocation_seq"]):
        first = runs.get(row["invocation_id"])
        runs[row["invocation_id"]] = {**row, "invocation_seq": first["invocation_seq"]} if first else row
    try:
        return [
            Invocation(**{name: row[name] for name in INVOCATION_COLUMNS})
            for row in sorted(runs.values(), key=lambda r: r["invocation_seq"])
        ]
    except KeyError as exc:
        raise BankmartError(
            f"meta.dbt_invocations in the Spark warehouse lacks {exc}: it was written by another "
            "version of bankmart. Run `bankmart build --target spark` again."
        ) from None


def write_invocations(con: duckdb.DuckDBPyConnection, invocations: list[Invocation]) -> None:
    con.execute("create schema meta")
    con.execute(
        """
        create table meta.dbt_invocations (
            invocation_seq integer, invocation_id varchar, command varchar,
            invocation_command varchar, selected varchar, excluded varchar, selector varchar,
            resource_types varchar, is_full_refresh boolean, is_empty boolean, is_sample boolean,
            vars varchar, selected_nodes integer, project_nodes integer, dbt_version varchar,
            started_at timestamp, finished_at timestamp, status varchar, result_counts varchar,
            failed_nodes varchar, message varchar
        )
        """
    )
    placeholders = ", ".join("?" for _ in INVOCATION_COLUMNS)
    con.executemany(
        f"insert into meta.dbt_invocations values ({placeholders})",
        [[getattr(run, name) for name in INVOCATION_COLUMNS] for run in invocations],
    )


def copy_relation(
    con: duckdb.DuckDBPyConnection,
    frame: Any,
    schema: str,
    name: str,
    node: dict[str, Any] | None,
    files: Path,
) -> None:
    """One Spark relation as a DuckDB table: the contract's column order and types where the
    model declares every column, dbt's descriptions as comments."""
    declared = (node or {}).get("columns") or {}
    columns = list(frame.columns)
    present = {c.lower() for c in columns}
    if declared and {c.lower() for c in declared} == present:
        by_lower = {c.lower(): c for c in columns}
        columns = [by_lower[c.lower()] for c in declared]
    folder = files / f"{schema}__{name}"
    frame.select(*[f"`{c}`" for c in columns]).write.mode("overwrite").parquet(str(folder))
    types = {c.lower(): (spec.get("data_type") or "") for c, spec in declared.items()}
    described = con.execute(
        f"describe select * from read_parquet({sql_literal(str(folder / '*.parquet'))})"
    ).fetchall()
    actual = {row[0].lower(): row[1] for row in described}
    selected = []
    for column in columns:
        wanted = types.get(column.lower()) or ("timestamp" if actual.get(column.lower(), "").startswith("TIMESTAMP WITH") else "")
        ident = quote_identifier(column)
        selected.append(f"cast({ident} as {wanted}) as {ident}" if wanted else ident)
    con.execute(f"create schema if not exists {quote_identifier(schema)}")
    target = f"{quote_identifier(schema)}.{quote_identifier(name)}"
    con.execute(
        f"create table {target} as select {', '.join(selected)} "
        f"from read_parquet({sql_literal(str(folder / '*.parquet'))})"
    )
    if node and node.get("description"):
        con.execute(f"comment on table {target} is {sql_literal(node['description'])}")
    for column, spec in declared.items():
        if spec.get("description") and column.lower() in present:
            con.execute(
                f"comment on column {target}.{quote_identifier(column)} is {sql_literal(spec['description'])}"
            )
    shutil.rmtree(folder, ignore_errors=True)
