"""How well segments and risk scores recover what the generator planted, against what the
features could carry at best, and how stable the segmentation is.

The generator knows each customer's latent persona and whether (and how) risk was planted; the
warehouse never sees that answer key. These functions join the two on customer_id and report
agreement as a tidy table (area, model, metric, value, note) plus a persona x segment confusion
table and flags and ROC-AUC per planted risk pattern. A metric that is undefined on the data
(e.g. ROC-AUC when nobody is planted) is NaN with a note, never an exception.

Beside the agreement:
- ceilings: a classifier that *is* shown the answer (cross-validated random forest) on the same
  features the product uses: the persona from the segmentation's features (adjusted Rand index
  of its out-of-fold predictions), planted risk from the scorecard's signals (ROC-AUC, PR-AUC).
  What the product reaches divided by the ceiling says how much of what the features carry it
  finds;
- stability: the segmentation refitted with other random seeds and on random 90% subsamples,
  each compared with the warehouse's segments (k, and adjusted Rand index on shared customers).
Only the evaluation reads the answer key; nothing here feeds back into the product.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    adjusted_rand_score,
    average_precision_score,
    normalized_mutual_info_score,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from bankmart.errors import BankmartError
from bankmart.ml.config import EVALUATION_DEFAULTS, EvaluationConfig, RiskConfig, SegmentConfig
from bankmart.ml.segments import fit_segments, prepare_features

METRIC_COLUMNS = ("area", "model", "metric", "value", "note")


@dataclass(frozen=True)
class EvaluationReport:
    metrics: pd.DataFrame  # METRIC_COLUMNS
    confusion: pd.DataFrame  # persona rows x segment_name columns, counts
    risk_by_pattern: pd.DataFrame  # risk_pattern, customers, flagged_high, flagged_high_medium, share_*
    stability: pd.DataFrame = field(default_factory=pd.DataFrame)  # kind, run, customers, k, ari_vs_warehouse

    def metric(self, area: str, metric: str, model: str = "") -> float:
        rows = self.metrics[
            (self.metrics["area"] == area) & (self.metrics["metric"] == metric) & (self.metrics["model"] == model)
        ]
        return float(rows["value"].iloc[0]) if len(rows) else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes None."""

        def clean(value: Any) -> Any:
            if isinstance(value, (float, np.floating)):
                return None if math.isnan(value) else float(value)
            if isinstance(value, np.integer):
                return int(value)
            return value

        return {
            "metrics": [{k: clean(v) for k, v in row.items()} for row in self.metrics.to_dict("records")],
            "confusion": {
                str(persona): {str(seg): int(n) for seg, n in row.items()}
                for persona, row in self.confusion.to_dict("index").items()
            },
            "risk_by_pattern": [
                {k: clean(v) for k, v in row.items()} for row in self.risk_by_pattern.to_dict("records")
            ],
            "stability": [{k: clean(v) for k, v in row.items()} for row in self.stability.to_dict("records")],
        }

    def extended(self, rows: list[dict[str, Any]], stability: pd.DataFrame | None = None) -> EvaluationReport:
        """The report with more metric rows (and a stability table)."""
        metrics = pd.concat([self.metrics, pd.DataFrame(rows, columns=list(METRIC_COLUMNS))], ignore_index=True)
        return replace(self, metrics=metrics, stability=self.stability if stability is None else stability)


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise BankmartError(f"{what} is missing columns {missing} (has {list(df.columns)})")


def _row(area: str, metric: str, value: float, model: str = "", note: str = "") -> dict[str, Any]:
    return {"area": area, "model": model, "metric": metric, "value": float(value), "note": note}


def _auc_rows(area: str, model: str, y: np.ndarray, score: np.ndarray) -> list[dict[str, Any]]:
    if np.unique(y).size < 2:
        note = "undefined: ground truth has one class"
        return [_row(area, "roc_auc", np.nan, model, note), _row(area, "pr_auc", np.nan, model, note)]
    score = score.astype(float)
    note = ""
    missing = np.isnan(score)
    if missing.any():
        fill = np.nanmin(score) - 1.0 if (~missing).any() else 0.0
        score = np.where(missing, fill, score)
        note = f"{int(missing.sum())} NULL score(s) ranked lowest"
    return [
        _row(area, "roc_auc", roc_auc_score(y, score), model, note),
        _row(area, "pr_auc", average_precision_score(y, score), model, note),
    ]


