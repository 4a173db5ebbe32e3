"""Quantile spend tiers that BI tools can reproduce from a handful of edges.

``assign_quantile_tiers`` gives exactly what ``pd.qcut(values, q=n_tiers, labels=...)`` gives
whenever qcut succeeds, so an analyst can check a tier in a notebook. qcut refuses data whose
quantile edges collide (many customers with the same value, typically zero spend). For that
case the documented policy ``tie_policy="lowest"`` keeps qcut's edges and its right-closed
bins and puts each customer in the *lowest* tier whose upper edge holds the value:

    tier = the smallest k with value <= edge_k   (edge_0 <= ... <= edge_n the quantile edges)

With distinct edges that is exactly qcut. With colliding edges the tiers between two equal
edges are empty, every customer with the same value gets the same tier (the tier is a function
of the value alone), and a lower value never gets a higher tier, so a customer with zero spend
is never above one with positive spend. ``tie_policy="error"`` raises instead.

``tier_thresholds`` publishes the edges (``value > lower_edge and value <= upper_edge``; the
first tier also includes its lower edge, and a tier whose edges are equal is empty), and
``thresholds_to_dax`` writes them as a ready-to-paste DAX measure that tests the upper edges
lowest tier first: the same rule, so Power BI tiers new values as the warehouse does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bankmart.errors import BankmartError
from bankmart.ml.frames import FLOAT, INT, TEXT, empty, typed

TIER_COLUMNS = ("tier_code", "tier_name", "tier_rank")
TIER_TYPES = {"tier_code": TEXT, "tier_name": TEXT, "tier_rank": INT}
THRESHOLD_TYPES = {
    "tier_code": TEXT,
    "tier_name": TEXT,
    "tier_rank": INT,
    "min_value": FLOAT,
    "max_value": FLOAT,
    "lower_edge": FLOAT,
    "upper_edge": FLOAT,
    "customers": INT,
    "mean_value": FLOAT,
    "method": TEXT,
}
THRESHOLD_COLUMNS = tuple(THRESHOLD_TYPES)
NAN_POLICIES = ("null", "drop", "zero")
TIE_POLICIES = ("lowest", "error")
#: tier_thresholds' method: pandas' own qcut, or the "lowest" policy on colliding edges
METHODS = ("qcut", "lowest_tier")


def resolve_tier_names(
    n_tiers: int,
    labels: tuple[str, ...] | list[str] | None,
    codes: tuple[str, ...] | list[str] | None,
    code_prefix: str = "Q",
) -> tuple[list[str], list[str]]:
    """Labels and codes for ``n_tiers`` tiers, lowest first, checked for length and uniqueness.
    None gives "Tier 1".."Tier n" and ``<code_prefix>1``..``<code_prefix>n``."""
    if isinstance(n_tiers, bool) or not isinstance(n_tiers, (int, np.integer)) or n_tiers < 1:
        raise BankmartError(f"n_tiers must be a whole number of at least 1, got {n_tiers!r}")
    n = int(n_tiers)
    if labels is None:
        labels = [f"Tier {i}" for i in range(1, n + 1)]
    if codes is None:
        codes = [f"{code_prefix}{i}" for i in range(1, n + 1)]
    labels, codes = [str(x) for x in labels], [str(x) for x in codes]
    for what, values in (("labels", labels), ("codes", codes)):
        if len(values) != n:
            raise BankmartError(
                f"tier {what} has {len(values)} entries but n_tiers is {n}: give one per tier, "
                "lowest spend first"
            )
        if len(set(values)) != n:
            raise BankmartError(f"tier {what} must be distinct, got {values}")
    return labels, codes


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        raise BankmartError(
            f"column {column!r} is not in the input (columns: {list(df.columns)}); "
            "select it in the dbt model's project(...)"
        )
    try:
        values = pd.to_numeric(df[column], errors="raise").astype("float64")
    except (TypeError, ValueError):
        raise BankmartError(f"column {column!r} must be numeric to be tiered") from None
    if np.isinf(values.to_numpy()).any():
        raise BankmartError(f"column {column!r} holds infinite values; fix them upstream")
    return values


def _check_ids(df: pd.DataFrame, id_column: str) -> None:
    if id_column not in df.columns:
        raise BankmartError(f"id column {id_column!r} is not in the input (columns: {list(df.columns)})")
    if df[id_column].isna().any():
        raise BankmartError(f"id column {id_column!r} has NULL values")
    if df[id_column].duplicated().any():
        dupes = df.loc[df[id_column].duplicated(), id_column].head(3).tolist()
        raise BankmartError(f"id column {id_column!r} must be unique; duplicates include {dupes}")


def quantile_edges(values: pd.Series, n_tiers: int) -> np.ndarray:
    """The edges pd.qcut uses: linear-interpolated quantiles of the non-null values."""
    return values.dropna().quantile(np.linspace(0, 1, n_tiers + 1)).to_numpy()


def lowest_tier(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """0-based tier of each value under the "lowest" policy: the smallest k with
    value <= edges[k + 1] (values above the top edge get the top tier)."""
    tiers = np.searchsorted(edges[1:], values, side="left")
    return np.minimum(tiers, len(edges) - 2)


def assign_quantile_tiers(
    df: pd.DataFrame,
    column: str,
    n_tiers: int,
    labels: tuple[str, ...] | list[str] | None = None,
    codes: tuple[str, ...] | list[str] | None = None,
    *,
    id_column: str = "customer_id",
    code_prefix: str = "Q",
    nan_policy: str = "null",
    tie_policy: str = "lowest",
) -> pd.DataFrame:
    """Put each customer in one of ``n_tiers`` quantile tiers of ``column`` (rank 1 = lowest).

    Returns ``id_column``, ``column`` (the value that was binned), tier_code, tier_name and
    tier_rank, in input row order: pd.qcut's answer when its edges are distinct, else the
    ``tie_policy`` of the module docstring. NULL measures follow ``nan_policy`` ("null": tier
    NULL, as qcut; "drop": row removed; "zero": binned as 0).
    """
    labels_list, codes_list = resolve_tier_names(n_tiers, labels, codes, code_prefix)
    if nan_policy not in NAN_POLICIES:
        raise BankmartError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    if tie_policy not in TIE_POLICIES:
        raise BankmartError(f"tie_policy must be one of {TIE_POLICIES}, got {tie_policy!r}")
    _check_ids(df, id_column)
    values = _numeric(df, column)
    ids = df[id_column]
    if nan_policy == "drop":
        keep = values.notna()
        values, ids = values[keep], ids[keep]
    elif nan_policy == "zero":
        values = values.fillna(0.0)

    valid = values.notna()
    codes_idx = pd.Series(np.nan, index=values.index)
    if valid.any():
        v = values[valid]
        edges = quantile_edges(v, n_tiers)
        if np.unique(edges).size == edges.size:
            binned = pd.qcut(v, q=n_tiers, labels=False).to_numpy()
        elif tie_policy == "error":
            raise BankmartError(
                f"quantile edges of {column!r} collide (many equal values) so pd.qcut cannot "
                f"make {n_tiers} tiers: use tie_policy='lowest' or fewer tiers"
            )
        else:
            binned = lowest_tier(v.to_numpy(), edges)
        codes_idx.loc[v.index] = np.asarray(binned, dtype="float64")

    rank = codes_idx.add(1).astype("Int64")
    position = codes_idx.fillna(-1).astype(int).to_numpy()
    code_arr = np.array([*codes_list, None], dtype=object)
    name_arr = np.array([*labels_list, None], dtype=object)
    out = pd.DataFrame(
        {
            id_column: ids.to_numpy(),
            column: values.to_numpy(),
            "tier_code": code_arr[position],
            "tier_name": name_arr[position],
            "tier_rank": rank.to_numpy(),
        }
    )
    return typed(out, {column: FLOAT, **TIER_TYPES})


def _measure_column(assigned: pd.DataFrame, id_column: str, column: str | None) -> str:
    if column is not None:
        return column
    candidates = [c for c in assigned.columns if c not in (id_column, *TIER_COLUMNS)]
    if len(candidates) != 1:
        raise BankmartError(
            f"cannot tell which column is the tiered measure among {candidates}; pass column="
        )
    return candidates[0]


def tier_thresholds(
    assigned: pd.DataFrame,
    column: str | None = None,
    *,
    id_column: str = "customer_id",
    labels: tuple[str, ...] | list[str] | None = None,
    codes: tuple[str, ...] | list[str] | None = None,
) -> pd.DataFrame:
    """One row per tier with its value range and the edges that reproduce it as a rule.

    The edges are the quantile edges of the tiered values (pd.qcut's), whichever policy
    assigned the tiers: ``value > lower_edge and value <= upper_edge``, the first tier also
    taking its lower edge, the lowest matching tier winning. method is "qcut" when the edges
    are distinct (pandas' own answer) and "lowest_tier" when they collide; a tier between two
    equal edges then holds nobody (customers 0, min/max/mean NULL). Pass the tiers' ``labels``
    and ``codes`` (as given to assign_quantile_tiers) so that empty tiers are named too; without
    them the tiers are those present in ``assigned``, up to the highest rank.
    """
    measure = _measure_column(assigned, id_column, column)
    missing = [c for c in (measure, *TIER_COLUMNS) if c not in assigned.columns]
    if missing:
        raise BankmartError(
            f"tier_thresholds needs the output of assign_quantile_tiers; missing columns {missing}"
        )
    tiers = (
        assigned.dropna(subset=["tier_rank"])[["tier_code", "tier_name", "tier_rank"]]
        .drop_duplicates()
        .sort_values("tier_rank")
    )
    if tiers.empty:
        return empty(THRESHOLD_TYPES)
    if labels is not None and codes is not None:
        names, tier_codes = resolve_tier_names(len(labels), labels, codes)
        catalogue = {i + 1: (c, n) for i, (c, n) in enumerate(zip(tier_codes, names, strict=True))}
    else:
        catalogue = {int(r.tier_rank): (r.tier_code, r.tier_name) for r in tiers.itertuples()}
    n_tiers = max(catalogue)
    values = pd.to_numeric(assigned[measure]).astype("float64")
    in_tier = assigned["tier_rank"].notna()
    stats = (
        pd.DataFrame({"rank": assigned.loc[in_tier, "tier_rank"].astype(int), "v": values[in_tier]})
        .groupby("rank")["v"]
        .agg(["min", "max", "count", "mean"])
        .reindex(range(1, n_tiers + 1))
    )
    edges = quantile_edges(values[in_tier], n_tiers)
    method = "qcut" if np.unique(edges).size == edges.size else "lowest_tier"
    rows = []
    for rank in range(1, n_tiers + 1):
        code, name = catalogue.get(rank, (None, None))
        s = stats.loc[rank]
        rows.append(
            {
                "tier_code": code,
                "tier_name": name,
                "tier_rank": rank,
                "min_value": s["min"],
                "max_value": s["max"],
                "lower_edge": float(edges[rank - 1]),
                "upper_edge": float(edges[rank]),
                "customers": int(0 if pd.isna(s["count"]) else s["count"]),
                "mean_value": s["mean"],
                "method": method,
            }
        )
    return typed(pd.DataFrame(rows, columns=list(THRESHOLD_COLUMNS)), THRESHOLD_TYPES)


def _dax_number(value: float) -> str:
    """Shortest decimal that round-trips the float, never in exponent form (DAX-safe)."""
    return np.format_float_positional(float(value), trim="-", unique=True)


def _dax_string(text: str) -> str:
    return '"' + str(text).replace('"', '""') + '"'


def thresholds_to_dax(
    thresholds: pd.DataFrame,
    measure_name: str = "Spend Tier",
    value_expression: str = "[Total Spend]",
    *,
    label_column: str = "tier_name",
) -> str:
    """A DAX measure applying the tier rules: SWITCH(TRUE(), v <= upper_edge, label, ...).

    Conditions are tested lowest tier first, so each reads "above the previous edge and up to
    this one", and a value on an edge shared by several tiers gets the lowest of them (the
    "lowest" tie policy); values above every lower tier's edge get the top tier, blanks stay
    blank. Empty tiers below the top are skipped: their range is empty, so no value reaches them.
    """
    needed = {"tier_rank", "upper_edge", label_column}
    if not needed <= set(thresholds.columns):
        raise BankmartError(
            f"thresholds_to_dax needs tier_thresholds() output with columns {sorted(needed)}"
        )
    rows = thresholds.sort_values("tier_rank")
    if rows.empty or ("customers" in rows.columns and not (rows["customers"] > 0).any()):
        raise BankmartError("no populated tiers to turn into DAX")
    top = next(rows.iloc[[-1]].itertuples(index=False))
    lower = rows.iloc[:-1]
    lower_rows = list((lower[lower["customers"] > 0] if "customers" in lower.columns else lower).itertuples(index=False))
    lines = [
        f"{measure_name} =",
        f"VAR _value = {value_expression}",
        "RETURN",
        "    SWITCH (",
        "        TRUE (),",
        "        ISBLANK ( _value ), BLANK (),",
    ]
    for row in lower_rows:
        lines.append(
            f"        _value <= {_dax_number(row.upper_edge)}, "
            f"{_dax_string(getattr(row, label_column))},"
        )
    lines.append(f"        {_dax_string(getattr(top, label_column))}")
    lines.append("    )")
    return "\n".join(lines)
