"""The serving copy itself: check the build, copy its served tables into a new DuckDB file and
Parquet folder under temporary names, and write the DAX measure beside them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from bankmart.duckdb_files import first_line, lock_holder, quote_identifier, sql_literal
from bankmart.errors import BankmartError
from bankmart.invocations import (
    check_mart_counts,
    check_relations_unchanged,
    publishable_build,
    read_invocations,
    served_schemas,
)
from bankmart.publish.dax import spend_tier_dax
from bankmart.publish.history import PreviousVersion, write_meta
from bankmart.publish.personal_data import refuse_sensitive_columns
from bankmart.publish.tables import PublishedTable, copy_comments, served_relations


def write_serving_copy(
    *,
    build_path: Path,
    tmp_db: Path,
    tmp_parquet: Path,
    previous: PreviousVersion,
    storage_version: str,
    published_at: datetime,
    project_dir: Path,
    source_file: str | None = None,
    check_relations: bool = True,
) -> tuple[list[PublishedTable], str | None, list[str]]:
    """Check the build, then write the new serving file and Parquet folder under temporary
    names; swap nothing.

    The checks and the copy read the build file through one read-only attachment: while it is
    held, no dbt run can open the file for writing, so what is copied is what was checked.
    source_file names the build in the publish log (default: the build file);
    check_relations=False skips the check that the tables are what the build recorded (a
    Spark build, staged by bankmart.publish.from_spark, records none).
    """
    notes: list[str] = []
    con = duckdb.connect()
    try:
        # The build file is attached under its own stem, the catalog name dbt used, so that a
        # view in marts that names its inputs by catalog still resolves.
        src = build_path.stem
        dst = "bankmart_serving_next" if src != "bankmart_serving_next" else "bankmart_serving_2"
        try:
            con.execute(f"attach {sql_literal(str(build_path))} as {quote_identifier(src)} (read_only)")
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
        schemas = served_schemas(project_dir)
        if check_relations:
            check_relations_unchanged(con, src, build, build_path, schemas)
        con.execute(
            f"attach {sql_literal(str(tmp_db))} as {quote_identifier(dst)} "
            f"(storage_version {sql_literal(storage_version)})"
        )
        sources = served_relations(con, src, schemas)
        if not any(schema == "marts" for schema, _ in sources):
            raise BankmartError(
                f"{build_path} has no tables in schema marts: the build did not get that far. "
                "Run `bankmart build` and check its output."
            )
        refuse_sensitive_columns(con, src, sources)

        tables: list[PublishedTable] = []
        # One transaction for the whole copy: DuckDB commits catalogue changes (every table and
        # comment) once instead of per statement.
        con.execute("begin transaction")
        for schema in sorted({s for s, _ in sources}):
            con.execute(f"create schema {quote_identifier(dst)}.{quote_identifier(schema)}")
        for schema, name in sources:
            target = f"{quote_identifier(dst)}.{quote_identifier(schema)}.{quote_identifier(name)}"
            con.execute(
                f"create table {target} as select * from "
                f"{quote_identifier(src)}.{quote_identifier(schema)}.{quote_identifier(name)}"
            )
            rows = con.execute(f"select count(*) from {target}").fetchone()[0]
            columns = con.execute(
                "select count(*) from duckdb_columns() "
                "where database_name = ? and schema_name = ? and table_name = ?",
                [dst, schema, name],
            ).fetchone()[0]
            tables.append(PublishedTable(schema, name, int(rows), int(columns)))
        # On the copy, where every served relation is a table: the facts that are views in the
        # build file (fct_transactions) are counted too, without running their joins again.
        check_mart_counts(con, dst, project_dir, build_path)

        tables += write_meta(
            con,
            src=src,
            dst=dst,
            previous=previous,
            tables=tables,
            build=build,
            source_file=source_file or str(build_path),
            storage_version=storage_version,
            published_at=published_at,
            project_dir=project_dir,
        )

        copy_comments(con, src, dst, sources)
        con.execute("commit")

        tmp_parquet.mkdir()
        for table in tables:
            con.execute(
                f"copy {quote_identifier(dst)}.{quote_identifier(table.schema)}.{quote_identifier(table.name)} "
                f"to {sql_literal(str(tmp_parquet / table.parquet_name))} "
                "(format parquet, compression zstd)"
            )

        dax_text, dax_note = spend_tier_dax(con, dst)
        if dax_note:
            notes.append(dax_note)
        con.execute(f"checkpoint {quote_identifier(dst)}")
        con.execute(f"detach {quote_identifier(dst)}")
        con.execute(f"detach {quote_identifier(src)}")
    finally:
        con.close()
    wal = tmp_db.with_name(tmp_db.name + ".wal")
    if wal.exists():  # never expected after checkpoint + detach; a stray WAL would be lost
        raise BankmartError(f"DuckDB left {wal} behind after writing the serving copy; not publishing.")
    return tables, dax_text, notes

