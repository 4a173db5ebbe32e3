"""How well segments and risk scores recover what the generator planted.

The generator knows each customer's latent persona and whether (and how) risk was planted; the
warehouse never sees that answer key. These functions join the two on customer_id and report
agreement as a tidy table (area, model, metric, value, note) plus a persona x segment confusion
table and recall per planted risk pattern. A metric that is undefined on the data (e.g. ROC-AUC
when nobody is planted) is NaN with a note, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    average_precision_score,
    normalized_mutual_info_score,
    roc_auc_score,
)

from bankmart.errors import BankmartError
from bankmart.ml.config import EvaluationConfig

METRIC_COLUMNS = ("area", "model", "metric", "value", "note")


@dataclass(frozen=True)
class EvaluationReport:
    metrics: pd.DataFrame  # METRIC_COLUMNS
    confusion: pd.DataFrame  # persona rows x segment_name columns, counts
    risk_by_pattern: pd.DataFrame  # risk_pattern, customers, flagged_high, flagged_high_medium, recall_*

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
        }


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
    truth: pd.DataFrame, scores: pd.DataFrame, config: EvaluationConfig | Mapping[str, Any] | None = None
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """ROC-AUC of risk_score vs planted risk; precision/recall of High and of High+Medium;
    recall per planted pattern."""
    cfg = EvaluationConfig.from_mapping(config)
    _require(scores, ["customer_id", "risk_score", "risk_tier"], "risk scores")
    joined = prepare_truth(truth).merge(scores[["customer_id", "risk_score", "risk_tier"]], on="customer_id")
    rows = [_row("risk_score", "customers_evaluated", len(joined))]
    y = joined["is_planted_risk"].to_numpy().astype(bool)
    rows += _auc_rows("risk_score", "scorecard", y.astype(int), joined["risk_score"].to_numpy())
    high = (joined["risk_tier"] == cfg.high_tier).to_numpy()
    high_medium = high | (joined["risk_tier"] == cfg.medium_tier).to_numpy()
    for name, flagged in (("high", high), ("high_medium", high_medium)):
        precision, recall = _precision_recall(flagged, y)
        rows += [
            _row("risk_score", f"precision_{name}", precision, "scorecard"),
            _row("risk_score", f"recall_{name}", recall, "scorecard"),
            _row("risk_score", f"flagged_{name}", float(flagged.sum()), "scorecard"),
        ]
    rows.append(_row("risk_score", "planted_rate", y.mean() if len(y) else np.nan, "scorecard"))
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
    config: EvaluationConfig | Mapping[str, Any] | None = None,
) -> EvaluationReport:
    """Everything above in one report; parts whose table is None are skipped."""
    truth = prepare_truth(truth)
    rows = [_row("ground_truth", "customers", len(truth)), _row("ground_truth", "planted_rate", truth["is_planted_risk"].mean() if len(truth) else np.nan)]
    confusion, by_pattern = pd.DataFrame(), pd.DataFrame()
    if segments is not None:
        seg_rows, confusion = evaluate_segments(truth, segments)
        rows += seg_rows
    if scores is not None:
        score_rows, by_pattern = evaluate_risk_scores(truth, scores, config)
        rows += score_rows
    if predictions is not None:
        rows += evaluate_classifiers(truth, predictions)
    return EvaluationReport(pd.DataFrame(rows, columns=list(METRIC_COLUMNS)), confusion, by_pattern)


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
    return "\n".join(lines)
