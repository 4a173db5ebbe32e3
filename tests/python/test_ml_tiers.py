"""Spend tiers: identical to pd.qcut, deterministic fallbacks, and BI rules that reproduce them."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from bankmart.errors import BankmartError
from bankmart.ml.config import DEFAULT_TIER_LABELS, TierConfig
from bankmart.ml.tiers import assign_quantile_tiers, thresholds_to_dax, tier_thresholds


def frame(values, ids=None) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    if ids is None:
        ids = [f"C{i:06d}" for i in range(len(values))]
    return pd.DataFrame({"customer_id": ids, "total_spend": values})


def random_arrays(seed: int = 11):
    """Many shapes of spend: skewed, symmetric, integer-valued with ties, with NULLs."""
    rng = np.random.default_rng(seed)
    for i in range(80):
        n = int(rng.integers(12, 3000))
        kind = i % 6
        if kind == 0:
            v = rng.lognormal(8, 1.6, n)
        elif kind == 1:
            v = rng.normal(0, 1, n)
        elif kind == 2:
            v = rng.integers(0, 40, n).astype(float)  # many ties
        elif kind == 3:
            v = rng.exponential(500, n).round(0)  # ties from rounding
        elif kind == 4:
            v = rng.pareto(1.5, n) * 1000
        else:
            v = rng.lognormal(5, 1, n)
            v[rng.random(n) < 0.1] = np.nan
        yield v, int(rng.integers(2, 11))


def qcut_or_none(values: np.ndarray, n: int, labels):
    try:
        return pd.qcut(values, q=n, labels=labels)
    except ValueError:
        return None


def rule_tiers(values: np.ndarray, thresholds: pd.DataFrame) -> np.ndarray:
    """Apply the published rules: value > lower_edge and <= upper_edge (tier 1 also takes its
    lower edge), first matching tier wins; values above the top edge take the top tier."""
    out = np.full(len(values), np.nan)
    rows = thresholds.sort_values("tier_rank")
    for row in rows.itertuples():
        lower_ok = values >= row.lower_edge if row.tier_rank == 1 else values > row.lower_edge
        hit = np.isnan(out) & lower_ok & (values <= row.upper_edge)
        out[hit] = row.tier_rank
    out[np.isnan(out) & (values > rows["upper_edge"].max())] = rows["tier_rank"].max()
    out[np.isnan(out) & (values < rows["lower_edge"].min())] = 1
    return out


def dax_cascade(dax: str, values: np.ndarray) -> np.ndarray:
    """Evaluate the DAX SWITCH's (edge, label) pairs the way Power BI would, returning labels."""
    pairs = re.findall(r"_value <= (-?[0-9.]+), \"([^\"]*)\"", dax)
    default = re.search(r"\n\s+\"([^\"]*)\"\n\s+\)", dax).group(1)
    out = np.full(len(values), default, dtype=object)
    done = np.zeros(len(values), bool)
    for edge, label in pairs:
        hit = ~done & (values <= float(edge))
        out[hit] = label
        done |= hit
    return out


def test_matches_pd_qcut_exactly_on_many_arrays():
    compared = 0
    for values, n in random_arrays():
        labels = [f"L{i}" for i in range(n)]
        expected = qcut_or_none(values, n, labels)
        if expected is None:
            continue
        got = assign_quantile_tiers(frame(values), "total_spend", n_tiers=n, labels=labels)
        expected_names = pd.Series(expected).astype(object).where(pd.notna(expected), "<null>")
        assert got["tier_name"].fillna("<null>").tolist() == expected_names.tolist()
        codes = pd.qcut(values, q=n, labels=False)
        assert got["tier_rank"].astype("float").fillna(-1).tolist() == list(np.nan_to_num(codes + 1, nan=-1))
        assert got["customer_id"].tolist() == frame(values)["customer_id"].tolist()
        compared += 1
    assert compared >= 50  # the generator must mostly produce qcut-feasible arrays


def test_default_labels_and_codes_follow_qcut_order():
    values = np.random.default_rng(3).lognormal(7, 1, 500)
    got = assign_quantile_tiers(frame(values), "total_spend")
    expected = pd.qcut(values, q=5, labels=list(DEFAULT_TIER_LABELS)).astype(str)
    assert got["tier_name"].tolist() == list(expected)
    assert sorted(got["tier_code"].unique()) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    by_code = got.groupby("tier_code")["total_spend"].max()
    assert by_code.is_monotonic_increasing
    assert (got["tier_code"].str[1:].astype(int) == got["tier_rank"]).all()


