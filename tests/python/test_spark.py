"""The same project on Apache Spark: the small bank built on a local Spark (dbt-spark's session
method, `bankmart build --target spark`) equals its DuckDB build, relation by relation.

Every table and view of the served schemas and the quarantine is compared whole: the same
columns in the same order, the same rows (as multisets; numbers to a relative 1e-6, dates and
times as text, the numbers inside detail messages spelt one way). Left out are only what differs by design: each engine's 64-bit
row fingerprint (DuckDB's hash(), Spark's xxhash64) and the load time of the build.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import Bank, run_cli

pytestmark = [pytest.mark.dbt, pytest.mark.spark]

COMPARED_SCHEMAS = ("marts", "reference", "quarantine")
#: Columns whose values depend on the engine or the moment, by design.
NOT_COMPARED = {"row_fingerprint", "loaded_at"}


@pytest.fixture(scope="module")
def spark_dir(built_bank: Bank, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small bank built on the local Spark (its DuckDB build is `built_bank`)."""
    root = tmp_path_factory.mktemp("spark_build")
    env = {
        **built_bank.env,
        "BANKMART_SPARK_DIR": str(root / "spark"),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
    }
    run_cli("build", "--target", "spark", env=env)
    return root / "spark"


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
            _raw_record(v) if c == "raw_record" else _detail(v) if c.endswith("detail") else _value(v)
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
        (d, s) for d, s in zip(duck_rows, spark_rows, strict=True)
        if not all(same_value(a, b) for a, b in zip(d, s, strict=True))
    ]


def test_every_relation_is_the_same_on_spark_and_duckdb(built_bank: Bank, spark_dir: Path) -> None:
    import duckdb

    from bankmart.spark.tables import local_session, relation_names, to_pandas

    session = local_session(spark_dir)
    con = duckdb.connect(str(built_bank.duckdb_path), read_only=True)
    try:
        problems = []
        compared = 0
        for schema in COMPARED_SCHEMAS:
            duck_names = sorted(
                row[0] for row in con.execute(
                    "select table_name from information_schema.tables where table_schema = ?",
                    [schema],
                ).fetchall()
            )
            spark_names = relation_names(session, schema)
            if duck_names != spark_names:
                problems.append(f"{schema}: relations differ: only DuckDB "
                                f"{sorted(set(duck_names) - set(spark_names))}, only Spark "
                                f"{sorted(set(spark_names) - set(duck_names))}")
            for name in sorted(set(duck_names) & set(spark_names)):
                duck = con.execute(f'select * from "{schema}"."{name}"').df()
                spark = to_pandas(session, schema, name)
                compared += 1
                if list(duck.columns) != list(spark.columns):
                    problems.append(f"{schema}.{name}: columns {list(duck.columns)} on DuckDB, "
                                    f"{list(spark.columns)} on Spark")
                    continue
                duck_rows, spark_rows = comparable(duck), comparable(spark)
                differing = differences(duck_rows, spark_rows)
                if differing:
                    problems.append(f"{schema}.{name}: {len(duck_rows)} rows on DuckDB, "
                                    f"{len(spark_rows)} on Spark, {len(differing)} differ, "
                                    f"e.g. DuckDB {differing[0][0]} / Spark {differing[0][1]}")
    finally:
        con.close()
        session.stop()
    assert compared >= 50, f"only {compared} relations compared"
    assert not problems, "\n".join(problems)
