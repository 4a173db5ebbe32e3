"""Risk: severities and reasons for hand-built customers, rules that cannot be assessed (per
rule and per customer), classifier holdout hygiene, leakage refusal and the documented fallbacks
for data scikit-learn cannot learn from."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from bankmart.errors import BankmartError
from bankmart.ml.config import RiskConfig
from bankmart.ml.risk import (
    rule_summary,
    score_customers,
    severities,
    train_risk_classifiers,
)
from bankmart.ml.synthetic import synthetic_customer_features
from conftest import ml_meta

SCORECARD = ml_meta("ml_customer_risk_scores", "scorecard")
RULES = RiskConfig.from_mapping(SCORECARD).rules
SIGNALS = [r.signal for r in RULES]
NEUTRAL = {"fraud_txn_count": 0.0, "late_repayment_share": 0.0, "spend_spike_ratio": 1.0,
           "cash_withdrawal_surge": 0.0, "cross_border_txn_surge": 0.0}


def customers(rows: dict[str, dict[str, float]], filler: int = 200, seed: int = 0) -> pd.DataFrame:
    """Named hand-built customers plus ``filler`` ordinary ones whose signals vary a little
    (the population the percentiles are taken in)."""
    rng = np.random.default_rng(seed)
    records = [{"customer_id": cid, **NEUTRAL, **values} for cid, values in rows.items()]
    for i in range(filler):
        records.append({
            "customer_id": f"z{i:04d}",
            "fraud_txn_count": 0.0,
            "late_repayment_share": float(rng.choice([0.0, 0.0, 0.0, 0.05, 0.1])),
            "spend_spike_ratio": float(rng.lognormal(0, 0.2)),
            "cash_withdrawal_surge": float(rng.normal(0, 0.1)),
            "cross_border_txn_surge": float(rng.normal(0, 0.3)),
        })
    return pd.DataFrame(records)


@pytest.fixture(scope="module")
def scored():
    df = customers(
        {
            "fraud": {"fraud_txn_count": 3},
            "cash_out": {"cash_withdrawal_surge": 2.5, "spend_spike_ratio": 1.3},
            "spike_and_burst": {"spend_spike_ratio": 6.0, "cross_border_txn_surge": 9.0},
            "unknown": {c: np.nan for c in SIGNALS},
            "half_known": {"fraud_txn_count": np.nan, "late_repayment_share": np.nan},
        }
    )
    return df, score_customers(df, SCORECARD).set_index("customer_id")


def test_severity_is_the_percentile_above_the_floor_and_null_when_unknown():
    values = np.array([0.0, 0.0, 1.0, 2.0, np.nan, 4.0])
    got = severities(values, floor=0.0)
    # average ranks among the 5 known values: 0, 0 -> 1.5; 1 -> 3; 2 -> 4; 4 -> 5
    assert np.allclose(got[[2, 3, 5]], [60.0, 80.0, 100.0])
    assert (got[[0, 1]] == 0).all()  # at the floor: nothing happened
    assert np.isnan(got[4])  # not assessable
    assert np.isnan(severities(np.array([np.nan, np.nan]), 0.0)).all()


def test_score_is_the_strongest_severity_and_sets_the_tier(scored):
    _, s = scored
    severity = s[[f"severity_{r.code.lower()}" for r in RULES]]
    assessed = s["rules_assessed"] > 0
    assert np.allclose(s.loc[assessed, "risk_score"], severity[assessed].max(axis=1))
    cfg = RiskConfig.from_mapping(SCORECARD)
    expected = np.where(s["risk_score"] >= cfg.high_cutoff, "High",
                        np.where(s["risk_score"] >= cfg.medium_cutoff, "Medium", "Low"))
    assert (s.loc[assessed, "risk_tier"] == expected[assessed.to_numpy()]).all()
    # the planted customers are at the top of their signal: High; ordinary ones are not alerted
    assert (s.loc[["fraud", "cash_out", "spike_and_burst"], "risk_tier"] == "High").all()
    assert (s.filter(like="z", axis=0)["risk_tier"] != "High").mean() > 0.9


def test_reasons_name_each_signal_and_its_value_strongest_first(scored):
    _, s = scored
    assert s.loc["fraud", "reasons"] == "FRAUD_HISTORY"
    assert s.loc["fraud", "reason_details"] == "FRAUD_HISTORY: 3 confirmed fraud transaction(s) (percentile 100.0)"
    assert s.loc["cash_out", "reason_1"] == "CASH_OUT" and pd.isna(s.loc["cash_out", "reason_2"])
    assert "ATM withdrawals up by 2.5x a usual month's spend" in s.loc["cash_out", "reason_details"]
    both = s.loc["spike_and_burst"]
    assert {both["reason_1"], both["reason_2"]} == {"SPEND_SPIKE", "CROSS_BORDER_BURST"}
    assert both["reasons"] == f"{both['reason_1']};{both['reason_2']}"
    assert "monthly spend 6.0x the customer's baseline" in both["reason_details"]
    assert "9.0 more transactions abroad a month than usual" in both["reason_details"]
    # a rule is a reason exactly when its severity reaches reason_min_severity
    cfg = RiskConfig.from_mapping(SCORECARD)
    listed = s["reasons"].str.split(";").map(lambda codes: {c for c in codes if c})
    for rule in RULES:
        is_reason = s[f"severity_{rule.code.lower()}"].fillna(0) >= cfg.reason_min_severity
        assert (is_reason == listed.map(lambda codes, code=rule.code: code in codes)).all()


def test_rules_without_input_are_not_assessable_per_customer(scored):
    _, s = scored
    unknown = s.loc["unknown"]
    assert unknown["risk_tier"] == "Not assessed" and pd.isna(unknown["risk_score"])
    assert unknown["rules_assessed"] == 0 and unknown["rules_total"] == len(RULES)
    assert unknown["rules_not_assessed"] == ";".join(r.code for r in RULES)
    assert pd.isna(unknown["reason_1"]) and unknown["reasons"] == ""
    half = s.loc["half_known"]
    assert half["rules_assessed"] == len(RULES) - 2
    assert half["rules_not_assessed"] == "FRAUD_HISTORY;LATE_REPAYMENT"
    assert pd.isna(half["severity_fraud_history"]) and half["severity_spend_spike"] >= 0
    assert half["risk_tier"] == "Low"  # assessed on three rules, nothing unusual
    assert s.loc["fraud", "rules_not_assessed"] == ""


def test_a_bank_without_an_input_assesses_nobody_on_that_rule():
    """No fraud labels and no loans (the feature layer makes those signals NULL for everyone):
    those rules are not assessable for the bank; with no signal at all, nobody is shown Low."""
    df = customers({"cash_out": {"cash_withdrawal_surge": 3.0}}).assign(
        fraud_txn_count=np.nan, late_repayment_share=np.nan
    )
    s = score_customers(df, SCORECARD)
    summary = rule_summary(df, s, SCORECARD).set_index("reason_code")
    assert not summary.loc["FRAUD_HISTORY", "is_assessable"] and summary.loc["FRAUD_HISTORY", "customers_assessable"] == 0
    assert summary.loc["CASH_OUT", "is_assessable"] and summary.loc["CASH_OUT", "customers_assessable"] == len(df)
    assert summary.loc["CASH_OUT", "customers_with_reason"] >= 1
    assert s["rules_assessed"].eq(3).all()
    assert s["rules_not_assessed"].eq("FRAUD_HISTORY;LATE_REPAYMENT").all()
    nothing = df.assign(**{c: np.nan for c in SIGNALS})
    blind = score_customers(nothing, SCORECARD)
    assert blind["risk_tier"].eq("Not assessed").all() and blind["risk_score"].isna().all()
    assert not (blind["risk_tier"] == "Low").any()
    assert not rule_summary(nothing, blind, SCORECARD)["is_assessable"].any()


def test_signal_values_at_the_cutoffs_never_fall_below_the_floor(scored):
    df, s = scored
    summary = rule_summary(df, s, SCORECARD).set_index("reason_code")
    cfg = RiskConfig.from_mapping(SCORECARD)
    spike = df["spend_spike_ratio"].dropna()
    assert np.isclose(summary.loc["SPEND_SPIKE", "value_at_high_cutoff"], max(np.quantile(spike, cfg.high_cutoff / 100), 1.0))
    assert (summary["value_at_medium_cutoff"] >= summary["floor"]).all()


def test_yaml_scorecard_ranks_planted_risk_on_synthetic_customers():
    features, truth = synthetic_customer_features(3000, seed=2)
    s = score_customers(features, SCORECARD)
    assert s["risk_tier"].isin(["Low", "Medium", "High"]).all()  # every signal known
    assert roc_auc_score(truth["is_planted_risk"], s["risk_score"]) > 0.9


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rules": [{**SCORECARD["rules"][0], "signal": "nope"}]}, "'nope'"),
        ({"rules": [SCORECARD["rules"][0]] * 2}, "unique"),
        ({"medium_cutoff": 99.5, "high_cutoff": 99}, "medium_cutoff <= high_cutoff"),
        ({"high_cutoff": 150}, "<= 100"),
        ({"rules": [{**SCORECARD["rules"][0], "points": 1}]}, "unknown risk rule"),
        ({"rules": [{k: v for k, v in SCORECARD["rules"][0].items() if k != "floor"}]}, "lacks option"),
        ({"rules": [{**SCORECARD["rules"][0], "detail": "{amount}"}]}, "must format"),
        ({"tier_labels": ["Low", "Medium", "High"]}, "four distinct"),
        ({"rules": []}, "no rules"),
    ],
)
def test_bad_scorecard_config(scored, change, message):
    df, _ = scored
    with pytest.raises(BankmartError, match=message):
        score_customers(df, {**SCORECARD, **change})


def test_the_scorecard_model_imports_no_scikit_learn():
    """What ml_customer_risk_scores imports leaves scikit-learn (and SciPy) unloaded: only the
    classifiers need them, and importing them costs about a second in the model's node."""
    code = (
        "import sys\n"
        "import bankmart.ml.config, bankmart.ml.outputs, bankmart.ml.relations, bankmart.ml.risk\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


# ---------------------------------------------------------------- classifiers

FAST = ml_meta("ml_risk_classifiers", "classifiers", rf_n_estimators=30, rf_max_samples=2000,
               label_column="label")
FEATURES = ["fraud_txn_count", "spend_spike_ratio", "cash_withdrawal_surge", "cross_border_txn_surge",
            "late_repayment_share", "online_txn_share", "avg_monthly_spend"]


@pytest.fixture(scope="module")
def trained():
    features, _ = synthetic_customer_features(2500, seed=3)
    return features, train_risk_classifiers(features, {**FAST, "seed": 1, "test_size": 0.3}, feature_columns=FEATURES)


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
    doubled = pd.concat([features, features.assign(spend_spike_ratio=features["spend_spike_ratio"] * 1.1)])
    result = train_risk_classifiers(doubled, {**FAST, "seed": 0}, feature_columns=FEATURES)
    split = result.predictions[result.predictions["model"] == "logistic_regression"]
    assert split.groupby("customer_id")["split"].nunique().eq(1).all()


def test_label_among_features_is_refused(trained):
    features, _ = trained
    with pytest.raises(BankmartError, match="leaks"):
        train_risk_classifiers(features, FAST, feature_columns=[*FEATURES, "label"])
    with pytest.raises(BankmartError, match="id column"):
        train_risk_classifiers(features, FAST, feature_columns=[*FEATURES, "customer_id"])


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
    result = train_risk_classifiers(data, FAST, feature_columns=FEATURES)
    aucs = result.metrics[result.metrics["metric"].isin(["roc_auc", "pr_auc"])]
    assert aucs["value"].isna().all() and aucs["note"].str.contains(why).all()
    labels = pd.to_numeric(data["label"])
    expected = labels.mean() if labels.notna().any() else np.nan
    probs = result.predictions["probability"].to_numpy()
    assert len(probs) == 2 * len(data)
    assert np.allclose(probs, expected, equal_nan=True)


def test_null_labels_and_null_features(trained):
    features, _ = trained
    data = features.assign(late_repayment_share=np.nan, online_txn_share=0.3)  # all NULL, constant
    data.loc[data.index[:100], "label"] = np.nan
    result = train_risk_classifiers(data, FAST, feature_columns=FEATURES)
    p = result.predictions
    unlabelled = p[p["split"] == "unlabelled"]["customer_id"].unique()
    assert set(unlabelled) == set(data["customer_id"].iloc[:100])
    assert p["probability"].notna().all()
    assert "late_repayment_share" not in set(result.importances["feature"])
    assert result.metrics["note"].str.contains("late_repayment_share").any()


def test_null_features_take_the_training_median_as_scikit_learn_imputes_it(trained):
    """Some NULLs in several features, more among the holdout's customers: the logistic
    regression equals scikit-learn's own pipeline with SimpleImputer(strategy="median") fitted
    on the same training rows, for every customer and for the rows scored later."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, _ = trained
    rng = np.random.default_rng(7)
    data = features.copy()
    for column in ("spend_spike_ratio", "online_txn_share", "avg_monthly_spend"):
        data.loc[rng.random(len(data)) < 0.2, column] = np.nan
    later = data.assign(avg_monthly_spend=np.nan)  # scored rows with a feature unknown
    settings = {**FAST, "seed": 1, "test_size": 0.3}
    result = train_risk_classifiers(data, settings, feature_columns=FEATURES, score_df=later)
    lr = result.predictions[result.predictions["model"] == "logistic_regression"]
    split = lr[lr["split"] != "current"].set_index("customer_id")["split"]
    train = data.set_index("customer_id").loc[split[split == "train"].index]
    reference = make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(C=FAST["lr_c"], class_weight="balanced", max_iter=FAST["lr_max_iter"]),
    ).fit(train[FEATURES].to_numpy(), train["label"].astype(int))
    for rows, kind in ((data, "train|holdout"), (later, "current")):
        got = lr[lr["split"].str.fullmatch(kind)]["probability"].to_numpy()
        assert np.allclose(got, reference.predict_proba(rows[FEATURES].to_numpy())[:, 1], rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("mutate", "kwargs", "message"),
    [
        (lambda f: f.assign(label=2), {}, "0/1"),
        (lambda f: f.assign(label="yes"), {}, "0/1"),
        (lambda f: f.drop(columns="online_txn_share"), {}, "online_txn_share"),
        (lambda f: f.assign(online_txn_share="lots"), {}, "numeric"),
        (lambda f: f, {"test_size": 1.5}, "test_size"),
        (lambda f: f, {"feature_columns": []}, "empty"),
        (lambda f: f, {"n_trees": 3}, "unknown classifier"),
    ],
)
def test_bad_training_inputs(trained, mutate, kwargs, message):
    features, _ = trained
    with pytest.raises(BankmartError, match=message):
        train_risk_classifiers(mutate(features), {**FAST, "feature_columns": FEATURES, **kwargs})


def test_classifier_settings_come_from_the_yaml_only(trained):
    features, _ = trained
    settings = {k: v for k, v in FAST.items() if k != "rf_max_depth"}
    with pytest.raises(BankmartError, match="lacks option.*rf_max_depth"):
        train_risk_classifiers(features, settings)


def duckdb_types(df: pd.DataFrame) -> dict[str, str]:
    con = duckdb.connect()
    con.register("result", df)
    return {r[0]: r[1] for r in con.sql("describe select * from result").fetchall()}


def test_outputs_keep_their_types_when_empty_or_all_null(trained):
    quiet = customers({}, filler=5).assign(**{c: np.nan for c in SIGNALS})  # nothing assessable
    scores = score_customers(quiet, SCORECARD)
    types = duckdb_types(scores)
    assert {types[c] for c in ("reason_1", "reason_2", "reason_3", "reasons", "reason_details",
                               "risk_tier", "rules_not_assessed")} == {"VARCHAR"}
    assert types["risk_score"] == "DOUBLE" and types["severity_cash_out"] == "DOUBLE"
    assert types["rules_assessed"] == "BIGINT"
    summary = duckdb_types(rule_summary(quiet, scores, SCORECARD))
    assert summary["is_assessable"] == "BOOLEAN" and summary["value_at_high_cutoff"] == "DOUBLE"
    features, _ = trained
    fallback = train_risk_classifiers(features.assign(label=0), FAST, feature_columns=FEATURES)
    assert duckdb_types(fallback.importances) == {
        "model": "VARCHAR", "feature": "VARCHAR", "importance": "DOUBLE", "importance_type": "VARCHAR", "rank": "BIGINT"
    }
    assert duckdb_types(fallback.metrics)["value"] == "DOUBLE"


def test_current_rows_are_scored_by_the_fitted_models(trained):
    """Rows passed as score_df get split 'current'; the same features give the same probability."""
    features, _ = trained
    later = features.sample(frac=0.5, random_state=0).drop(columns=["label"])
    result = train_risk_classifiers(
        features, {**FAST, "seed": 1, "test_size": 0.3}, feature_columns=FEATURES, score_df=later
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
        features, {**FAST, "seed": 1, "test_size": 0.3}, feature_columns=FEATURES, score_df=shifted
    ).predictions
    moved_current = moved[moved["split"] == "current"].set_index(["customer_id", "model"])
    assert not np.allclose(moved_current.loc[again.index, "probability"].to_numpy(), again.to_numpy())


def test_current_rows_get_the_base_rate_when_nothing_can_be_trained(trained):
    features, _ = trained
    data = features.assign(label=0)
    result = train_risk_classifiers(data, FAST, feature_columns=FEATURES, score_df=features.iloc[:10])
    current = result.predictions[result.predictions["split"] == "current"]
    assert len(current) == 2 * 10
    assert np.allclose(current["probability"], 0.0)