def _pattern_aucs(area: str, model: str, joined: pd.DataFrame, score: np.ndarray) -> list[dict[str, Any]]:
    """ROC-AUC of ``score`` for each planted pattern: that pattern's customers against the
    customers with no planted risk (other patterns left out)."""
    rows = []
    clean = joined["risk_pattern"].isna().to_numpy()
    score = score.astype(float)
    if np.isnan(score).any():
        score = np.where(np.isnan(score), np.nanmin(score) - 1.0 if (~np.isnan(score)).any() else 0.0, score)
    for pattern in sorted(joined["risk_pattern"].dropna().unique()):
        hit = (joined["risk_pattern"] == pattern).to_numpy()
        keep = hit | clean
        value = roc_auc_score(hit[keep], score[keep]) if clean.any() else np.nan
        rows.append(_row(area, f"roc_auc_{pattern}", value, model, f"{int(hit.sum())} planted vs {int(clean.sum())} unplanted"))
    return rows


def _precision_recall(flagged: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    tp = float((flagged & truth).sum())
    precision = tp / flagged.sum() if flagged.sum() else float("nan")
    recall = tp / truth.sum() if truth.sum() else float("nan")
    return precision, recall


def prepare_truth(truth: pd.DataFrame) -> pd.DataFrame:
    """Validate the answer key and normalise is_planted_risk to 0/1."""
    _require(truth, ["customer_id", "persona", "is_planted_risk"], "ground truth")
    out = truth.copy()
    if "risk_pattern" not in out.columns:
        out["risk_pattern"] = None
    out["is_planted_risk"] = pd.to_numeric(out["is_planted_risk"], errors="coerce").fillna(0).astype(int)
    out["risk_pattern"] = out["risk_pattern"].where(out["risk_pattern"].notna() & (out["risk_pattern"] != ""), None)
    if out["customer_id"].duplicated().any():
        raise BankmartError("ground truth has duplicate customer_id values")
    return out


def evaluate_segments(truth: pd.DataFrame, segments: pd.DataFrame) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Adjusted Rand index and NMI of segments vs personas, and the persona x segment counts."""
    _require(segments, ["customer_id", "segment_name"], "segments")
    joined = prepare_truth(truth).merge(segments[["customer_id", "segment_name"]], on="customer_id")
    rows = [_row("segments", "customers_evaluated", len(joined))]
    if joined.empty:
        rows.append(_row("segments", "adjusted_rand_index", np.nan, note="no customer in both tables"))
        return rows, pd.DataFrame()
    rows += [
        _row("segments", "adjusted_rand_index", adjusted_rand_score(joined["persona"], joined["segment_name"])),
        _row("segments", "normalized_mutual_info", normalized_mutual_info_score(joined["persona"], joined["segment_name"])),
        _row("segments", "personas", joined["persona"].nunique()),
        _row("segments", "segments", joined["segment_name"].nunique()),
    ]
    confusion = pd.crosstab(joined["persona"], joined["segment_name"])
    confusion.index.name, confusion.columns.name = "persona", "segment_name"
    return rows, confusion


def evaluate_risk_scores(
    truth: pd.DataFrame, scores: pd.DataFrame, risk_config: RiskConfig | Mapping[str, Any]
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """ROC-AUC and PR-AUC of risk_score vs planted risk, overall and per planted pattern;
    precision/recall of High and of High+Medium; flags per planted pattern. The tiers' names
    come from the scorecard's config."""
    _low, medium_tier, high_tier, not_assessed_tier = RiskConfig.from_mapping(risk_config).tier_labels
    _require(scores, ["customer_id", "risk_score", "risk_tier"], "risk scores")
    joined = prepare_truth(truth).merge(scores[["customer_id", "risk_score", "risk_tier"]], on="customer_id")
    rows = [_row("risk_score", "customers_evaluated", len(joined))]
    y = joined["is_planted_risk"].to_numpy().astype(bool)
    rows += _auc_rows("risk_score", "scorecard", y.astype(int), joined["risk_score"].to_numpy())
    high = (joined["risk_tier"] == high_tier).to_numpy()
    high_medium = high | (joined["risk_tier"] == medium_tier).to_numpy()
    for name, flagged in (("high", high), ("high_medium", high_medium)):
        precision, recall = _precision_recall(flagged, y)
        rows += [
            _row("risk_score", f"precision_{name}", precision, "scorecard"),
            _row("risk_score", f"recall_{name}", recall, "scorecard"),
            _row("risk_score", f"flagged_{name}", float(flagged.sum()), "scorecard"),
        ]
    rows.append(_row("risk_score", "planted_rate", y.mean() if len(y) else np.nan, "scorecard"))
    if "risk_pattern" in joined.columns and np.unique(y).size == 2:
        rows += _pattern_aucs("risk_score", "scorecard", joined, joined["risk_score"].to_numpy())
    not_assessed = int((joined["risk_tier"] == not_assessed_tier).sum())
    rows.append(_row("risk_score", "not_assessed", float(not_assessed), "scorecard",
                     "customers no rule could be assessed for (no score, ranked lowest)"))
    joined = joined.assign(
        pattern=joined["risk_pattern"].fillna("(none)"), high=high, high_medium=high_medium
    )
    by_pattern = (
        joined.groupby("pattern")
        .agg(customers=("customer_id", "size"), flagged_high=("high", "sum"), flagged_high_medium=("high_medium", "sum"))
        .reset_index()
        .rename(columns={"pattern": "risk_pattern"})
    )
    by_pattern["share_high"] = by_pattern["flagged_high"] / by_pattern["customers"]
    by_pattern["share_high_medium"] = by_pattern["flagged_high_medium"] / by_pattern["customers"]
    return rows, by_pattern


def evaluate_classifiers(truth: pd.DataFrame, predictions: pd.DataFrame) -> list[dict[str, Any]]:
    """ROC-AUC and PR-AUC of each model's probability vs planted risk, on all customers (the
    planted flag is not the training label) and, when predictions carry a ``split`` column,
    also on the holdout customers alone (metrics suffixed ``_holdout``)."""
    _require(predictions, ["customer_id", "model", "probability"], "risk predictions")
    t = prepare_truth(truth)
    rows: list[dict[str, Any]] = []
    keep = ["customer_id", "probability", *(["split"] if "split" in predictions.columns else [])]
    for model, group in predictions.groupby("model", sort=True):
        joined = t.merge(group[keep], on="customer_id")
        rows.append(_row("classifier", "customers_evaluated", len(joined), str(model)))
        rows += _auc_rows("classifier", str(model), joined["is_planted_risk"].to_numpy(), joined["probability"].to_numpy())
        if np.unique(joined["is_planted_risk"]).size == 2:
            rows += _pattern_aucs("classifier", str(model), joined, joined["probability"].to_numpy())
        if "split" in joined.columns:
            holdout = joined[joined["split"] == "holdout"]
            rows += [
                {**row, "metric": f"{row['metric']}_holdout"}
                for row in _auc_rows(
                    "classifier", str(model), holdout["is_planted_risk"].to_numpy(), holdout["probability"].to_numpy()
                )
            ]
    return rows


def evaluate_against_truth(
    truth: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
    predictions: pd.DataFrame | None = None,
    risk_config: RiskConfig | Mapping[str, Any] | None = None,
) -> EvaluationReport:
    """Agreement of each table given with the answer key; parts whose table is None are
    skipped. Scores need the scorecard's config (its tier names)."""
    truth = prepare_truth(truth)
    rows = [_row("ground_truth", "customers", len(truth)), _row("ground_truth", "planted_rate", truth["is_planted_risk"].mean() if len(truth) else np.nan)]
    confusion, by_pattern = pd.DataFrame(), pd.DataFrame()
    if segments is not None:
        seg_rows, confusion = evaluate_segments(truth, segments)
        rows += seg_rows
    if scores is not None:
        if risk_config is None:
            raise BankmartError("evaluating risk scores needs the scorecard's config (risk_config)")
        score_rows, by_pattern = evaluate_risk_scores(truth, scores, risk_config)
        rows += score_rows
    if predictions is not None:
        rows += evaluate_classifiers(truth, predictions)
    return EvaluationReport(pd.DataFrame(rows, columns=list(METRIC_COLUMNS)), confusion, by_pattern)


# --------------------------------------------------------------------------------------------
# Ceilings: what a classifier shown the answer reaches on the same features
# --------------------------------------------------------------------------------------------


def _forest(cfg: EvaluationConfig) -> Any:
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        RandomForestClassifier(n_estimators=cfg.ceiling_trees, min_samples_leaf=3, random_state=0, n_jobs=1),
    )


