"""Evaluation against ground truth: metric definitions on constructed cases (agreement, AUC per
planted pattern, supervised ceilings, stability refits), and the `bankmart evaluate` command on
a real DuckDB file holding the marts it reads."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from bankmart import cli
from bankmart import evaluate as evaluate_cli
from bankmart.errors import BankmartError
from bankmart.ml.config import EvaluationConfig
from bankmart.ml.evaluate import (
    evaluate_against_truth,
    format_report,
    ratio_rows,
    risk_ceiling,
    segment_ceiling,
    segment_stability,
)
from bankmart.ml.risk import score_customers, train_risk_classifiers
from bankmart.ml.segments import fit_segments
from bankmart.ml.synthetic import synthetic_customer_features
from bankmart.settings import Settings
from conftest import PROJECT_DIR, ml_meta

SCORECARD = ml_meta("ml_customer_risk_scores", "scorecard")
SEGMENTS = ml_meta("ml_segmentation", "segments")


def truth_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    planted = rng.random(n) < 0.2
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "persona": rng.choice(["a", "b", "c"], n),
            "is_planted_risk": planted.astype(int),
            "risk_pattern": np.where(planted, rng.choice(["fraud_victim", "cash_out"], n), ""),
        }
    )


def test_segments_that_mirror_personas_score_ari_one():
    truth = truth_frame()
    relabelled = truth.assign(segment_name=truth["persona"].map({"a": "X", "b": "Y", "c": "Z"}))
    report = evaluate_against_truth(truth, segments=relabelled[["customer_id", "segment_name"]])
    assert report.metric("segments", "adjusted_rand_index") == pytest.approx(1.0)
    assert report.confusion.to_numpy().sum() == len(truth)
    assert (report.confusion.to_numpy() > 0).sum() == 3  # one cell per persona
    shuffled = relabelled.assign(segment_name=relabelled["segment_name"].sample(frac=1, random_state=0).to_numpy())
    report = evaluate_against_truth(truth, segments=shuffled)
    expected = adjusted_rand_score(truth["persona"], shuffled["segment_name"])
    assert report.metric("segments", "adjusted_rand_index") == pytest.approx(expected)
    assert abs(expected) < 0.1


def test_risk_precision_recall_and_auc_on_constructed_tiers():
    truth = truth_frame()
    rng = np.random.default_rng(1)
    tier = np.where(truth["is_planted_risk"] == 1, rng.choice(["High", "Medium", "Low"], len(truth), p=[0.5, 0.3, 0.2]),
                    rng.choice(["High", "Medium", "Low"], len(truth), p=[0.05, 0.1, 0.85]))
    score = pd.Series(tier).map({"High": 50.0, "Medium": 30.0, "Low": 0.0}).to_numpy()
    scores = pd.DataFrame({"customer_id": truth["customer_id"], "risk_score": score, "risk_tier": tier})
    report = evaluate_against_truth(truth, scores=scores, risk_config=SCORECARD)
    planted = truth["is_planted_risk"].to_numpy() == 1
    high = tier == "High"
    high_medium = high | (tier == "Medium")
    assert report.metric("risk_score", "precision_high", "scorecard") == pytest.approx((high & planted).sum() / high.sum())
    assert report.metric("risk_score", "recall_high", "scorecard") == pytest.approx((high & planted).sum() / planted.sum())
    assert report.metric("risk_score", "recall_high_medium", "scorecard") == pytest.approx((high_medium & planted).sum() / planted.sum())
    assert report.metric("risk_score", "roc_auc", "scorecard") == pytest.approx(roc_auc_score(planted, score))
    by = report.risk_by_pattern.set_index("risk_pattern")
    assert by["customers"].sum() == len(truth)
    assert by.loc["(none)", "flagged_high"] == (high & ~planted).sum()
    # ROC-AUC per planted pattern: that pattern's customers against the unplanted ones
    for pattern in ("fraud_victim", "cash_out"):
        keep = (truth["risk_pattern"] == pattern) | ~planted
        expected = roc_auc_score(truth.loc[keep, "risk_pattern"] == pattern, score[keep.to_numpy()])
        assert report.metric("risk_score", f"roc_auc_{pattern}", "scorecard") == pytest.approx(expected)


def test_customers_not_assessed_are_counted_and_ranked_lowest():
    truth = truth_frame()
    tier = np.where(np.arange(len(truth)) < 50, "Not assessed", "Low")
    scores = pd.DataFrame({"customer_id": truth["customer_id"], "risk_tier": tier,
                           "risk_score": np.where(tier == "Low", 10.0, np.nan)})
    report = evaluate_against_truth(truth, scores=scores, risk_config=SCORECARD)
    assert report.metric("risk_score", "not_assessed", "scorecard") == 50
    roc = report.metrics[(report.metrics["metric"] == "roc_auc") & (report.metrics["model"] == "scorecard")]
    assert "50 NULL score(s) ranked lowest" in roc["note"].iloc[0]


def test_classifier_auc_per_model_and_undefined_cases():
    truth = truth_frame()
    p = truth["is_planted_risk"].to_numpy() * 0.5 + np.linspace(0, 0.4, len(truth))
    preds = pd.concat(
        [
            pd.DataFrame({"customer_id": truth["customer_id"], "model": "good", "probability": p}),
            pd.DataFrame({"customer_id": truth["customer_id"], "model": "nulls", "probability": np.where(np.arange(len(truth)) % 2, p, np.nan)}),
        ]
    )
    report = evaluate_against_truth(truth, predictions=preds)
    assert report.metric("classifier", "roc_auc", "good") == pytest.approx(roc_auc_score(truth["is_planted_risk"], p))
    assert "roc_auc_holdout" not in set(report.metrics["metric"])
    holdout = np.arange(len(preds)) % 3 == 0
    split = preds.assign(split=np.where(holdout, "holdout", "train"))
    report = evaluate_against_truth(truth, predictions=split)
    good = split[(split["model"] == "good") & (split["split"] == "holdout")].merge(truth, on="customer_id")
    assert report.metric("classifier", "roc_auc_holdout", "good") == pytest.approx(
        roc_auc_score(good["is_planted_risk"], good["probability"])
    )
    nulls = report.metrics[(report.metrics["model"] == "nulls") & (report.metrics["metric"] == "roc_auc")]
    assert "NULL score" in nulls["note"].iloc[0] and 0 <= nulls["value"].iloc[0] <= 1
    nobody = truth.assign(is_planted_risk=0)
    report = evaluate_against_truth(nobody, predictions=preds)
    assert np.isnan(report.metric("classifier", "roc_auc", "good"))
    assert "one class" in format_report(report)


def test_bad_truth_is_reported():
    with pytest.raises(BankmartError, match="persona"):
        evaluate_against_truth(pd.DataFrame({"customer_id": ["a"], "is_planted_risk": [0]}))
    with pytest.raises(BankmartError, match="risk scores is missing"):
        evaluate_against_truth(truth_frame(), scores=pd.DataFrame({"customer_id": ["C0000"]}), risk_config=SCORECARD)
    with pytest.raises(BankmartError, match="risk_config"):
        evaluate_against_truth(truth_frame(), scores=pd.DataFrame({"customer_id": ["C0000"]}))


# ---------------------------------------------------------------- ceilings and stability


def test_segment_ceiling_sees_what_the_features_carry():
    """Features that spell out the persona: the ceiling is (nearly) perfect; the same features
    shuffled against the personas carry nothing, and the ceiling says so."""
    features, truth = synthetic_customer_features(1200, seed=1, separation=1.0)
    quick = EvaluationConfig(ceiling_trees=60)
    sharp = segment_ceiling(truth, features, SEGMENTS, config=quick)
    blind = segment_ceiling(truth.assign(persona=truth["persona"].sample(frac=1, random_state=0).to_numpy()),
                            features, SEGMENTS, config=quick)
    value = {r["metric"]: r["value"] for r in sharp}
    assert value["ceiling_ari"] > 0.6 and value["ceiling_accuracy"] > 0.8
    assert abs(next(r["value"] for r in blind if r["metric"] == "ceiling_ari")) < 0.05


def test_risk_ceiling_on_the_scorecards_signals():
    features, truth = synthetic_customer_features(2000, seed=2)
    rows = risk_ceiling(truth, features, SCORECARD)
    by = {r["metric"]: r for r in rows}
    assert by["roc_auc"]["model"] == "random_forest_cv" and by["roc_auc"]["value"] > 0.9
    assert "5 signals" in by["roc_auc"]["note"]
    assert {f"roc_auc_{p}" for p in ("fraud_victim", "cash_out", "spend_spike")} <= set(by)
    # nobody planted: no ceiling, said so
    none = risk_ceiling(truth.assign(is_planted_risk=0), features, SCORECARD)
    assert np.isnan(none[0]["value"]) and "too few" in none[0]["note"]


def test_ratio_to_ceiling():
    rows = [
        {"area": "segments", "model": "", "metric": "adjusted_rand_index", "value": 0.5, "note": ""},
        {"area": "segments", "model": "random_forest_cv", "metric": "ceiling_ari", "value": 0.625, "note": ""},
        {"area": "risk_score", "model": "scorecard", "metric": "roc_auc", "value": 0.9, "note": ""},
        {"area": "risk_score", "model": "random_forest_cv", "metric": "roc_auc", "value": 0.95, "note": ""},
    ]
    got = {r["metric"]: r["value"] for r in ratio_rows(rows)}
    assert got["adjusted_rand_index_share_of_ceiling"] == pytest.approx(0.8)
    assert got["roc_auc_share_of_ceiling"] == pytest.approx(0.9 / 0.95)
    assert np.isnan(got["pr_auc_share_of_ceiling"])  # no ceiling given


def test_stability_refits_agree_with_the_warehouse_or_say_they_do_not():
    features, _ = synthetic_customer_features(1500, seed=4)
    reference = fit_segments(features, SEGMENTS).assignments
    rows, table = segment_stability(features, reference, SEGMENTS)
    by = {r["metric"]: r["value"] for r in rows}
    assert list(table["kind"]) == ["seed"] * 5 + ["subsample"] * 5
    assert by["seed_same_k_share"] == 1.0 and by["seed_ari_min"] > 0.95 and by["subsample_ari_min"] > 0.9
    assert (table.loc[table["kind"] == "subsample", "customers"] < len(features)).all()
    # the subsamples do not depend on the order the warehouse returns the customers in
    _, again = segment_stability(features.sample(frac=1, random_state=2), reference, SEGMENTS,
                                 config=EvaluationConfig(stability_seeds=(), subsample_repeats=2))
    pd.testing.assert_frame_equal(again, table[table["kind"] == "subsample"].head(2).reset_index(drop=True))
    # segments unrelated to the fit: the figures show it
    shuffled = reference.assign(segment_id=reference["segment_id"].sample(frac=1, random_state=1).to_numpy())
    rows, _ = segment_stability(features, shuffled, SEGMENTS, config=EvaluationConfig(stability_seeds=(1,), subsample_repeats=0))
    assert {r["metric"]: r["value"] for r in rows}["seed_ari_mean"] < 0.1


# ---------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A real DuckDB file with the marts evaluate reads, built by our functions on synthetic
    customers, plus the answer key."""
    root = tmp_path_factory.mktemp("evaluate")
    features, truth = synthetic_customer_features(1500, seed=8)
    segments = fit_segments(features, SEGMENTS).assignments
    scores = score_customers(features, SCORECARD)
    classifiers = ml_meta("ml_risk_classifiers", "classifiers", rf_n_estimators=20, label_column="label")
    predictions = train_risk_classifiers(
        features, classifiers,
        feature_columns=["fraud_txn_count", "cash_withdrawal_surge", "spend_spike_ratio", "late_repayment_share"],
    ).predictions
    availability = pd.DataFrame({"object_type": "feature", "column_name": list(features.columns),
                                 "carries_information": True})
    gt_dir = root / "bank" / "ground_truth"
    gt_dir.mkdir(parents=True)
    truth.to_parquet(gt_dir / "customers.parquet")
    db = root / "bankmart.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    for name, frame in (("customer_segments", segments), ("customer_risk_scores", scores),
                        ("customer_risk_predictions", predictions), ("customer_features", features),
                        ("data_availability", availability)):
        con.register("frame", frame)
        con.execute(f"create table marts.{name} as select * from frame")
        con.unregister("frame")
    con.close()
    return root, gt_dir, db


