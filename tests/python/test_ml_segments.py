"""Segmentation: only the features a bank's data carries, names and descriptions that state only
what a segment clearly shows, k selection, segments that survive reruns, seeds, shuffles and
subsamples, and every bad input ending in a message or a documented fallback."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from bankmart.errors import BankmartError
from bankmart.ml.config import SegmentConfig, slugify
from bankmart.ml.segments import (
    DIAGNOSTIC_COLUMNS,
    TYPICAL_NAME,
    choose_k,
    fit_segments,
    format_value,
    knee_point,
    match_archetypes,
    prepare_features,
)
from bankmart.ml.synthetic import synthetic_customer_features
from conftest import ml_meta

SEGMENTS = ml_meta("ml_segmentation", "segments")
FEATURES = (
    "frequency",
    "txn_count_volatility",
    "atm_withdrawal_txn_share",
    "online_txn_share",
    "cross_border_txn_share",
    "groceries_purchase_share",
    "loans_per_year",
)
PROFILE = ("late_repayment_share",)


def config(features=FEATURES, profile=PROFILE, **overrides) -> dict:
    """The project's segmentation settings on a subset of its features."""
    return {
        **SEGMENTS,
        "features": [f for f in SEGMENTS["features"] if f["name"] in features],
        "profile_features": [f for f in SEGMENTS["profile_features"] if f["name"] in profile],
        **overrides,
    }


CONFIG = config(k_min=2, k_max=8)

# Each planted group raises one behaviour far above everyone else, to a level that meets the
# archetype's conditions; the expected name is looked up from the YAML, not typed in.
PLANTED = {
    "online": ("online_txn_share", 0.6),
    "cash": ("atm_withdrawal_txn_share", 0.6),
    "abroad": ("cross_border_txn_share", 0.3),
    "volatile": ("txn_count_volatility", 1.6),
    "loans": ("loans_per_year", 4.0),
}


def planted_groups(n_per: int = 150, seed: int = 0, levels: dict | None = None) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    rows, group = [], []
    for name, (feature, level) in (levels or PLANTED).items():
        base = {
            "frequency": rng.normal(5, 0.4, n_per),
            "txn_count_volatility": rng.normal(0.5, 0.04, n_per),
            "atm_withdrawal_txn_share": rng.normal(0.1, 0.02, n_per),
            "online_txn_share": rng.normal(0.15, 0.02, n_per),
            "cross_border_txn_share": rng.normal(0.02, 0.004, n_per),
            "groceries_purchase_share": rng.normal(0.2, 0.02, n_per),
            "loans_per_year": rng.poisson(0.1, n_per).astype(float),
            "late_repayment_share": rng.uniform(0, 0.2, n_per),
        }
        base[feature] = rng.normal(level, level * 0.05, n_per)
        rows.append(pd.DataFrame(base))
        group += [name] * n_per
    df = pd.concat(rows, ignore_index=True)
    df.insert(0, "customer_id", [f"C{i:05d}" for i in rng.permutation(len(df))])
    return df, pd.Series(group, index=df.index)


def expected_archetype(feature: str) -> str:
    """The YAML archetype with a 'high' condition on ``feature`` alone."""
    for arch in SEGMENTS["archetypes"]:
        conditions = arch["conditions"]
        if len(conditions) == 1 and conditions[0]["feature"] == feature and conditions[0]["direction"] == "high":
            return arch["name"]
    raise AssertionError(f"no archetype for {feature}")


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


def test_same_data_same_segments_across_runs_shuffles_seeds_and_subsamples(planted):
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
    # a 90% subsample: the same k and the same segment for the customers it keeps
    subsample = fit_segments(df.sample(frac=0.9, random_state=5), CONFIG)
    merged = first.assignments.merge(subsample.assignments, on="customer_id")
    assert set(subsample.profiles["segment_name"]) == set(first.profiles["segment_name"])
    assert adjusted_rand_score(merged["segment_id_x"], merged["segment_id_y"]) > 0.99