def segment_ceiling(
    truth: pd.DataFrame,
    features: pd.DataFrame,
    segment_config: SegmentConfig | Mapping[str, Any],
    available: Any = None,
    config: EvaluationConfig = EVALUATION_DEFAULTS,
) -> list[dict[str, Any]]:
    """ARI of a cross-validated random forest predicting the persona from the segmentation's
    own model matrix (same features, same transforms)."""
    prep = prepare_features(features, segment_config, available=available)
    persona = prepare_truth(truth).set_index("customer_id")["persona"].reindex(prep.ids).to_numpy()
    known = pd.notna(persona)
    if not prep.features or known.sum() < config.ceiling_folds * 2 or pd.Series(persona[known]).nunique() < 2:
        return [_row("segments", "ceiling_ari", np.nan, "random_forest_cv", "too little data for a ceiling")]
    x, y = prep.matrix[known], persona[known]
    folds = min(config.ceiling_folds, int(pd.Series(y).value_counts().min()))
    if folds < 2:
        return [_row("segments", "ceiling_ari", np.nan, "random_forest_cv", "a persona has one customer")]
    with threadpool_limits(limits=1):
        predicted = cross_val_predict(_forest(config), x, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    note = f"{folds}-fold out-of-fold predictions on the {len(prep.features)} segmentation features"
    return [
        _row("segments", "ceiling_ari", adjusted_rand_score(y, predicted), "random_forest_cv", note),
        _row("segments", "ceiling_accuracy", float((predicted == y).mean()), "random_forest_cv", note),
    ]


def risk_ceiling(
    truth: pd.DataFrame,
    features: pd.DataFrame,
    risk_config: RiskConfig | Mapping[str, Any],
    config: EvaluationConfig = EVALUATION_DEFAULTS,
) -> list[dict[str, Any]]:
    """ROC-AUC and PR-AUC (overall and per pattern) of a cross-validated random forest
    predicting planted risk from the scorecard's own signals."""
    signals = list(dict.fromkeys(r.signal for r in RiskConfig.from_mapping(risk_config).rules))
    joined = prepare_truth(truth).merge(features[["customer_id", *signals]], on="customer_id")
    y = joined["is_planted_risk"].to_numpy()
    if np.unique(y).size < 2 or min(np.bincount(y)) < config.ceiling_folds:
        return [_row("risk_score", "roc_auc", np.nan, "random_forest_cv", "too few planted customers for a ceiling")]
    x = joined[signals].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan).to_numpy(dtype=float)
    with threadpool_limits(limits=1):
        proba = cross_val_predict(
            _forest(config), x, y, cv=StratifiedKFold(config.ceiling_folds, shuffle=True, random_state=0),
            method="predict_proba",
        )[:, 1]
    rows = _auc_rows("risk_score", "random_forest_cv", y, proba)
    rows = [{**r, "note": f"{config.ceiling_folds}-fold out-of-fold, on the scorecard's {len(signals)} signals"} for r in rows]
    return rows + _pattern_aucs("risk_score", "random_forest_cv", joined, proba)


