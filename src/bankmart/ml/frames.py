"""Explicit column types for the DataFrames the dbt Python models return.

DuckDB infers a pandas object column that holds only NULLs (no customer has a third reason, no
tier for an all-NULL measure) or an empty frame as INTEGER, which would break the marts'
enforced contracts on exactly the small or odd data sets where it is hardest to notice. Every
public function therefore casts its output: text to pandas' ``string`` dtype (DuckDB VARCHAR),
counts to nullable ``Int64`` (BIGINT), measures to ``float64`` (DOUBLE).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

TEXT = "string"
INT = "Int64"
FLOAT = "float64"
BOOL = "boolean"


def typed(df: pd.DataFrame, types: Mapping[str, str]) -> pd.DataFrame:
    """Cast the named columns (those present) to the given dtypes; other columns are untouched."""
    casts = {c: t for c, t in types.items() if c in df.columns}
    return df.astype(casts) if casts else df


def empty(types: Mapping[str, str]) -> pd.DataFrame:
    """A zero-row frame with the given columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in types.items()})