def settings_for(root: Path) -> Settings:
    return Settings(project_dir=PROJECT_DIR, data_dir=root, raw_dir=root / "bank" / "raw",
                    duckdb_path=root / "bankmart.duckdb", serving_dir=root / "serving")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    evaluate_cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_command_prints_report_and_writes_json(warehouse, capsys):
    root, gt_dir, db = warehouse
    out = root / "report" / "metrics.json"
    assert evaluate_cli.run(parse("--json", str(out)), settings_for(root)) == 0  # defaults from settings
    text = capsys.readouterr().out
    assert "adjusted_rand_index" in text and "precision_high" in text and "random_forest roc_auc" in text
    assert "random_forest_cv ceiling_ari" in text and "adjusted_rand_index_share_of_ceiling" in text
    assert "scorecard roc_auc_cash_out" in text and "seed_ari_min" in text and "subsample_same_k_share" in text
    assert str(db) in text
    payload = json.loads(out.read_text())
    expected = evaluate_cli.evaluate_warehouse(gt_dir, db, PROJECT_DIR, quick=True)
    got = {(m["area"], m["model"], m["metric"]): m["value"] for m in payload["metrics"]}
    assert got[("segments", "", "adjusted_rand_index")] == pytest.approx(expected.metric("segments", "adjusted_rand_index"))
    assert 0.3 < got[("segments", "", "adjusted_rand_index")] <= 1.0
    for model in ("logistic_regression", "random_forest"):
        assert 0.5 < got[("classifier", model, "roc_auc")] <= 1.0
        assert 0.5 < got[("classifier", model, "roc_auc_holdout")] <= 1.0  # split column was read
    assert 0.5 < got[("risk_score", "scorecard", "roc_auc")] <= 1.0
    ceiling = got[("segments", "random_forest_cv", "ceiling_ari")]
    assert got[("segments", "", "adjusted_rand_index_share_of_ceiling")] == pytest.approx(
        got[("segments", "", "adjusted_rand_index")] / ceiling)
    assert got[("segment_stability", "", "seed_ari_min")] > 0.9
    assert len(payload["stability"]) == 10
    assert sum(sum(row.values()) for row in payload["confusion"].values()) == 1500
    # --quick: agreement only
    assert evaluate_cli.run(parse("--quick"), settings_for(root)) == 0
    quick = capsys.readouterr().out
    assert "adjusted_rand_index" in quick and "ceiling" not in quick and "seed_ari" not in quick


