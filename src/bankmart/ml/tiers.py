"""Quantile spend tiers that BI tools can reproduce from a handful of edges.

``assign_quantile_tiers`` gives exactly what ``pd.qcut(values, q=n_tiers, labels=...)`` gives,
so an analyst can check a tier in a notebook. pd.qcut refuses data whose quantile edges collide
(many zeros or ties); rather than fail a dbt build, the documented fallback bins the *stable
rank* instead: customers are sorted by (value, customer_id) and ``pd.qcut`` is applied to their
1-based position. Every tier then holds n/n_tiers customers and the result is the same whatever
the row order, but customers with the same value can straddle a tier boundary; the BI rules from
``tier_thresholds`` put such ties in the lowest tier holding that value.

``tier_thresholds`` turns an assignment into edges (``value > lower_edge and value <=
upper_edge``; the first tier also includes its lower edge) and ``thresholds_to_dax`` writes those
edges as a ready-to-paste DAX measure, so Power BI tiers new values the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bankmart.errors import BankmartError
from bankmart.ml.config import DEFAULT_TIER_LABELS, TIER_DEFAULTS
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
TIE_POLICIES = ("rank", "error")


def resolve_tier_names(
    n_tiers: int,
    labels: tuple[str, ...] | list[str] | None,
    codes: tuple[str, ...] | list[str] | None,
    code_prefix: str = TIER_DEFAULTS.code_prefix,
) -> tuple[list[str], list[str]]:
    """Labels and codes for ``n_tiers`` tiers, lowest first, checked for length and uniqueness."""
    if isinstance(n_tiers, bool) or not isinstance(n_tiers, (int, np.integer)) or n_tiers < 1:
        raise BankmartError(f"n_tiers must be a whole number of at least 1, got {n_tiers!r}")
    n = int(n_tiers)
    if labels is None or (tuple(labels) == DEFAULT_TIER_LABELS and n != len(DEFAULT_TIER_LABELS)):
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


def stable_rank(values: pd.Series, ids: pd.Series) -> pd.Series:
    """1-based position after a stable sort by (value, id): ties broken by id, not by row order."""
    order = pd.DataFrame({"v": values.to_numpy(), "id": ids.to_numpy()}).sort_values(
        ["v", "id"], kind="mergesort"
    )
    ranks = pd.Series(np.arange(1, len(order) + 1, dtype="float64"), index=order.index)
    return ranks.sort_index().set_axis(values.index)


def quantile_edges(values: pd.Series, n_tiers: int) -> np.ndarray:
    """The edges pd.qcut uses: linear-interpolated quantiles of the non-null values."""
    return values.dropna().quantile(np.linspace(0, 1, n_tiers + 1)).to_numpy()


def assign_quantile_tiers(
    df: pd.DataFrame,
    column: str,
    n_tiers: int = TIER_DEFAULTS.n_tiers,
    labels: tuple[str, ...] | list[str] | None = TIER_DEFAULTS.labels,
    codes: tuple[str, ...] | list[str] | None = TIER_DEFAULTS.codes,
    *,
    id_column: str = "customer_id",
    code_prefix: str = TIER_DEFAULTS.code_prefix,
    nan_policy: str = TIER_DEFAULTS.nan_policy,
    tie_policy: str = TIER_DEFAULTS.tie_policy,
    allow_fewer_customers_than_tiers: bool = TIER_DEFAULTS.allow_fewer_customers_than_tiers,
) -> pd.DataFrame:
    """Put each customer in one of ``n_tiers`` equal-count tiers of ``column`` (rank 1 = lowest).

    Returns ``id_column``, ``column`` (the value that was binned), tier_code, tier_name and
    tier_rank, in input row order. NULL measures follow ``nan_policy`` (see TierConfig). Fewer
    non-null customers than tiers raises unless ``allow_fewer_customers_than_tiers``, in which
    case their stable ranks are binned (tiers may be empty; a single customer gets tier 1).
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
    n_valid = int(valid.sum())
    codes_idx = pd.Series(np.nan, index=values.index)
    if n_valid:
        if n_valid < n_tiers and not allow_fewer_customers_than_tiers:
            raise BankmartError(
                f"only {n_valid} customers have a non-null {column!r}, fewer than n_tiers="
                f"{n_tiers}: lower n_tiers or set allow_fewer_customers_than_tiers"
            )
        v = values[valid]
        edges = quantile_edges(v, n_tiers)
        if n_valid >= n_tiers and np.unique(edges).size == edges.size:
            binned = pd.qcut(v, q=n_tiers, labels=False)
        elif tie_policy == "error" and n_valid >= n_tiers:
            raise BankmartError(
                f"quantile edges of {column!r} collide (many equal values) so {n_tiers} "
                "quantile tiers are undefined: use tie_policy='rank' or fewer tiers"
            )
        elif n_valid == 1 or n_tiers == 1:
            binned = pd.Series(0.0, index=v.index)
        else:
            binned = pd.qcut(stable_rank(v, ids[valid]), q=n_tiers, labels=False)
        codes_idx.loc[v.index] = binned.astype("float64")

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
) -> pd.DataFrame:
    """One row per tier with its value range and the edges that reproduce it as a rule.

    method "qcut": the edges are pd.qcut's quantile edges. method "rank": the tiers came from the
    rank fallback; edges are then the previous tier's max and this tier's max, so tied values
    on a boundary fall into the lowest tier holding them when the rules are applied. Tiers with
    no customers carry the previous edge (an empty range) and NULL min/max/mean.
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
    n_tiers = int(tiers["tier_rank"].max())
    catalogue = {int(r.tier_rank): (r.tier_code, r.tier_name) for r in tiers.itertuples()}
    values = pd.to_numeric(assigned[measure]).astype("float64")
    in_tier = assigned["tier_rank"].notna()
    stats = (
        pd.DataFrame({"rank": assigned.loc[in_tier, "tier_rank"].astype(int), "v": values[in_tier]})
        .groupby("rank")["v"]
        .agg(["min", "max", "count", "mean"])
        .reindex(range(1, n_tiers + 1))
    )
    edges = quantile_edges(values[in_tier], n_tiers)
    qcut_like = np.unique(edges).size == edges.size and bool(
        (pd.cut(values[in_tier], edges, labels=False, include_lowest=True) + 1)
        .astype("Int64")
        .eq(assigned.loc[in_tier, "tier_rank"].astype("Int64"))
        .all()
    )
    if qcut_like:
        lower, upper, method = edges[:-1], edges[1:], "qcut"
    else:
        upper = stats["max"].ffill().fillna(stats["min"].min()).to_numpy()
        lower = np.concatenate([[stats["min"].min()], upper[:-1]])
        method = "rank"
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
                "lower_edge": float(lower[rank - 1]),
                "upper_edge": float(upper[rank - 1]),
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
    this one"; values above the top edge get the top tier and blanks stay blank. Empty tiers
    are skipped (their range is empty anyway).
    """
    needed = {"tier_rank", "upper_edge", label_column}
    if not needed <= set(thresholds.columns):
        raise BankmartError(
            f"thresholds_to_dax needs tier_thresholds() output with columns {sorted(needed)}"
        )
    rows = thresholds.sort_values("tier_rank")
    rows = rows[rows["customers"] > 0] if "customers" in rows.columns else rows
    if rows.empty:
        raise BankmartError("no populated tiers to turn into DAX")
    lines = [
        f"{measure_name} =",
        f"VAR _value = {value_expression}",
        "RETURN",
        "    SWITCH (",
        "        TRUE (),",
        "        ISBLANK ( _value ), BLANK (),",
    ]
    *lower_rows, top = list(rows.itertuples(index=False))
    for row in lower_rows:
        lines.append(
            f"        _value <= {_dax_number(row.upper_edge)}, "
            f"{_dax_string(getattr(row, label_column))},"
        )
    lines.append(f"        {_dax_string(getattr(top, label_column))}")
    lines.append("    )")
    return "\n".join(lines)