def test_assignments_and_profiles_shape(planted):
    df, _, result = planted
    a, p = result.assignments, result.profiles
    assert list(a.columns) == ["customer_id", "segment_id", "segment_name", "distance_to_centroid"]
    assert sorted(a["customer_id"]) == sorted(df["customer_id"]) and (a["distance_to_centroid"] >= 0).all()
    assert p["customers"].sum() == len(df) and np.isclose(p["share"].sum(), 1.0)
    assert p["segment_id"].is_unique and set(p["segment_id"]) == set(a["segment_id"])
    assert p["customers"].is_monotonic_decreasing
    assert all(p["description"].str.len() > 20) and all(p["recommended_action"].str.len() > 10)
    # profiles are the members' means, for the features clustered on and the profile ones
    joined = df.merge(a, on="customer_id")
    for feature in (*FEATURES, *PROFILE):
        means = joined.groupby("segment_id")[feature].mean()
        assert np.allclose(p.set_index("segment_id")[feature][means.index], means)


def test_diagnostics(planted):
    _, _, result = planted
    d = result.diagnostics
    assert list(d.columns) == list(DIAGNOSTIC_COLUMNS)
    assert d["k"].tolist() == list(range(2, 9))
    assert d["is_chosen"].sum() == 1 and d["is_knee"].sum() == 1
    assert d["inertia"].is_monotonic_decreasing
    assert d["silhouette"].between(-1, 1).all()
    chosen = d.loc[d["is_chosen"]].iloc[0]
    assert chosen["silhouette"] >= (1 - SegmentConfig.from_mapping(CONFIG).silhouette_tolerance) * d["silhouette"].max()


# ---------------------------------------------------------------- what the data carries


def test_only_features_that_carry_information_are_used(planted):
    """A bank whose data does not tell the channel: the ATM share is not clustered on, and no
    segment can be called Cash-Heavy, however its customers behave."""
    df, group, _ = planted
    available = [f for f in FEATURES if f != "atm_withdrawal_txn_share"]
    result = fit_segments(df, CONFIG, available=available)
    used = result.diagnostics["features_used"].iloc[0].split(";")
    assert "atm_withdrawal_txn_share" not in used and set(used) <= set(available)
    assert any("not used: atm_withdrawal_txn_share" in w for w in result.warnings)
    assert expected_archetype("atm_withdrawal_txn_share") not in set(result.profiles["segment_name"])
    assert not result.profiles["description"].str.contains("ATM").any()
    assert not result.profiles["segment_name"].str.contains("Cash").any()


def test_names_and_descriptions_state_only_clear_differences(planted):
    """Every difference a description names is clear (|z| >= clear_z on the model's scale) and
    points the way the members' mean does; every archetype's conditions hold."""
    df, _, result = planted
    cfg = SegmentConfig.from_mapping(CONFIG)
    prep = prepare_features(df, cfg)
    z = pd.DataFrame(prep.matrix, columns=prep.features)
    segment = result.assignments.set_index("customer_id")["segment_name"].reindex(prep.ids).to_numpy()
    centre_z = z.groupby(segment).mean()
    means = prep.original.groupby(segment).mean()
    overall = prep.original.mean()
    labels = {f.label: f.name for f in cfg.features}
    pattern = re.compile(r"(High|high|Low|low) (.+?): ([^ ]+) \(all customers ([^)]+)\)")
    for row in result.profiles.itertuples():
        parts = pattern.findall(row.description)
        assert parts, row.description
        for direction, label, _value, _overall in parts:
            f = labels[label]
            sign = 1 if direction.lower() == "high" else -1
            assert sign * centre_z.loc[row.segment_name, f] >= cfg.clear_z
            assert sign * (means.loc[row.segment_name, f] - overall[f]) > 0
        arch = next((a for a in cfg.archetypes if a.name == row.segment_name), None)
        for cond in arch.conditions if arch else ():
            value = means.loc[row.segment_name, cond.feature]
            assert cond.min_value is None or value >= cond.min_value
            assert cond.max_value is None or value <= cond.max_value
        assert not re.search(r"Segment \d", row.segment_name) and "-0.0" not in row.description


def test_an_archetype_needs_its_level_not_only_a_difference():
    """A group whose ATM share stands out (0.17 against 0.1) but stays below the Cash-Heavy
    level (a quarter of transactions) is named for what it shows, not Cash-Heavy."""
    levels = {"cash": ("atm_withdrawal_txn_share", 0.17), "online": ("online_txn_share", 0.6)}
    df, group = planted_groups(levels=levels)
    result = fit_segments(df, config(k=2))
    names = df[["customer_id"]].assign(group=group).merge(result.assignments, on="customer_id")
    cash_name = names.loc[names["group"] == "cash", "segment_name"].iloc[0]
    assert cash_name != expected_archetype("atm_withdrawal_txn_share")
    assert cash_name.startswith(("High ", "Low ")) or cash_name == TYPICAL_NAME
    assert names.loc[names["group"] == "online", "segment_name"].iloc[0] == expected_archetype("online_txn_share")


