"""Spend tiers: identical to pd.qcut whenever qcut succeeds, the documented policy where its edges
collide (ties share a tier, zero spend never above positive spend), and BI rules (thresholds,
DAX) that reproduce both."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from bankmart.errors import BankmartError
from bankmart.ml.config import TierConfig
from bankmart.ml.tiers import assign_quantile_tiers, thresholds_to_dax, tier_thresholds
from conftest import ml_meta

TIERS = ml_meta("ml_customer_spend_tiers", "tiers")
LABELS = list(TIERS["labels"])


def tiers(df: pd.DataFrame, **overrides) -> pd.DataFrame:
    """assign_quantile_tiers with the project's tier settings (YAML), some overridden."""
    return assign_quantile_tiers(df, "total_spend", **{**TIERS, **overrides})


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
    got = tiers(frame(values))
    expected = pd.qcut(values, q=5, labels=LABELS).astype(str)
    assert got["tier_name"].tolist() == list(expected)
    assert sorted(got["tier_code"].unique()) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    by_code = got.groupby("tier_code")["total_spend"].max()
    assert by_code.is_monotonic_increasing
    assert (got["tier_code"].str[1:].astype(int) == got["tier_rank"]).all()


def lowest_tier_by_hand(values: np.ndarray, n: int) -> np.ndarray:
    """The documented policy written out: 1 + the smallest k with value <= edge_(k+1), the edges
    being pd.qcut's quantile edges."""
    edges = pd.Series(values).dropna().quantile(np.linspace(0, 1, n + 1)).to_numpy()
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if not np.isnan(v):
            out[i] = next((k for k in range(1, n + 1) if v <= edges[k]), n)
    return out