def test_colliding_edges_fall_back_to_stable_rank():
    rng = np.random.default_rng(5)
    values = np.concatenate([np.zeros(700), rng.lognormal(6, 1, 300)])
    ids = [f"C{i:05d}" for i in rng.permutation(len(values))]
    df = frame(values, ids)
    assert qcut_or_none(values, 5, False) is None  # the case pd.qcut refuses
    got = assign_quantile_tiers(df, "total_spend")
    counts = got["tier_rank"].value_counts()
    assert counts.min() == counts.max() == 200
    # monotone in value, ties broken by customer_id
    ordered = got.sort_values(["total_spend", "customer_id"])
    assert ordered["tier_rank"].is_monotonic_increasing
    # same tier per customer whatever the row order
    shuffled = assign_quantile_tiers(df.sample(frac=1, random_state=1), "total_spend")
    merged = got.merge(shuffled, on="customer_id", suffixes=("", "_s"))
    assert (merged["tier_rank"] == merged["tier_rank_s"]).all()


def test_tie_policy_error_raises_on_collision():
    with pytest.raises(BankmartError, match="collide"):
        assign_quantile_tiers(frame(np.r_[np.zeros(90), np.arange(10.0)]), "total_spend", tie_policy="error")


def test_nan_policies():
    rng = np.random.default_rng(9)
    values = rng.lognormal(5, 1, 200)
    values[::7] = np.nan
    df = frame(values)
    kept = assign_quantile_tiers(df, "total_spend")
    assert kept["tier_rank"].isna().sum() == np.isnan(values).sum()
    expected = pd.qcut(values, 5, labels=False)
    assert np.array_equal(kept["tier_rank"].astype(float).to_numpy(), expected + 1, equal_nan=True)
    dropped = assign_quantile_tiers(df, "total_spend", nan_policy="drop")
    assert len(dropped) == np.isfinite(values).sum() and dropped["tier_rank"].notna().all()
    zero = assign_quantile_tiers(df, "total_spend", nan_policy="zero")
    assert zero.loc[np.isnan(values), "tier_rank"].eq(1).all()
    assert zero.loc[np.isnan(values), "total_spend"].eq(0).all()


def test_fewer_customers_than_tiers():
    df = frame([10.0, 20.0, 30.0])
    with pytest.raises(BankmartError, match="fewer than n_tiers"):
        assign_quantile_tiers(df, "total_spend")
    got = assign_quantile_tiers(df, "total_spend", allow_fewer_customers_than_tiers=True)
    assert got["tier_rank"].is_monotonic_increasing
    assert got["tier_rank"].iloc[0] == 1 and got["tier_rank"].iloc[-1] == 5
    single = assign_quantile_tiers(frame([5.0]), "total_spend", allow_fewer_customers_than_tiers=True)
    assert single["tier_rank"].tolist() == [1]


