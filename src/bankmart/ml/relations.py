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
