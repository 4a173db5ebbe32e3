"""The same project on Apache Spark: the small bank built on a local Spark (dbt-spark's session
method, `bankmart build --target spark`) equals its DuckDB build, relation by relation.

The Spark build is incremental: it first loads the bank without its last month of transactions
and balances (the incremental models and what they read), then builds everything with the last
month, which the incremental models load by overwriting only the partitions it writes
(insert_overwrite). DuckDB's reference is one full build of the same files.

Every served table is compared as `bankmart publish` serves it from each engine's build (the
Spark build published with `--target spark`): the same tables, columns, types and
descriptions, the same rows. The quarantine, which is never served, is compared as Spark holds
it: the same columns in the same order (Spark stores a table's partition columns last: the only
difference allowed). Rows are compared as multisets (numbers to a relative 1e-6, dates and times
as text, the numbers inside detail messages spelt one way), leaving out only what differs by
design: each engine's 64-bit row fingerprint (DuckDB's hash(), Spark's xxhash64) and the load
time of the build.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bankmart.bench.incremental import newest_partitions
from bankmart.raw_schema import PARTITIONED_TABLES
from conftest import Bank, run_cli
from spark_build import SparkBuild, shared_root, spark_env, start_once

pytestmark = [pytest.mark.dbt, pytest.mark.spark]

#: Columns whose values depend on the engine or the moment, by design.
NOT_COMPARED = {"row_fingerprint", "loaded_at"}


@pytest.fixture(scope="module")
def spark_build(
    spark_build_in_background: SparkBuild | None,
    small_bank: Bank,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SparkBuild]:
    """The small bank built on the local Spark in two loads, the last month of transactions and
    balances second (spark_build.py; its DuckDB build is `built_bank`, one full build). It
    started with the test session, in this process or, under pytest-xdist, in the first
    worker's, or, when that worker had no test to run, here (spark_build.start_once: whichever
    comes first); this waits for it, and stops a build it started itself."""
    build = spark_build_in_background or start_once(
        small_bank.raw_dir, small_bank.env, shared_root(tmp_path_factory)
    )
    try:
        build.wait()
        yield build
    finally:
        build.stop()


@pytest.fixture(scope="module")
def spark_dir(spark_build: SparkBuild) -> Path:
    return spark_build.spark_dir


#: Numbers agree to this relative tolerance: sums and averages of many amounts come out of
#: each engine's own summation order (143667875.5 against .6 on a 1M-transaction bank), and
#: the classifiers fit on features that differ in the last bits.
RELATIVE_TOLERANCE = 1e-6


def _value(value: object) -> str | float | None:
    """A cell as canonical text, or as a float for a number (booleans stay text)."""
    if value is None or (not isinstance(value, (str, bytes, list, dict)) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_, str)):
        return str(bool(value)) if isinstance(value, np.bool_) else str(value)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d 00:00:00.000000")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.%f")
    if isinstance(value, (int, float, decimal.Decimal, np.number)):
        return float(value)
    return str(value)


#: A decimal number in text: each engine spells a DOUBLE its own way when a message casts it
#: to text (DuckDB 6340992000000.0, Spark 6.340992E12).
_NUMBER_IN_TEXT = re.compile(r"(?<![\w.])-?\d+(?:\.\d+(?:[eE][-+]?\d+)?|[eE][-+]?\d+)")


#: How each engine spells a DOUBLE that is not finite, in text and in JSON.
_NOT_FINITE = {"Infinity": "inf", "-Infinity": "-inf", "NaN": "nan"}


def _detail(value: object) -> str | None:
    """A message with every decimal number in it spelt one way."""
    if value is None:
        return None
    text = re.sub(r"-?Infinity|NaN", lambda m: _NOT_FINITE[m.group(0)], str(value))
    return _NUMBER_IN_TEXT.sub(lambda m: repr(float(m.group(0))), text)


def _raw_record(value: object) -> str | None:
    """JSON text as a canonical document (key order and number spelling aside; Spark writes a
    value that is not finite as a string, DuckDB as a bare Infinity or NaN)."""
    if value is None:
        return None
    record = {
        key: float(item) if item in _NOT_FINITE else item
        for key, item in json.loads(str(value)).items()
    }
    return json.dumps(record, sort_keys=True)


def _sort_key(row: tuple) -> tuple:
    return tuple(
        (0, "") if v is None else (1, f"{v:.5g}") if isinstance(v, float) else (2, v) for v in row
    )


def comparable(frame: pd.DataFrame) -> list[tuple]:
    """The rows of a relation as tuples of canonical values, NOT_COMPARED left out, sorted."""
    columns = [c for c in frame.columns if c not in NOT_COMPARED]
    rows = [
        tuple(
            _raw_record(v)
            if c == "raw_record"
            else _detail(v)
            if c.endswith("detail")
            else _value(v)
            for c, v in zip(columns, record, strict=True)
        )
        for record in frame[columns].itertuples(index=False, name=None)
    ]
    return sorted(rows, key=_sort_key)


def same_value(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(
            a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9
        )
    return a == b


def differences(duck_rows: list[tuple], spark_rows: list[tuple]) -> list[tuple[tuple, tuple]]:
    """The row pairs (DuckDB, Spark) that differ, after sorting both the same way."""
    if len(duck_rows) != len(spark_rows):
        return [(duck_rows[:1], spark_rows[:1])]
    return [
        (d, s)
        for d, s in zip(duck_rows, spark_rows, strict=True)
        if not all(same_value(a, b) for a, b in zip(d, s, strict=True))
    ]


@pytest.fixture(scope="module")
def served(built_bank: Bank, spark_build: SparkBuild) -> tuple[Path, Path]:
    """The serving files `bankmart publish` makes of the DuckDB build and of the Spark build
    (`--target spark`, in the Spark build's own environment)."""
    root = spark_build.root
    duck_env = {**built_bank.env, "BANKMART_SERVING_DIR": str(root / "duckdb_serving")}
    run_cli("publish", env=duck_env)
    env = spark_env(built_bank.env, spark_build.raw_dir, root)
    published = run_cli(
        "publish", "--target", "spark", env={**env, "BANKMART_SERVING_DIR": str(root / "spark_serving")}
    )
    assert "bankmart publish:" in published.stdout
    return root / "duckdb_serving" / "bankmart.duckdb", root / "spark_serving" / "bankmart.duckdb"


@pytest.fixture(scope="module")
def session(spark_dir: Path, served: tuple[Path, Path]) -> Iterator[Any]:
    """A SparkSession on the Spark build's warehouse and metastore (after publishing: Derby
    admits one process at a time)."""
    from bankmart.spark.tables import local_session

    spark = local_session(spark_dir)
    yield spark
    spark.stop()


def compare_frames(
    label: str, duck: pd.DataFrame, other: pd.DataFrame, problems: list[str]
) -> None:
    duck_rows, other_rows = comparable(duck), comparable(other)
    differing = differences(duck_rows, other_rows)
    if differing:
        problems.append(
            f"{label}: {len(duck_rows)} rows on DuckDB, {len(other_rows)} on Spark, "
            f"{len(differing)} differ, e.g. DuckDB {differing[0][0]} / Spark {differing[0][1]}"
        )


def relations(con: Any, schema: str) -> list[str]:
    return sorted(
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
    )


def test_what_publish_serves_is_the_same_from_spark_and_duckdb(served: tuple[Path, Path]) -> None:
    """Every served table (marts, reference, meta's quarantine summary), as `bankmart publish`
    serves it from each engine's build: the same tables, columns, types and descriptions, the
    same rows."""
    import duckdb

    duck, spark = (duckdb.connect(str(p), read_only=True) for p in served)
    try:
        shape = (
            "select schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
            "where schema_name in ('marts', 'reference') order by all"
        )
        assert duck.execute(shape).fetchall() == spark.execute(shape).fetchall()
        tables = "select schema_name, table_name, comment from duckdb_tables() where schema_name <> 'meta' order by all"
        assert duck.execute(tables).fetchall() == spark.execute(tables).fetchall()
        problems: list[str] = []
        compared = 0
        for schema in ("marts", "reference"):
            for name in relations(duck, schema):
                query = f'select * from "{schema}"."{name}"'
                compare_frames(
                    f"{schema}.{name}",
                    duck.execute(query).df(),
                    spark.execute(query).df(),
                    problems,
                )
                compared += 1
        summary = "select * from meta.quarantine_summary"
        compare_frames(
            "meta.quarantine_summary",
            duck.execute(summary).df(),
            spark.execute(summary).df(),
            problems,
        )
        assert (
            spark.execute("select source_file from meta.publish_log")
            .fetchone()[0]
            .startswith("Spark warehouse ")
        )
    finally:
        duck.close()
        spark.close()
    assert compared >= 45, f"only {compared} relations compared"
    assert not problems, "\n".join(problems)


def test_the_quarantine_is_the_same_on_spark_and_duckdb(
    built_bank: Bank, spark_build: SparkBuild, session: Any
) -> None:
    """The quarantine schema (never served), read from Spark itself: the same relations,
    columns in the same order (Spark stores a table's partition columns last) and rows. The
    Spark build read a hard-linked copy of the raw folder: its file paths are compared as the
    same files in the original folder."""
    import duckdb

    from bankmart.spark.tables import relation_names, to_pandas

    con = duckdb.connect(str(built_bank.duckdb_path), read_only=True)
    try:
        problems = []
        duck_names, spark_names = (
            relations(con, "quarantine"),
            relation_names(session, "quarantine"),
        )
        assert duck_names == spark_names
        for name in duck_names:
            duck = con.execute(f'select * from "quarantine"."{name}"').df()
            spark = to_pandas(session, "quarantine", name)
            if "source_file_name" in spark.columns:
                spark["source_file_name"] = spark["source_file_name"].str.replace(
                    str(spark_build.raw_dir), str(built_bank.raw_dir), regex=False
                )
            partitions = [
                c.name for c in session.catalog.listColumns(f"quarantine.{name}") if c.isPartition
            ]
            expected = [c for c in duck.columns if c not in partitions] + partitions
            if list(spark.columns) != expected:
                problems.append(
                    f"quarantine.{name}: columns {list(duck.columns)} on DuckDB, {list(spark.columns)} on Spark"
                )
                continue
            compare_frames(f"quarantine.{name}", duck, spark[list(duck.columns)], problems)
    finally:
        con.close()
    assert len(duck_names) >= 2
    assert not problems, "\n".join(problems)


def test_the_second_spark_build_loaded_only_the_last_month(
    spark_build: SparkBuild, session: Any
) -> None:
    """Incremental on Spark: the rows of the earlier files keep the first build's load time and
    the last month's files were read by the second build, partition by partition."""
    _, newest = newest_partitions(spark_build.raw_dir)
    assert sorted(folder.parent.name for folder in newest) == sorted(PARTITIONED_TABLES)
    for folder in newest:
        table, last = folder.parent.name, str(folder)
        loads = session.sql(
            f"""
            select source_file_name like '{last}/%' as is_last_month, loaded_at, count(*) as row_count
            from staging.base_core__{table}
            group by 1, 2
            """
        ).collect()
        load_times = {row["is_last_month"]: row["loaded_at"] for row in loads}
        assert len(loads) == 2 and set(load_times) == {True, False}, f"{table}: {loads}"
        assert load_times[True] > load_times[False], f"{table}: {loads}"
        partitions = [
            c.name
            for c in session.catalog.listColumns(f"staging.base_core__{table}")
            if c.isPartition
        ]
        assert partitions == ["source_file_key"]
