"""Segmentation: k selection, archetype names that survive reruns, shuffles and relabelling,
profiles in original units, and every bad input ending in a message or a documented fallback."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from bankmart.errors import BankmartError
from bankmart.ml.config import DEFAULT_ARCHETYPES, Archetype, SegmentConfig, slugify
from bankmart.ml.segments import (
    DIAGNOSTIC_COLUMNS,
    choose_k,
    fit_segments,
    knee_point,
    match_archetypes,
    prepare_features,
    segment_customers,
)
from bankmart.ml.synthetic import synthetic_customer_features

FEATURES = (
    "avg_monthly_spend",
    "frequency",
    "spend_volatility",
    "atm_share",
    "online_share",
    "cross_border_share",
    "essential_share",
    "loan_count",
    "late_repayment_share",
)

# Each planted group raises one behaviour far above everyone else; the archetype expected for
# it is looked up by the feature it raises, not typed in as an answer.
PLANTED = {
    "online": ("online_share", 0.85),
    "cash": ("atm_share", 0.75),
    "abroad": ("cross_border_share", 0.6),
    "volatile": ("spend_volatility", 2.5),
    "loans": ("loan_count", 6.0),
}


def planted_groups(n_per: int = 150, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    rows, group = [], []
    for name, (feature, level) in PLANTED.items():
        base = {
            "avg_monthly_spend": rng.lognormal(10, 0.2, n_per),
            "frequency": rng.normal(8, 0.5, n_per),
            "spend_volatility": rng.normal(0.3, 0.03, n_per),
            "atm_share": rng.normal(0.1, 0.02, n_per),
            "online_share": rng.normal(0.2, 0.02, n_per),
            "cross_border_share": rng.normal(0.02, 0.005, n_per),
            "essential_share": rng.normal(0.5, 0.03, n_per),
            "loan_count": rng.poisson(0.2, n_per).astype(float),
            "late_repayment_share": rng.normal(0.05, 0.01, n_per),
        }
        base[feature] = rng.normal(level, level * 0.05, n_per)
        rows.append(pd.DataFrame(base))
        group += [name] * n_per
    df = pd.concat(rows, ignore_index=True)
    df.insert(0, "customer_id", [f"C{i:05d}" for i in rng.permutation(len(df))])
    return df, pd.Series(group, index=df.index)


def expected_archetype(feature: str) -> str:
    """The catalogue archetype whose strongest positive weight is on ``feature``."""
    best = max(
        DEFAULT_ARCHETYPES,
        key=lambda a: max((w for f, w in a.weights if f == feature), default=-np.inf),
    )
    return best.name


CONFIG = {"features": list(FEATURES), "k_min": 2, "k_max": 8}


@pytest.fixture(scope="module")
def planted():
    df, group = planted_groups()
    return df, group, fit_segments(df, CONFIG)


def test_planted_groups_get_their_archetype_names(planted):
    df, group, result = planted
    assert int(result.diagnostics.loc[result.diagnostics["is_chosen"], "k"].iloc[0]) == len(PLANTED)
    named = df[["customer_id"]].assign(group=group).merge(result.assignments, on="customer_id")
    for name, (feature, _) in PLANTED.items():
        names = named.loc[named["group"] == name, "segment_name"]
        assert names.nunique() == 1
        assert names.iloc[0] == expected_archetype(feature)
        assert named.loc[named["group"] == name, "segment_id"].iloc[0] == slugify(names.iloc[0])


def test_same_data_same_segments_across_runs_shuffles_and_seeds(planted):
    df, _, first = planted
    again = fit_segments(df, CONFIG)
    pd.testing.assert_frame_equal(first.assignments, again.assignments)
    pd.testing.assert_frame_equal(first.profiles, again.profiles)
    shuffled = fit_segments(df.sample(frac=1.0, random_state=3).reset_index(drop=True), CONFIG)
    pd.testing.assert_frame_equal(first.assignments, shuffled.assignments)
    # another seed numbers the K-Means clusters differently; names and ids must not move
    other_seed = fit_segments(df, {**CONFIG, "random_state": 7})
    merged = first.assignments.merge(other_seed.assignments, on="customer_id")
    assert (merged["segment_id_x"] == merged["segment_id_y"]).all()


def test_assignments_and_profiles_shape(planted):
    df, _, result = planted
    a, p = result.assignments, result.profiles
    assert list(a.columns) == ["customer_id", "segment_id", "segment_name", "distance_to_centroid"]
    assert sorted(a["customer_id"]) == sorted(df["customer_id"]) and (a["distance_to_centroid"] >= 0).all()
    assert p["customers"].sum() == len(df) and np.isclose(p["share"].sum(), 1.0)
    assert p["segment_id"].is_unique and set(p["segment_id"]) == set(a["segment_id"])
    assert p["customers"].is_monotonic_decreasing
    assert all(p["description"].str.len() > 20) and all(p["recommended_action"].str.len() > 10)
    # centroids are in original units: each segment's centroid sits near its members' median
    joined = df.merge(a, on="customer_id")
    for feature in ("online_share", "atm_share", "loan_count"):
        medians = joined.groupby("segment_id")[feature].median()
        centroid = p.set_index("segment_id")[feature]
        assert np.allclose(centroid[medians.index], medians, atol=0.1 * max(1.0, medians.max()))


def test_diagnostics(planted):
    _, _, result = planted
    d = result.diagnostics
    assert list(d.columns) == list(DIAGNOSTIC_COLUMNS)
    assert d["k"].tolist() == list(range(2, 9))
    assert d["is_chosen"].sum() == 1 and d["is_knee"].sum() == 1
    assert d["inertia"].is_monotonic_decreasing
    assert d["silhouette"].between(-1, 1).all()
    chosen = d.loc[d["is_chosen"]].iloc[0]
    assert chosen["silhouette"] >= (1 - SegmentConfig().silhouette_tolerance) * d["silhouette"].max()


@pytest.mark.parametrize("planted_k", [3, 6])
def test_choose_k_finds_planted_k_on_blobs(planted_k):
    x, _ = make_blobs(n_samples=1200, centers=planted_k, n_features=4, cluster_std=0.6,
                      center_box=(-12, 12), random_state=planted_k)
    diagnostics, _, _ = choose_k((x - x.mean(0)) / x.std(0), {"k_min": 2, "k_max": 9})
    assert int(diagnostics.loc[diagnostics["is_chosen"], "k"].iloc[0]) == planted_k


def test_choose_k_samples_stay_bounded():
    x, _ = make_blobs(n_samples=3000, centers=4, n_features=3, random_state=1)
    d, _, _ = choose_k(x, {"k_min": 2, "k_max": 5, "fit_sample_size": 1000, "silhouette_sample_size": 500})
    assert (d["fit_sample_rows"] == 1000).all() and (d["silhouette_sample_rows"] == 500).all()
    assert int(d.loc[d["is_chosen"], "k"].iloc[0]) == 4


def test_knee_point_on_a_bent_curve():
    ks = list(range(1, 9))
    inertia = [1000, 500, 120, 100, 85, 75, 68, 62]  # bends at 3
    assert knee_point(ks, inertia) == 3
    # big steady drops up to the elbow at 6, then flat: the raw-scale chord would say 5
    assert knee_point(list(range(2, 10)), [2048, 1363, 746, 274, 80, 76, 72, 67]) == 6
    assert knee_point([2, 3], [10, 5]) == 2
    assert knee_point([2, 3, 4], [5, 5, 5]) == 2


def test_match_archetypes_is_one_to_one_and_optimal():
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.normal(size=(4, 6)), columns=list("abcdef"))
    scores.iloc[0, 0], scores.iloc[1, 0], scores.iloc[1, 1] = 3.0, 2.9, 0.1  # greedy would misplace
    matches = match_archetypes(scores, min_score=-10)
    names = [m[0] for m in matches]
    assert len(set(names)) == 4
    best = max(
        sum(scores.iloc[i][c] for i, c in enumerate(perm)) for perm in itertools.permutations(scores.columns, 4)
    )
    assert np.isclose(sum(m[1] for m in matches), best)
    below = match_archetypes(scores, min_score=10)
    assert all(m[0] is None for m in below)


def test_weak_or_missing_archetypes_fall_back_to_segment_n(planted):
    df, _, _ = planted
    only_one = [{"name": "Digital Spenders", "weights": {"online_share": 1.0},
                 "description": "d", "recommended_action": "a"}]
    result = fit_segments(df, {**CONFIG, "k": 5, "archetypes": only_one})
    profiles = result.profiles
    assert (profiles["segment_name"] == "Digital Spenders").sum() == 1
    others = profiles[profiles["segment_name"] != "Digital Spenders"]
    assert (others["segment_name"] == "Segment " + others["segment_rank"].astype(str)).all()
    assert (others["segment_id"] == "segment_" + others["segment_rank"].astype(str)).all()
    assert any("matched no archetype" in w for w in result.warnings)


def test_synthetic_personas_are_recovered_better_than_chance():
    features, truth = synthetic_customer_features(3000, seed=5)
    assignments = segment_customers(features)
    joined = truth.merge(assignments, on="customer_id")
    assert adjusted_rand_score(joined["persona"], joined["segment_id"]) > 0.25


# ---------------------------------------------------------------- bad inputs


def test_constant_all_null_and_single_month_features_are_dropped_with_warnings(planted):
    df, _, _ = planted
    bad = df.assign(essential_share=0.4, spend_volatility=np.nan)  # one month: CV undefined
    result = fit_segments(bad, CONFIG)
    used = result.diagnostics["features_used"].iloc[0].split(";")
    assert "essential_share" not in used and "spend_volatility" not in used
    text = " ".join(result.warnings)
    assert "essential_share is constant" in text and "spend_volatility is NULL for every customer" in text
    assert result.profiles["spend_volatility"].isna().all()
    assert np.allclose(result.profiles["essential_share"], 0.4)


def test_nulls_are_imputed_with_median(planted):
    df, _, _ = planted
    holes = df.copy()
    holes.loc[::10, "online_share"] = np.nan
    prep = prepare_features(holes, CONFIG)
    assert np.isfinite(prep.matrix).all()
    j = prep.features.index("online_share")
    filled = prep.to_original(prep.matrix)[:, j]
    original = holes.sort_values("customer_id")["online_share"].to_numpy()
    assert np.allclose(filled[np.isnan(original)], np.nanmedian(original))
    assert any(f"online_share: {int(np.isnan(original).sum())} NULL" in w for w in prep.warnings)


def test_too_few_customers_reduce_k():
    df, _ = planted_groups(n_per=1)  # 5 customers
    result = fit_segments(df.iloc[:4], {**CONFIG, "k_min": 3, "k_max": 8})
    assert result.diagnostics["k"].max() <= 4
    assert any("reduced" in w for w in result.warnings)
    assert result.assignments["segment_id"].notna().all()


@pytest.mark.parametrize("n_rows", [1, 3])
def test_single_profile_falls_back_to_one_segment(n_rows):
    df = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n_rows)], **{f: 1.0 for f in FEATURES}})
    result = fit_segments(df, CONFIG)
    assert result.assignments["segment_name"].eq("All Customers").all()
    assert result.profiles["customers"].tolist() == [n_rows]
    assert result.diagnostics["is_chosen"].tolist() == [True]


@pytest.mark.parametrize(
    ("mutate", "config", "message"),
    [
        (lambda d: d.drop(columns="atm_share"), {}, "atm_share"),
        (lambda d: d.assign(atm_share="high"), {}, "must be numeric"),
        (lambda d: d.iloc[:0], {}, "empty"),
        (lambda d: pd.concat([d, d.iloc[:1]]), {}, "unique"),
        (lambda d: d.assign(online_share=-d["online_share"]), {"log_features": ["online_share"]}, "negative"),
        (lambda d: d, {"k_min": 5, "k_max": 2}, "k_min"),
        (lambda d: d, {"clusters": 3}, "unknown segment config"),
        (lambda d: d, {"features": []}, "features is empty"),
        (lambda d: d, {"silhouette_tolerance": 5}, "fraction"),
        (lambda d: d, {"features": ["atm_share", "atm_share"]}, "twice"),
    ],
)
def test_bad_inputs_raise_clear_errors(planted, mutate, config, message):
    df, _, _ = planted
    with pytest.raises(BankmartError, match=message):
        fit_segments(mutate(df), {**CONFIG, **config})


def test_archetype_from_mapping_validates():
    arch = Archetype.from_mapping({"name": "Night Owls", "weights": {"night_share": 1}})
    assert arch.segment_id == "night_owls" and arch.weights == (("night_share", 1.0),)
    with pytest.raises(BankmartError, match="archetype"):
        Archetype.from_mapping({"weights": {}})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_silhouette_from_distances_equals_scikit_learn(seed: int) -> None:
    from sklearn.metrics import pairwise_distances, silhouette_score

    from bankmart.ml.segments import silhouette_from_distances

    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(c, 1.0, size=(150, 4)) for c in (0, 3, 6)])
    labels = rng.integers(0, 4, size=len(x))
    labels[7] = 9  # a sample alone in its cluster scores 0
    x[20] = x[21]  # duplicate points: zero distances
    distances = pairwise_distances(x)
    expected = silhouette_score(distances, labels, metric="precomputed")
    assert silhouette_from_distances(distances, labels) == pytest.approx(expected, rel=1e-10, abs=1e-12)