def test_command_prefers_the_serving_copy(warehouse, tmp_path):
    root, _, db = warehouse
    settings = Settings(project_dir=tmp_path, data_dir=tmp_path, raw_dir=tmp_path / "raw",
                        duckdb_path=tmp_path / "missing.duckdb", serving_dir=tmp_path / "serving")
    assert evaluate_cli.default_warehouse(settings) == tmp_path / "missing.duckdb"
    settings.serving_dir.mkdir()
    settings.serving_path.write_bytes(db.read_bytes())
    assert evaluate_cli.default_warehouse(settings) == settings.serving_path


def test_command_fails_clearly(warehouse, tmp_path):
    root, gt_dir, db = warehouse
    with pytest.raises(BankmartError, match="ground truth file .* not found"):
        evaluate_cli.run(parse("--ground-truth", str(tmp_path)), settings_for(root))
    with pytest.raises(BankmartError, match="warehouse .* not found"):
        evaluate_cli.run(parse("--ground-truth", str(gt_dir), "--warehouse", str(tmp_path / "no.duckdb")), settings_for(root))
    partial = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(partial))
    con.execute("create schema marts")
    con.execute("create table marts.customer_segments (customer_id varchar, segment_id varchar, segment_name varchar)")
    con.close()
    with pytest.raises(BankmartError, match="marts.customer_risk_scores, marts.customer_risk_predictions, marts.customer_features"):
        evaluate_cli.run(parse("--ground-truth", str(gt_dir), "--warehouse", str(partial)), settings_for(root))


def test_command_is_registered():
    assert cli.COMMANDS["evaluate"][0] == "bankmart.evaluate"
