"""Risk: scorecard reasons for hand-built customers, alert ordering, classifier holdout hygiene,
leakage refusal and the documented fallbacks for data scikit-learn cannot learn from."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from bankmart.errors import BankmartError
from bankmart.ml.config import RISK_DEFAULTS, RiskConfig, RiskRule
from bankmart.ml.risk import (
    rule_thresholds,
    score_customers,
    train_risk_classifiers,
)
from bankmart.ml.synthetic import synthetic_customer_features

RULES = {
    "rules": [
        {"code": "FRAUD_HISTORY", "feature": "fraud_txn_count", "threshold": 0, "points": 40},
        {"code": "SPEND_SPIKE", "feature": "recent_spend_ratio", "threshold": 2.0, "points": 25},
        {"code": "LATE_REPAYMENT", "feature": "late_repayment_share", "threshold": 0.3, "points": 25},
        {"code": "CASH_RELIANCE", "feature": "atm_share", "threshold": 0.5, "points": 15},
        {"code": "CROSS_BORDER", "feature": "cross_border_share", "threshold": 0.9, "points": 15,
         "kind": "percentile", "floor": 0.05},
    ],
    "medium_cutoff": 25,
    "high_cutoff": 40,
}


def customers(rows: dict[str, dict[str, float]], filler: int = 20) -> pd.DataFrame:
    """Named hand-built customers plus ``filler`` unremarkable ones (for the percentile rule)."""
    neutral = {"fraud_txn_count": 0.0, "recent_spend_ratio": 1.0, "late_repayment_share": 0.0,
               "atm_share": 0.1, "cross_border_share": 0.0}
    records = [{"customer_id": cid, **neutral, **values} for cid, values in rows.items()]
    records += [{"customer_id": f"z{i:03d}", **neutral} for i in range(filler)]
    return pd.DataFrame(records)


@pytest.fixture(scope="module")
def scored():
    df = customers(
        {
            "fraud": {"fraud_txn_count": 2},
            "spike_cash": {"recent_spend_ratio": 3.0, "atm_share": 0.8},
            "tie": {"recent_spend_ratio": 2.5, "late_repayment_share": 0.5},
            "everything": {"fraud_txn_count": 1, "recent_spend_ratio": 9, "late_repayment_share": 1,
                           "atm_share": 0.9, "cross_border_share": 0.7},
            "boundary": {"recent_spend_ratio": 2.0, "atm_share": 0.5, "late_repayment_share": 0.3},
            "unknown": {k: np.nan for k in ("fraud_txn_count", "recent_spend_ratio",
                                              "late_repayment_share", "atm_share", "cross_border_share")},
            "cash_only": {"atm_share": 0.51},
        }
    )
    return df, score_customers(df, RULES).set_index("customer_id")


def test_reasons_for_constructed_customers(scored):
    _, s = scored
    assert s.loc["fraud", ["risk_score", "risk_tier", "reason_1", "reasons"]].tolist() == [40, "High", "FRAUD_HISTORY", "FRAUD_HISTORY"]
    assert s.loc["spike_cash", "reasons"] == "SPEND_SPIKE;CASH_RELIANCE"
    assert s.loc["spike_cash", "risk_score"] == 40 and s.loc["spike_cash", "risk_tier"] == "High"
    # equal points: config order decides
    assert s.loc["tie", ["reason_1", "reason_2"]].tolist() == ["SPEND_SPIKE", "LATE_REPAYMENT"]
    every = s.loc["everything"]
    assert every["reasons"] == "FRAUD_HISTORY;SPEND_SPIKE;LATE_REPAYMENT;CASH_RELIANCE;CROSS_BORDER"
    assert every[["reason_1", "reason_2", "reason_3"]].tolist() == ["FRAUD_HISTORY", "SPEND_SPIKE", "LATE_REPAYMENT"]
    assert every["risk_score"] == 40 + 25 + 25 + 15 + 15
    # thresholds are strict: equal to the threshold does not fire
    assert s.loc["boundary", "risk_score"] == 0 and s.loc["boundary", "reasons"] == ""
    assert s.loc["unknown", "risk_score"] == 0 and pd.isna(s.loc["unknown", "reason_1"])
    assert s.loc["cash_only", ["risk_tier", "reason_1"]].tolist() == ["Low", "CASH_RELIANCE"]
    assert pd.isna(s.loc["cash_only", "reason_2"])


def test_points_columns_add_up(scored):
    _, s = scored
    points = s[[c for c in s.columns if c.startswith("points_")]]
    assert list(points.columns) == [f"points_{r['code'].lower()}" for r in RULES["rules"]]
    assert np.allclose(points.sum(axis=1), s["risk_score"])
    fired = s["reasons"].str.split(";").map(lambda x: {c for c in x if c})
    for rule in RULES["rules"]:
        has_points = s[f"points_{rule['code'].lower()}"] > 0
        assert (has_points == fired.map(lambda f, code=rule["code"]: code in f)).all()


def test_percentile_rule_uses_population_quantile_and_floor():
    values = np.linspace(0, 0.99, 100)
    df = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(100)], "cross_border_share": values})
    rules = {"rules": [RULES["rules"][4]]}
    s = score_customers(df, rules)
    threshold = np.quantile(values, 0.9)
    assert (s["points_cross_border"] > 0).tolist() == list(values > threshold)
    t = rule_thresholds(df, rules)
    assert np.isclose(t["applied_threshold"].iloc[0], threshold)
    # mostly zeros: the 90th percentile is 0 but the floor keeps tiny shares from firing
    sparse = df.assign(cross_border_share=np.where(np.arange(100) < 95, 0.0, 0.02))
    assert score_customers(sparse, rules)["risk_score"].eq(0).all()
    # all NULL: the rule never fires
    empty = df.assign(cross_border_share=np.nan)
    assert score_customers(empty, rules)["risk_score"].eq(0).all()


def test_default_rules_run_on_contract_columns():
    features, _ = synthetic_customer_features(500, seed=2)
    s = score_customers(features)
    assert len(s) == 500 and s["risk_tier"].isin(RISK_DEFAULTS.tier_labels).all()
    assert {f"points_{r.code.lower()}" for r in RISK_DEFAULTS.rules} <= set(s.columns)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rules": [{"code": "X", "feature": "nope", "threshold": 1, "points": 1}]}, "'nope'"),
        ({"rules": [{"code": "X", "feature": "atm_share", "threshold": 1, "points": 1, "kind": "zscore"}]}, "kind"),
        ({"rules": [{"code": "X", "feature": "atm_share", "threshold": 95, "points": 1, "kind": "percentile"}]}, "quantile"),
        ({"rules": [{"code": "X", "feature": "atm_share", "threshold": 1, "points": 1}] * 2}, "unique"),
        ({"medium_cutoff": 50, "high_cutoff": 10}, "high_cutoff"),
        ({"rules": [{"code": "X", "feature": "atm_share", "threshold": 1, "pts": 1}]}, "unknown risk rule"),
        ({"rules": []}, "no rules"),
    ],
)
def test_bad_scorecard_config(scored, config, message):
    df, _ = scored
    with pytest.raises(BankmartError, match=message):
        score_customers(df, config)


def test_scorecard_config_from_mapping_round_trip():
    cfg = RiskConfig.from_mapping(RULES)
    assert isinstance(cfg.rules[0], RiskRule) and cfg.rules[4].kind == "percentile"
    df = customers({"cash": {"atm_share": 0.9}})
    bare_list = score_customers(df, [RULES["rules"][3]])  # a bare list of rules works too
    assert bare_list.set_index("customer_id").loc["cash", "reasons"] == "CASH_RELIANCE"
    with pytest.raises(BankmartError, match="unique"):
        score_customers(pd.DataFrame({"customer_id": ["a", "a"], "atm_share": [0.1, 0.2]}),
                        {"rules": [RULES["rules"][3]]})


# ---------------------------------------------------------------- classifiers

FAST = {"rf_n_estimators": 30, "rf_max_samples": 2000}
FEATURES = ["fraud_txn_count", "recent_spend_ratio", "atm_share", "cross_border_share",
            "late_repayment_share", "online_share", "avg_monthly_spend"]


@pytest.fixture(scope="module")
def trained():
    features, _ = synthetic_customer_features(2500, seed=3)
    return features, train_risk_classifiers(features, FEATURES, "label", seed=1, test_size=0.3, config=FAST)


def test_holdout_split_by_customer_and_stratified(trained):
    features, result = trained
    p = result.predictions
    assert set(p["model"]) == {"logistic_regression", "random_forest"}
    assert len(p) == 2 * len(features)
    split = p[p["model"] == "random_forest"].set_index("customer_id")["split"]
    holdout, train = set(split[split == "holdout"].index), set(split[split == "train"].index)
    assert not holdout & train
    assert abs(len(holdout) / len(features) - 0.3) < 0.01
    labels = features.set_index("customer_id")["label"]
    assert abs(labels[list(holdout)].mean() - labels[list(train)].mean()) < 0.01


def test_metrics_are_probabilities_and_models_learn(trained):
    _, result = trained
    m = result.metrics.set_index(["model", "metric"])["value"]
    for model in ("logistic_regression", "random_forest"):
        for metric in ("roc_auc", "pr_auc", "base_rate"):
            assert 0.0 <= m[(model, metric)] <= 1.0
        assert m[(model, "roc_auc")] > 0.65  # label depends on planted risk
        assert m[(model, "pr_auc")] > m[(model, "base_rate")]
    assert result.predictions["probability"].between(0, 1).all()


def test_importances_are_tidy(trained):
    _, result = trained
    imp = result.importances
    assert set(imp.columns) >= {"model", "feature", "importance", "importance_type", "rank"}
    for _model, group in imp.groupby("model"):
        assert sorted(group["feature"]) == sorted(FEATURES)
        assert sorted(group["rank"]) == list(range(1, len(FEATURES) + 1))
    rf = imp[imp["model"] == "random_forest"]
    assert np.isclose(rf["importance"].sum(), 1.0)
    lr = imp[imp["model"] == "logistic_regression"].set_index("feature")["importance"]
    assert lr["fraud_txn_count"] > 0  # fraud history raises the later-outcome probability


def test_multi_row_customers_never_straddle_the_split():
    features, _ = synthetic_customer_features(600, seed=4)
    doubled = pd.concat([features, features.assign(recent_spend_ratio=features["recent_spend_ratio"] * 1.1)])
    result = train_risk_classifiers(doubled, FEATURES, "label", seed=0, test_size=0.25, config=FAST)
    split = result.predictions[result.predictions["model"] == "logistic_regression"]
    assert split.groupby("customer_id")["split"].nunique().eq(1).all()


def test_label_among_features_is_refused(trained):
    features, _ = trained
    with pytest.raises(BankmartError, match="leaks"):
        train_risk_classifiers(features, [*FEATURES, "label"], "label", config=FAST)
    with pytest.raises(BankmartError, match="id column"):
        train_risk_classifiers(features, [*FEATURES, "customer_id"], "label", config=FAST)


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (lambda f: f.assign(label=0), "0 positive"),
        (lambda f: f.iloc[:8], "each class"),
        (lambda f: f.assign(label=np.nan), "0 positive and 0 negative"),
    ],
)
def test_unlearnable_labels_fall_back_to_base_rate(trained, frame, why):
    features, _ = trained
    data = frame(features)
    result = train_risk_classifiers(data, FEATURES, "label", config=FAST)
    aucs = result.metrics[result.metrics["metric"].isin(["roc_auc", "pr_auc"])]
    assert aucs["value"].isna().all() and aucs["note"].str.contains(why).all()
    labels = pd.to_numeric(data["label"])
    expected = labels.mean() if labels.notna().any() else np.nan
    probs = result.predictions["probability"].to_numpy()
    assert len(probs) == 2 * len(data)
    assert np.allclose(probs, expected, equal_nan=True)


def test_null_labels_and_null_features(trained):
    features, _ = trained
    data = features.assign(late_repayment_share=np.nan, online_share=0.3)  # all NULL, constant
    data.loc[data.index[:100], "label"] = np.nan
    result = train_risk_classifiers(data, FEATURES, "label", config=FAST)
    p = result.predictions
    unlabelled = p[p["split"] == "unlabelled"]["customer_id"].unique()
    assert set(unlabelled) == set(data["customer_id"].iloc[:100])
    assert p["probability"].notna().all()
    assert "late_repayment_share" not in set(result.importances["feature"])
    assert result.metrics["note"].str.contains("late_repayment_share").any()


@pytest.mark.parametrize(
    ("mutate", "kwargs", "message"),
    [
        (lambda f: f.assign(label=2), {}, "0/1"),
        (lambda f: f.assign(label="yes"), {}, "0/1"),
        (lambda f: f.drop(columns="atm_share"), {}, "atm_share"),
        (lambda f: f.assign(atm_share="lots"), {}, "numeric"),
        (lambda f: f, {"test_size": 1.5}, "test_size"),
        (lambda f: f, {"feature_columns": []}, "empty"),
    ],
)
def test_bad_training_inputs(trained, mutate, kwargs, message):
    features, _ = trained
    args = {"feature_columns": FEATURES, "label_column": "label", **kwargs}
    with pytest.raises(BankmartError, match=message):
        train_risk_classifiers(mutate(features), config=FAST, **args)


def duckdb_types(df: pd.DataFrame) -> dict[str, str]:
    con = duckdb.connect()
    con.register("result", df)
    return {r[0]: r[1] for r in con.sql("describe select * from result").fetchall()}


def test_outputs_keep_their_types_when_empty_or_all_null(trained):
    quiet = customers({}, filler=5)  # nobody fires a rule: every reason column is NULL
    types = duckdb_types(score_customers(quiet, RULES))
    assert {types[c] for c in ("reason_1", "reason_2", "reason_3", "reasons", "risk_tier")} == {"VARCHAR"}
    assert types["risk_score"] == "DOUBLE"
    features, _ = trained
    fallback = train_risk_classifiers(features.assign(label=0), FEATURES, "label", config=FAST)
    assert duckdb_types(fallback.importances) == {
        "model": "VARCHAR", "feature": "VARCHAR", "importance": "DOUBLE", "importance_type": "VARCHAR", "rank": "BIGINT"
    }
    assert duckdb_types(fallback.metrics)["value"] == "DOUBLE"


def test_current_rows_are_scored_by_the_fitted_models(trained):
    """Rows passed as score_df get split 'current'; the same features give the same probability."""
    features, _ = trained
    later = features.sample(frac=0.5, random_state=0).drop(columns=["label"])
    result = train_risk_classifiers(
        features, FEATURES, "label", seed=1, test_size=0.3, config=FAST, score_df=later
    )
    preds = result.predictions
    current = preds[preds["split"] == "current"]
    assert len(current) == 2 * len(later)
    assert set(current["customer_id"]) == set(later["customer_id"])
    fitted = preds[preds["split"] != "current"].set_index(["customer_id", "model"])["probability"]
    again = current.set_index(["customer_id", "model"])["probability"]
    assert np.allclose(again.to_numpy(), fitted.loc[again.index].to_numpy())
    # and other features give other probabilities
    shifted = later.assign(fraud_txn_count=later["fraud_txn_count"] + 5)
    moved = train_risk_classifiers(
        features, FEATURES, "label", seed=1, test_size=0.3, config=FAST, score_df=shifted
    ).predictions
    moved_current = moved[moved["split"] == "current"].set_index(["customer_id", "model"])
    assert not np.allclose(moved_current.loc[again.index, "probability"].to_numpy(), again.to_numpy())


def test_current_rows_get_the_base_rate_when_nothing_can_be_trained(trained):
    features, _ = trained
    data = features.assign(label=0)
    result = train_risk_classifiers(data, FEATURES, "label", config=FAST, score_df=features.iloc[:10])
    current = result.predictions[result.predictions["split"] == "current"]
    assert len(current) == 2 * 10
    assert np.allclose(current["probability"], 0.0)