def tied_arrays(seed: int = 3):
    """Zero-inflated and heavily tied spend, the shapes where pd.qcut refuses."""
    rng = np.random.default_rng(seed)
    for i in range(60):
        n = int(rng.integers(5, 800))
        kind = i % 4
        if kind == 0:
            v = np.where(rng.random(n) < rng.uniform(0.3, 0.95), 0.0, rng.lognormal(7, 1, n))
        elif kind == 1:
            v = rng.integers(0, 3, n).astype(float)
        elif kind == 2:
            v = np.where(rng.random(n) < 0.5, 100.0, rng.lognormal(4, 1, n))  # ties in the middle
        else:
            v = np.full(n, 42.0)
            v[: n // 10] = rng.lognormal(3, 1, n // 10)
        yield v, int(rng.integers(2, 9))


def test_colliding_edges_follow_the_lowest_tier_policy():
    rng = np.random.default_rng(5)
    values = np.concatenate([np.zeros(700), rng.lognormal(6, 1, 300)])
    ids = [f"C{i:05d}" for i in rng.permutation(len(values))]
    df = frame(values, ids)
    assert qcut_or_none(values, 5, False) is None  # the case pd.qcut refuses
    got = tiers(df)
    ranks = got["tier_rank"].astype(int).to_numpy()
    # every zero-spend customer shares the lowest tier; the tiers between equal edges are empty
    assert (ranks[values == 0] == 1).all()
    assert set(ranks) == {1, 4, 5}
    # exactly the documented rule, and the same whatever the row order
    assert np.array_equal(ranks, lowest_tier_by_hand(values, 5))
    shuffled = tiers(df.sample(frac=1, random_state=1))
    merged = got.merge(shuffled, on="customer_id", suffixes=("", "_s"))
    assert (merged["tier_rank"] == merged["tier_rank_s"]).all()


def test_policy_on_many_tied_arrays_ties_share_and_order_holds():
    refused = 0
    for values, n in tied_arrays():
        got = assign_quantile_tiers(frame(values), "total_spend", n_tiers=n)
        ranks = got["tier_rank"].astype(int).to_numpy()
        expected = qcut_or_none(values, n, False)
        if expected is not None:
            assert np.array_equal(ranks, np.asarray(expected) + 1)  # qcut whenever it succeeds
            continue
        refused += 1
        assert np.array_equal(ranks, lowest_tier_by_hand(values, n))
        assert pd.Series(ranks).groupby(values).nunique().eq(1).all()  # tied customers share a tier
        order = np.argsort(values, kind="stable")
        assert (np.diff(ranks[order]) >= 0).all()  # a lower value is never in a higher tier
        if (values == 0).any() and (values > 0).any():
            assert ranks[values == 0].max() <= ranks[values > 0].min()
    assert refused >= 30  # the arrays mostly are ones qcut refuses


def test_tie_policy_error_raises_on_collision():
    with pytest.raises(BankmartError, match="collide"):
        tiers(frame(np.r_[np.zeros(90), np.arange(10.0)]), tie_policy="error")


def test_nan_policies():
    rng = np.random.default_rng(9)
    values = rng.lognormal(5, 1, 200)
    values[::7] = np.nan
    df = frame(values)
    kept = tiers(df)
    assert kept["tier_rank"].isna().sum() == np.isnan(values).sum()
    expected = pd.qcut(values, 5, labels=False)
    assert np.array_equal(kept["tier_rank"].astype(float).to_numpy(), expected + 1, equal_nan=True)
    dropped = tiers(df, nan_policy="drop")
    assert len(dropped) == np.isfinite(values).sum() and dropped["tier_rank"].notna().all()
    zero = tiers(df, nan_policy="zero")
    assert zero.loc[np.isnan(values), "tier_rank"].eq(1).all()
    assert zero.loc[np.isnan(values), "total_spend"].eq(0).all()


def test_fewer_customers_than_tiers_is_still_qcut():
    values = np.array([10.0, 20.0, 30.0])
    got = tiers(frame(values))
    assert got["tier_rank"].tolist() == list(pd.qcut(values, 5, labels=False) + 1)  # qcut succeeds here
    single = tiers(frame([5.0]))
    assert single["tier_rank"].tolist() == [1]
    same = tiers(frame([7.0, 7.0, 7.0]))  # qcut refuses: everyone shares the lowest tier
    assert same["tier_rank"].tolist() == [1, 1, 1]


def test_all_null_measure_gives_null_tiers_with_stable_types():
    got = tiers(frame([np.nan] * 4))
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
        ({"tie_policy": "rank"}, "tie_policy"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(BankmartError, match=message):
        tiers(frame(np.arange(50.0)), **kwargs)


def test_bad_inputs():
    with pytest.raises(BankmartError, match="'spend' is not in the input"):
        assign_quantile_tiers(frame(np.arange(10.0)), "spend", n_tiers=5)
    df = pd.DataFrame({"customer_id": ["a", "b", "c"], "total_spend": ["x", "y", "z"]})
    with pytest.raises(BankmartError, match="numeric"):
        tiers(df)
    dupes = frame(np.arange(10.0), ids=["a"] * 10)
    with pytest.raises(BankmartError, match="unique"):
        tiers(dupes)


def test_other_tier_counts_get_generic_labels():
    got = assign_quantile_tiers(frame(np.arange(30.0)), "total_spend", n_tiers=3)
    assert list(got["tier_name"].unique()) == ["Tier 1", "Tier 2", "Tier 3"]


def test_config_from_mapping_drives_the_function():
    cfg = TierConfig.from_mapping({**TIERS, "n_tiers": 4, "labels": ["D", "C", "B", "A"],
                                   "codes": ["T1", "T2", "T3", "T4"]})
    got = assign_quantile_tiers(frame(np.arange(40.0)), "total_spend", **cfg.kwargs())
    assert got["tier_code"].tolist() == ["T1"] * 10 + ["T2"] * 10 + ["T3"] * 10 + ["T4"] * 10
    assert got["tier_name"].iloc[-1] == "A"
    with pytest.raises(BankmartError, match="unknown tier config"):
        TierConfig.from_mapping({**TIERS, "n_tier": 4})
    with pytest.raises(BankmartError, match="lacks option.*tie_policy"):
        TierConfig.from_mapping({k: v for k, v in TIERS.items() if k != "tie_policy"})


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


def test_thresholds_and_dax_reproduce_the_policy_where_edges_collide():
    checked = 0
    for values, n in tied_arrays(seed=8):
        if qcut_or_none(values, n, False) is not None:
            continue
        labels = [f"L{i}" for i in range(n)]
        codes = [f"Q{i}" for i in range(1, n + 1)]
        assigned = assign_quantile_tiers(frame(values), "total_spend", n_tiers=n, labels=labels, codes=codes)
        t = tier_thresholds(assigned, labels=labels, codes=codes)
        assert (t["method"] == "lowest_tier").all() and len(t) == n and t["tier_name"].tolist() == labels
        ranks = assigned["tier_rank"].astype(float).to_numpy()
        assert np.array_equal(rule_tiers(values, t), ranks)
        assert t["customers"].sum() == len(values) and (t.loc[t["customers"] == 0, "min_value"].isna()).all()
        dax = thresholds_to_dax(t)
        assert np.array_equal(dax_cascade(dax, values), assigned["tier_name"].to_numpy())
        # a value above everything seen gets the top tier, as assign's rule gives it
        above = np.array([values.max() + 1.0])
        assert dax_cascade(dax, above).tolist() == [labels[-1]] == [labels[int(rule_tiers(above, t)[0]) - 1]]
        checked += 1
    assert checked >= 30


def test_dax_measure_reproduces_the_assignment():
    values = np.random.default_rng(4).lognormal(9, 1.3, 2000)
    assigned = tiers(frame(values))
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