def test_all_null_measure_gives_null_tiers_with_stable_types():
    got = assign_quantile_tiers(frame([np.nan] * 4), "total_spend")
    assert got["tier_rank"].isna().all()
    thresholds = tier_thresholds(got)
    assert thresholds.empty
    # what DuckDB (and so the dbt model's contract) sees, even with nothing to tier
    con = duckdb.connect()
    for df in (got, thresholds):
        con.register("result", df)
        types = {r[0]: r[1] for r in con.sql("describe select * from result").fetchall()}
        con.unregister("result")
        assert types["tier_name"] == "VARCHAR" and types["tier_rank"] == "BIGINT"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_tiers": 0}, "n_tiers"),
        ({"n_tiers": 3, "labels": ("a", "b")}, "labels has 2 entries"),
        ({"n_tiers": 2, "labels": ("a", "a")}, "distinct"),
        ({"codes": ("A", "B")}, "codes has 2 entries"),
        ({"nan_policy": "mean"}, "nan_policy"),
        ({"tie_policy": "drop"}, "tie_policy"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(BankmartError, match=message):
        assign_quantile_tiers(frame(np.arange(50.0)), "total_spend", **kwargs)


def test_bad_inputs():
    with pytest.raises(BankmartError, match="'spend' is not in the input"):
        assign_quantile_tiers(frame(np.arange(10.0)), "spend")
    df = pd.DataFrame({"customer_id": ["a", "b", "c"], "total_spend": ["x", "y", "z"]})
    with pytest.raises(BankmartError, match="numeric"):
        assign_quantile_tiers(df, "total_spend")
    dupes = frame(np.arange(10.0), ids=["a"] * 10)
    with pytest.raises(BankmartError, match="unique"):
        assign_quantile_tiers(dupes, "total_spend")


def test_other_tier_counts_get_generic_labels():
    got = assign_quantile_tiers(frame(np.arange(30.0)), "total_spend", n_tiers=3)
    assert list(got["tier_name"].unique()) == ["Tier 1", "Tier 2", "Tier 3"]


def test_config_from_mapping_drives_the_function():
    cfg = TierConfig.from_mapping({"n_tiers": 4, "labels": ["D", "C", "B", "A"], "code_prefix": "T"})
    got = assign_quantile_tiers(frame(np.arange(40.0)), "total_spend", **cfg.kwargs())
    assert got["tier_code"].tolist() == ["T1"] * 10 + ["T2"] * 10 + ["T3"] * 10 + ["T4"] * 10
    assert got["tier_name"].iloc[-1] == "A"
    with pytest.raises(BankmartError, match="unknown tier config"):
        TierConfig.from_mapping({"n_tier": 4})


def test_thresholds_are_qcut_edges_and_rules_reproduce_assignment():
    checked = 0
    for values, n in random_arrays(seed=21):
        if qcut_or_none(values, n, False) is None:
            continue
        assigned = assign_quantile_tiers(frame(values), "total_spend", n_tiers=n)
        t = tier_thresholds(assigned)
        _, edges = pd.qcut(values, q=n, retbins=True)
        assert (t["method"] == "qcut").all()
        assert np.array_equal(t["lower_edge"].to_numpy(), edges[:-1])
        assert np.array_equal(t["upper_edge"].to_numpy(), edges[1:])
        assert t["customers"].sum() == np.isfinite(values).sum()
        valid = np.isfinite(values)
        ranks = assigned["tier_rank"].astype(float).to_numpy()
        assert np.array_equal(rule_tiers(values[valid], t), ranks[valid])
        checked += 1
    assert checked >= 50


def test_thresholds_in_rank_fallback_put_ties_in_lowest_tier():
    rng = np.random.default_rng(2)
    values = np.concatenate([np.zeros(450), rng.integers(1, 5, 300).astype(float), rng.lognormal(6, 1, 250)])
    assigned = assign_quantile_tiers(frame(values), "total_spend")
    t = tier_thresholds(assigned)
    assert (t["method"] == "rank").all()
    ranks = assigned["tier_rank"].astype(float).to_numpy()
    by_rule = rule_tiers(values, t)
    lowest_tier_of_value = pd.Series(ranks).groupby(values).transform("min").to_numpy()
    assert np.array_equal(by_rule, lowest_tier_of_value)
    # values not on a shared boundary keep their tier
    assert (by_rule == ranks).mean() > 0.5


def test_dax_measure_reproduces_the_assignment():
    values = np.random.default_rng(4).lognormal(9, 1.3, 2000)
    assigned = assign_quantile_tiers(frame(values), "total_spend")
    t = tier_thresholds(assigned)
    dax = thresholds_to_dax(t, measure_name="Spend Tier", value_expression="[Total Spend]")
    assert dax.startswith("Spend Tier =")
    assert "VAR _value = [Total Spend]" in dax and "ISBLANK ( _value ), BLANK ()" in dax
    # every edge is a plain decimal literal (DAX has no exponent form): all n-1 parse
    assert len(re.findall(r"_value <= (-?[0-9.]+), ", dax)) == dax.count("_value <=") == 4
    assert np.array_equal(dax_cascade(dax, values), assigned["tier_name"].to_numpy())
    # values beyond the observed range still get a tier
    assert dax_cascade(dax, np.array([-1.0, values.max() * 10])).tolist() == ["Low", "Top Spender"]


def test_dax_escapes_quotes_and_needs_thresholds():
    values = np.arange(20.0)
    assigned = assign_quantile_tiers(frame(values), "total_spend", n_tiers=2, labels=('say "lo"', "hi"))
    dax = thresholds_to_dax(tier_thresholds(assigned))
    assert '"say ""lo"""' in dax
    with pytest.raises(BankmartError):
        thresholds_to_dax(pd.DataFrame({"x": [1]}))