# --------------------------------------------------------------------------------------------
# Stability: the same bank, other seeds and subsamples
# --------------------------------------------------------------------------------------------


def segment_stability(
    features: pd.DataFrame,
    reference: pd.DataFrame,
    segment_config: SegmentConfig | Mapping[str, Any],
    available: Any = None,
    config: EvaluationConfig = EVALUATION_DEFAULTS,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Refit with each of ``config.stability_seeds`` and on ``subsample_repeats`` random
    subsamples of ``subsample_fraction`` of the customers; compare each with ``reference`` (the
    warehouse's customer_segments): k and the adjusted Rand index on the customers both hold.
    Returns metric rows and one row per refit."""
    _require(reference, ["customer_id", "segment_id"], "segments")
    base = SegmentConfig.from_mapping(segment_config)
    ref = reference.set_index("customer_id")["segment_id"]
    ref_k = ref.nunique()
    fits = []
    # subsamples drawn over customers in id order, so the warehouse's row order cannot move them
    features = features.sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    runs = [("seed", seed, features) for seed in config.stability_seeds]
    rng = np.random.default_rng(0)
    for i in range(config.subsample_repeats):
        take = rng.random(len(features)) < config.subsample_fraction
        runs.append(("subsample", i + 1, features[take]))
    for kind, which, frame in runs:
        cfg = base if kind == "subsample" else SegmentConfig.from_mapping({**_as_dict(base), "random_state": which})
        result = fit_segments(frame, cfg, available=available)
        got = result.assignments.set_index("customer_id")["segment_id"]
        shared = got.index.intersection(ref.index)
        fits.append(
            {
                "kind": kind,
                "run": which,
                "customers": len(got),
                "k": got.nunique(),
                "ari_vs_warehouse": adjusted_rand_score(ref[shared], got[shared]) if len(shared) else np.nan,
            }
        )
    table = pd.DataFrame(fits)
    rows = [_row("segment_stability", "k_warehouse", float(ref_k))]
    for kind, label in (("seed", f"other seeds {list(config.stability_seeds)}"),
                        ("subsample", f"{config.subsample_repeats} random {config.subsample_fraction:.0%} subsamples")):
        part = table[table["kind"] == kind]
        if part.empty:
            continue
        ks = ", ".join(str(k) for k in part["k"])
        rows += [
            _row("segment_stability", f"{kind}_same_k_share", float((part["k"] == ref_k).mean()), note=f"{label}: k = {ks}"),
            _row("segment_stability", f"{kind}_ari_min", float(part["ari_vs_warehouse"].min()), note=label),
            _row("segment_stability", f"{kind}_ari_mean", float(part["ari_vs_warehouse"].mean()), note=label),
        ]
    return rows, table


def _as_dict(cfg: SegmentConfig) -> dict[str, Any]:
    """A config back as a mapping (nested dataclasses kept), for overriding one option."""
    return {f: getattr(cfg, f) for f in cfg.__dataclass_fields__}


def ratio_rows(report_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Achieved / ceiling for the segments' ARI and the scorecard's ROC-AUC and PR-AUC."""
    table = pd.DataFrame(report_rows, columns=list(METRIC_COLUMNS))

    def value(area: str, metric: str, model: str) -> float:
        hit = table[(table["area"] == area) & (table["metric"] == metric) & (table["model"] == model)]
        return float(hit["value"].iloc[0]) if len(hit) else float("nan")

    rows = []
    for area, metric, model in (("segments", "adjusted_rand_index", ""), ("risk_score", "roc_auc", "scorecard"),
                                ("risk_score", "pr_auc", "scorecard")):
        ceiling = value(area, "ceiling_ari" if area == "segments" else metric, "random_forest_cv")
        achieved = value(area, metric, model)
        ratio = achieved / ceiling if ceiling and np.isfinite(ceiling) and np.isfinite(achieved) else np.nan
        rows.append(_row(area, f"{metric}_share_of_ceiling", ratio, model, f"{achieved:.3f} / {ceiling:.3f}"))
    return rows


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.3f}"


def format_report(report: EvaluationReport) -> str:
    """A plain-text report for the terminal."""
    lines = ["Evaluation against the generator's ground truth", "=" * 48]
    for area, group in report.metrics.groupby("area", sort=False):
        lines.append("")
        lines.append(area.replace("_", " ").capitalize())
        for row in group.itertuples(index=False):
            label = f"{row.model + ' ' if row.model else ''}{row.metric}"
            note = f"  ({row.note})" if row.note else ""
            lines.append(f"  {label:<44} {_fmt(row.value):>12}{note}")
    if not report.confusion.empty:
        lines += ["", "Personas (rows) x segments (columns), customers", report.confusion.to_string()]
    if not report.risk_by_pattern.empty:
        table = report.risk_by_pattern.copy()
        for c in ("share_high", "share_high_medium"):
            table[c] = table[c].map(lambda v: f"{v:.1%}")
        lines += ["", "Flagged by planted risk pattern", table.to_string(index=False)]
    if not report.stability.empty:
        lines += ["", "Segmentation refits against the warehouse's segments", report.stability.to_string(index=False)]
    return "\n".join(lines)