def test_segments_nothing_tells_apart_are_typical_and_merged():
    """One group stands out; the rest is one homogeneous crowd that K-Means cuts in two. Both
    halves differ by less than clear_z: they are one "Typical Customers" segment."""
    rng = np.random.default_rng(1)
    crowd, _ = planted_groups(n_per=400, levels={"crowd": ("frequency", 5.0)}, seed=1)
    crowd["frequency"] = rng.normal(5, 1.0, len(crowd))
    online, _ = planted_groups(n_per=100, levels={"online": ("online_txn_share", 0.6)}, seed=2)
    online["customer_id"] = "O" + online["customer_id"]
    df = pd.concat([crowd, online], ignore_index=True).assign(loans_per_year=0.0)  # nobody borrows
    result = fit_segments(df, config(k=3, clear_z=1.5))
    assert set(result.profiles["segment_name"]) == {expected_archetype("online_txn_share"), TYPICAL_NAME}
    typical = result.profiles.set_index("segment_name").loc[TYPICAL_NAME]
    assert typical["customers"] == 400 and "No behaviour differs clearly" in typical["description"]
    assert any("merged" in w for w in result.warnings)


def test_no_usable_feature_gives_one_honest_segment(planted):
    df, _, _ = planted
    result = fit_segments(df, CONFIG, available=[])
    assert result.assignments["segment_name"].eq("All Customers").all()
    (description,) = result.profiles["description"]
    assert "no behaviour feature carries information" in description
    assert result.diagnostics["is_chosen"].tolist() == [True]


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [(-0.0001, "number", "0.00"), (-0.001, "percent", "-0.1%"), (-0.00001, "percent", "0.0%"),
     (0.4123, "percent", "41%"), (-3.5, "number", "-3.50"), (123456.7, "amount", "123,457"),
     (-0.4, "amount", "0"), (float("nan"), "number", "n/a")],
)
def test_values_are_written_in_their_units_without_negative_zero(value, fmt, text):
    assert format_value(value, fmt) == text


# ---------------------------------------------------------------- k and matching


@pytest.mark.parametrize("planted_k", [3, 6])
def test_choose_k_finds_planted_k_on_blobs(planted_k):
    x, _ = make_blobs(n_samples=1200, centers=planted_k, n_features=4, cluster_std=0.6,
                      center_box=(-12, 12), random_state=planted_k)
    diagnostics, _, _ = choose_k((x - x.mean(0)) / x.std(0), {**CONFIG, "k_min": 2, "k_max": 9})
    assert int(diagnostics.loc[diagnostics["is_chosen"], "k"].iloc[0]) == planted_k


def test_choose_k_samples_stay_bounded():
    x, _ = make_blobs(n_samples=3000, centers=4, n_features=3, random_state=1)
    d, _, _ = choose_k(x, {**CONFIG, "k_min": 2, "k_max": 5, "fit_sample_size": 1000, "silhouette_sample_size": 500})
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


def test_match_archetypes_is_one_to_one_optimal_and_only_among_eligible():
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.normal(size=(4, 6)), columns=list("abcdef"))
    scores.iloc[0, 0], scores.iloc[1, 0], scores.iloc[1, 1] = 3.0, 2.9, 0.1  # greedy would misplace
    everyone = pd.DataFrame(True, index=scores.index, columns=scores.columns)
    matches = match_archetypes(scores, everyone)
    names = [m[0] for m in matches]
    assert len(set(names)) == 4
    best = max(
        sum(scores.iloc[i][c] for i, c in enumerate(perm)) for perm in itertools.permutations(scores.columns, 4)
    )
    assert np.isclose(sum(m[1] for m in matches), best)
    # an archetype whose conditions fail is never given, however well it would score
    only_a = everyone & False
    only_a.iloc[2, 0] = True
    assert [m[0] for m in match_archetypes(scores, only_a)] == [None, None, "a", None]


