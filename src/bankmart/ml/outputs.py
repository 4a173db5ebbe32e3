"""One DataFrame out of several, for dbt Python models that produce more than one table.

A dbt Python model returns a single table, but one K-Means fit yields assignments, profiles
and k diagnostics, and one classifier run yields metrics, importances and predictions. Fitting
once and stacking the results (an ``output`` column says which frame a row belongs to) keeps
the expensive step single; contracted SQL marts then select their own rows and columns.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    """Bool and int columns as pandas' nullable dtypes, so stacking with NaN keeps their type."""
    converted = {}
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            converted[name] = frame[name].astype("boolean")
        elif pd.api.types.is_integer_dtype(dtype):
            converted[name] = frame[name].astype("Int64")
    return frame.assign(**converted) if converted else frame


def stack_outputs(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Concatenate named frames under an ``output`` column; columns are the union, NULL elsewhere.

    A column present in several frames must mean the same thing in each (e.g. segment_id).
    """
    parts = [_nullable(frame).assign(output=name) for name, frame in frames.items()]
    stacked = pd.concat(parts, ignore_index=True, sort=False)
    return stacked[["output", *[c for c in stacked.columns if c != "output"]]]
