"""Reading a dbt relation into pandas, on either engine the Python models run on.

A dbt Python model gets ``dbt.ref(...)`` as the engine's own relation: a DuckDB relation
(``DuckDBPyRelation``) on DuckDB, a Spark ``DataFrame`` on Spark. The models only ever need
customer-level rows as a pandas frame (heavy work stays in SQL), so this is the one place that
knows both APIs: the models call :func:`to_pandas` and stay the same on both engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from bankmart.settings import memory_bytes


def to_pandas(
    relation: Any,
    columns: Sequence[str],
    *,
    where: str | None = None,
    order_by: str | None = None,
) -> pd.DataFrame:
    """The rows of ``relation`` that satisfy ``where`` (SQL), the named ``columns`` only, sorted
    by ``order_by`` (SQL), as pandas. DECIMAL columns come as float64 on both engines."""
    if hasattr(relation, "project"):  # DuckDB
        selected = relation.filter(where) if where else relation
        selected = selected.project(", ".join(columns))
        if order_by:
            selected = selected.order(order_by)
        return selected.df()
    if hasattr(relation, "selectExpr"):  # Spark
        return _spark_to_pandas(relation, columns, where, order_by)
    raise TypeError(f"to_pandas: not a DuckDB relation or a Spark DataFrame: {type(relation)!r}")


def _spark_to_pandas(
    frame: Any, columns: Sequence[str], where: str | None, order_by: str | None
) -> pd.DataFrame:
    from pyspark.sql.types import DecimalType

    selected = frame.filter(where) if where else frame
    selected = selected.selectExpr(*columns)
    # DuckDB hands DECIMAL to pandas as float64; Arrow would give Python Decimal objects.
    decimals = {f.name for f in selected.schema.fields if isinstance(f.dataType, DecimalType)}
    if decimals:
        selected = selected.selectExpr(
            *[f"cast(`{name}` as double) as `{name}`" if name in decimals else f"`{name}`"
              for name in selected.columns]
        )
    if order_by:
        selected = selected.orderBy(*[part.strip() for part in order_by.split(",")])
    return selected.toPandas()


# Cached table blocks DuckDB may keep when it releases the rest (see release_cached_blocks).
CACHE_KEPT_BYTES = 1024**3


def release_cached_blocks(
    session: Any, memory_limit: str | None, *, keep_bytes: int = CACHE_KEPT_BYTES
) -> bool:
    """Evict the table blocks DuckDB keeps cached, before a Python model fills the same process.

    DuckDB keeps every block it has read cached up to its ``memory_limit`` and evicts them only
    when it needs room itself. A Python model's pandas frames and scikit-learn arrays live in
    the same process but outside DuckDB's accounting, so at the end of a large build the
    process held DuckDB's whole limit of cached blocks plus the fits. Lowering the limit to
    what DuckDB's running queries hold plus ``keep_bytes`` evicts the rest of the cache;
    the limit is then set back to ``memory_limit``, the value the profile configured (DuckDB
    reports its limit rounded, so the configured text is restored, not the reported one).

    Nothing is done on Spark, without a configured limit (or one in a form
    :func:`bankmart.settings.memory_bytes` does not read), or when the lower limit would not be
    lower; an eviction DuckDB refuses (its queries hold more than the lower limit at that
    moment) leaves everything as it was. Returns whether the cache was released.
    """
    # DuckDB hands a Python model a cursor (dbt-duckdb wraps it); Spark a SparkSession, which
    # has no execute().
    if not memory_limit or not callable(getattr(session, "execute", None)):
        return False
    try:
        limit_bytes = memory_bytes(memory_limit)
    except ValueError:  # a limit this module cannot read (the profile is not bankmart's)
        return False
    # an aggregate without GROUP BY: always one row
    row = session.execute(
        "select coalesce(sum(memory_usage_bytes) filter (where tag <> 'BASE_TABLE'), 0), "
        "coalesce(sum(memory_usage_bytes) filter (where tag = 'BASE_TABLE'), 0) "
        "from duckdb_memory()"
    ).fetchone()
    working, cached = int(row[0]), int(row[1])
    lower = working + keep_bytes
    if cached <= keep_bytes or lower >= limit_bytes:
        return False
    try:
        session.execute(f"set memory_limit = '{lower}B'")
        released = True
    except Exception:  # duckdb.Error, or dbt-duckdb's DbtRuntimeError wrapping it
        released = False
    finally:
        # memory_bytes accepted it: a number and a unit, nothing to quote
        session.execute(f"set memory_limit = '{memory_limit}'")
    return released