def test_synthetic_personas_are_recovered_and_stable_across_seeds():
    features, truth = synthetic_customer_features(3000, seed=5)
    settings = ml_meta("ml_segmentation", "segments")
    first = fit_segments(features, settings)
    joined = truth.merge(first.assignments, on="customer_id")
    assert adjusted_rand_score(joined["persona"], joined["segment_id"]) > 0.5
    other = fit_segments(features, {**settings, "random_state": 3})
    assert adjusted_rand_score(first.assignments["segment_id"], other.assignments["segment_id"]) > 0.95


# ---------------------------------------------------------------- bad inputs


def test_constant_all_null_and_single_month_features_are_dropped_with_warnings(planted):
    df, _, _ = planted
    bad = df.assign(groceries_purchase_share=0.4, txn_count_volatility=np.nan)
    result = fit_segments(bad, CONFIG)
    used = result.diagnostics["features_used"].iloc[0].split(";")
    assert "groceries_purchase_share" not in used and "txn_count_volatility" not in used
    text = " ".join(result.warnings)
    assert "groceries_purchase_share is constant" in text and "txn_count_volatility is NULL for every customer" in text
    assert result.profiles["txn_count_volatility"].isna().all()
    assert np.allclose(result.profiles["groceries_purchase_share"], 0.4)


def test_nulls_are_imputed_with_median(planted):
    df, _, _ = planted
    holes = df.copy()
    holes.loc[::10, "online_txn_share"] = np.nan
    prep = prepare_features(holes, CONFIG)
    assert np.isfinite(prep.matrix).all()
    j = prep.features.index("online_txn_share")
    filled = prep.to_original(prep.matrix)[:, j]
    original = holes.sort_values("customer_id")["online_txn_share"].to_numpy()
    assert np.allclose(filled[np.isnan(original)], np.nanmedian(original))
    assert any(f"online_txn_share: {int(np.isnan(original).sum())} NULL" in w for w in prep.warnings)


def test_too_few_customers_reduce_k():
    df, _ = planted_groups(n_per=1)  # 5 customers
    result = fit_segments(df.iloc[:4], {**CONFIG, "k_min": 3, "k_max": 8})
    assert result.diagnostics["k"].max() <= 4
    assert any("reduced" in w for w in result.warnings)
    assert result.assignments["segment_id"].notna().all()


@pytest.mark.parametrize("n_rows", [1, 3])
def test_single_profile_falls_back_to_one_segment(n_rows):
    df = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n_rows)],
                       **{f: 1.0 for f in (*FEATURES, *PROFILE)}})
    result = fit_segments(df, CONFIG)
    assert result.assignments["segment_name"].eq("All Customers").all()
    assert result.profiles["customers"].tolist() == [n_rows]
    assert result.diagnostics["is_chosen"].tolist() == [True]


@pytest.mark.parametrize(
    ("mutate", "change", "message"),
    [
        (lambda d: d.drop(columns="online_txn_share"), {}, "online_txn_share"),
        (lambda d: d.assign(online_txn_share="high"), {}, "must be numeric"),
        (lambda d: d.iloc[:0], {}, "empty"),
        (lambda d: pd.concat([d, d.iloc[:1]]), {}, "unique"),
        (lambda d: d.assign(online_txn_share=-d["online_txn_share"]), {"log_features": ["online_txn_share"]}, "negative"),
        (lambda d: d, {"k_min": 5, "k_max": 2}, "k_min"),
        (lambda d: d, {"clusters": 3}, "unknown segment config"),
        (lambda d: d, {"features": []}, "features is empty"),
        (lambda d: d, {"silhouette_tolerance": 5}, "fraction"),
        (lambda d: d, {"clear_z": 0}, "clear_z"),
        (lambda d: d, {"features": CONFIG["features"][:1] * 2}, "twice"),
        (lambda d: d, {"archetypes": [{"name": "X", "weights": {}, "recommended_action": "a"}]}, "archetype"),
        (lambda d: d, {"archetypes": [{"name": "Typical Customers", "conditions": [{"feature": "frequency", "direction": "high"}],
                                       "weights": {}, "recommended_action": "a"}]}, "distinct ids"),
    ],
)
def test_bad_inputs_raise_clear_errors(planted, mutate, change, message):
    df, _, _ = planted
    with pytest.raises(BankmartError, match=message):
        fit_segments(mutate(df), {**CONFIG, **change})


def test_segment_settings_come_from_the_yaml_only(planted):
    df, _, _ = planted
    with pytest.raises(BankmartError, match="lacks option.*n_init"):
        fit_segments(df, {k: v for k, v in CONFIG.items() if k != "n_init"})


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
