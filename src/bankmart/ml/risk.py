"""Customer risk: an explainable scorecard of recent-versus-baseline signals, and two supervised
classifiers to compare it with.

The scorecard is what operations staff act on. Each rule watches one risk behaviour through one
signal of customer_features (computed in SQL: fraud history, late repayment, and the recent
window against the customer's own baseline for spend spikes, cash-outs and bursts abroad). A
rule's *severity* for a customer is the percentile (0-100) of the customer's signal among the
customers for whom it is assessable, and 0 when the signal is at or below the rule's floor (the
value meaning "nothing happened"). The risk score is the strongest severity: a customer is as
risky as their most unusual behaviour, so a cash-out in the last quarter ranks as high as it is
rare, and moderate values on several signals do not add up to an alert. The tier follows from
the score (High / Medium / Low cut-offs in the YAML). Reasons are the rules whose severity
reaches ``reason_min_severity``, strongest first (config order on ties), each with a detail
naming the signal's value.

A rule whose signal is NULL for a customer is *not assessable* for that customer (the bank
lacks the input: no fraud labels, no loans, no channel, no baseline to compare with). Every
customer's row says how many rules could be assessed and which could not; a customer with no
assessable rule gets no score and the tier "Not assessed", never "Low".

The classifiers (logistic regression and a random forest) learn a later outcome from earlier
features. The label must come from a window *after* the features' window (the SQL builds it
that way); ``train_risk_classifiers`` refuses a label that is also a feature, splits train and
holdout by customer, and degrades to documented base-rate predictions with NaN metrics when the
label has a single class or too few customers, rather than crashing inside scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bankmart.errors import BankmartError
from bankmart.ml.config import ClassifierConfig, RiskConfig, RiskRule
from bankmart.ml.frames import FLOAT, INT, TEXT, empty, typed

MODEL_NAMES = ("logistic_regression", "random_forest")
METRIC_TYPES = {"model": TEXT, "metric": TEXT, "value": FLOAT, "note": TEXT}
IMPORTANCE_TYPES = {"model": TEXT, "feature": TEXT, "importance": FLOAT, "importance_type": TEXT, "rank": INT}
PREDICTION_TYPES = {"model": TEXT, "probability": FLOAT, "split": TEXT}
RULE_TYPES = {
    "reason_code": TEXT,
    "signal": TEXT,
    "description": TEXT,
    "floor": FLOAT,
    "customers": INT,
    "customers_assessable": INT,
    "is_assessable": "boolean",
    "value_at_medium_cutoff": FLOAT,
    "value_at_high_cutoff": FLOAT,
    "customers_with_reason": INT,
}


def _risk_config(config: RiskConfig | Mapping[str, Any]) -> RiskConfig:
    cfg = RiskConfig.from_mapping(config)
    if not cfg.rules:
        raise BankmartError("risk config has no rules")
    codes = [r.code for r in cfg.rules]
    if len(set(codes)) != len(codes):
        raise BankmartError(f"risk rule codes must be unique, got {codes}")
    if not 0 <= cfg.medium_cutoff <= cfg.high_cutoff <= 100:
        raise BankmartError(
            "risk config needs 0 <= medium_cutoff <= high_cutoff <= 100 (severities are "
            f"percentiles), got {cfg.medium_cutoff} and {cfg.high_cutoff}"
        )
    if len(cfg.tier_labels) != 4 or len(set(cfg.tier_labels)) != 4 or cfg.n_reasons < 1:
        raise BankmartError(
            "risk config needs four distinct tier_labels (low, medium, high, not assessed) and n_reasons >= 1"
        )
    for rule in cfg.rules:
        try:
            rule.detail.format(value=1.0)
        except (KeyError, IndexError, ValueError) as exc:
            raise BankmartError(f"risk rule {rule.code}: detail {rule.detail!r} must format {{value}}: {exc}") from None
    return cfg


def severity_column(rule: RiskRule) -> str:
    return f"severity_{rule.code.lower()}"


def _signal(features: pd.DataFrame, rule: RiskRule) -> np.ndarray:
    if rule.signal not in features.columns:
        raise BankmartError(
            f"risk rule {rule.code} needs column {rule.signal!r}, which is not in the input; "
            "select it from customer_features or remove the rule from the risk config"
        )
    try:
        values = pd.to_numeric(features[rule.signal], errors="raise").astype("float64").to_numpy()
    except (TypeError, ValueError):
        raise BankmartError(f"risk rule {rule.code}: column {rule.signal!r} must be numeric") from None
    return np.where(np.isfinite(values), values, np.nan)


def severities(values: np.ndarray, floor: float) -> np.ndarray:
    """Percentile (0-100, average rank over the customers with a value) where the value is above
    ``floor``, 0 at or below it, NaN where the value is NULL (not assessable)."""
    assessable = ~np.isnan(values)
    out = np.full(len(values), np.nan)
    if assessable.any():
        ranks = pd.Series(values[assessable]).rank(method="average").to_numpy()
        pct = 100.0 * ranks / assessable.sum()
        out[assessable] = np.where(values[assessable] > floor, pct, 0.0)
    return out


def score_customers(
    features: pd.DataFrame,
    config: RiskConfig | Mapping[str, Any],
    *,
    id_column: str = "customer_id",
) -> pd.DataFrame:
    """The scorecard, one row per customer (input order); see the module docstring.

    Columns: id_column; risk_score (the strongest severity, NULL when no rule is assessable);
    risk_tier; rules_assessed and rules_total; rules_not_assessed (codes, '' when none);
    reason_1..reason_<n_reasons> (NULL when fewer); reasons (every reason code, '' when none);
    reason_details ("CODE: what the signal shows (percentile p)"); one severity_<code> column
    per rule (NULL where not assessable).
    """
    cfg = _risk_config(config)
    if id_column not in features.columns:
        raise BankmartError(f"id column {id_column!r} is not in the features")
    if features[id_column].isna().any() or features[id_column].duplicated().any():
        raise BankmartError(f"id column {id_column!r} must be unique and not NULL")
    n, sep = len(features), cfg.reason_separator
    values = np.column_stack([_signal(features, r) for r in cfg.rules]) if n else np.zeros((0, len(cfg.rules)))
    sev = np.column_stack([severities(values[:, j], r.floor) for j, r in enumerate(cfg.rules)]) if n else values
    assessed = ~np.isnan(sev)
    rules_assessed = assessed.sum(axis=1)
    score = np.full(n, np.nan)
    some = rules_assessed > 0
    score[some] = np.nanmax(sev[some], axis=1)
    low, medium, high, not_assessed = cfg.tier_labels
    tier = np.where(
        rules_assessed == 0, not_assessed,
        np.where(score >= cfg.high_cutoff, high, np.where(score >= cfg.medium_cutoff, medium, low)),
    )

    codes = np.array([r.code for r in cfg.rules], dtype=object)
    # reasons: severity at least reason_min_severity (and above the floor), strongest first,
    # config order on ties (a stable sort of the negated severities)
    is_reason = assessed & (np.nan_to_num(sev) >= cfg.reason_min_severity) & (np.nan_to_num(sev) > 0)
    order = np.argsort(-np.where(is_reason, sev, -1.0), axis=1, kind="stable")
    out = pd.DataFrame(
        {
            id_column: features[id_column].to_numpy(),
            "risk_score": score,
            "risk_tier": tier,
            "rules_assessed": rules_assessed,
            "rules_total": len(cfg.rules),
        }
    )
    not_assessed_text = pd.Series("", index=range(n), dtype=object)
    for j, code in enumerate(codes):
        not_assessed_text = not_assessed_text + np.where(~assessed[:, j], sep + code, "")
    out["rules_not_assessed"] = not_assessed_text.str[len(sep):].to_numpy() if sep else not_assessed_text.to_numpy()
    ranked_reason = np.take_along_axis(is_reason, order, axis=1)
    for k in range(cfg.n_reasons):
        if k < len(cfg.rules):
            out[f"reason_{k + 1}"] = np.where(ranked_reason[:, k], codes[order[:, k]], None)
        else:
            out[f"reason_{k + 1}"] = None
    reasons = pd.Series("", index=range(n), dtype=object)
    details = pd.Series("", index=range(n), dtype=object)
    for k in range(len(cfg.rules)):
        j = order[:, k]
        hit = ranked_reason[:, k]
        if not hit.any():
            continue
        rows = np.flatnonzero(hit)
        code_k = codes[j[rows]]
        text = [
            f"{code}: {cfg.rules[jj].detail.format(value=values[r, jj])} (percentile {sev[r, jj]:.1f})"
            for r, jj, code in zip(rows, j[rows], code_k, strict=True)
        ]
        prefix_r = np.where(reasons.iloc[rows].to_numpy() == "", "", sep)
        prefix_d = np.where(details.iloc[rows].to_numpy() == "", "", "; ")
        reasons.iloc[rows] = reasons.iloc[rows].to_numpy() + prefix_r + code_k
        details.iloc[rows] = details.iloc[rows].to_numpy() + prefix_d + np.array(text, dtype=object)
    out["reasons"] = reasons.to_numpy()
    out["reason_details"] = details.to_numpy()
    for j, rule in enumerate(cfg.rules):
        out[severity_column(rule)] = sev[:, j]
    text_columns = ["risk_tier", "rules_not_assessed", "reasons", "reason_details",
                    *(f"reason_{k}" for k in range(1, cfg.n_reasons + 1))]
    return typed(
        out,
        {"risk_score": FLOAT, "rules_assessed": INT, "rules_total": INT,
         **{c: TEXT for c in text_columns}, **{severity_column(r): FLOAT for r in cfg.rules}},
    )


def rule_summary(
    features: pd.DataFrame, scores: pd.DataFrame, config: RiskConfig | Mapping[str, Any]
) -> pd.DataFrame:
    """One row per rule: whether this bank can assess it and for how many customers, the signal
    values at the Medium and High cut-offs (the percentiles as numbers an analyst can read) and
    how many customers have it as a reason."""
    cfg = _risk_config(config)
    rows = []
    for rule in cfg.rules:
        values = _signal(features, rule)
        assessable = values[~np.isnan(values)]
        column = scores[severity_column(rule)].to_numpy(dtype=float)

        def at(cutoff: float, assessable: np.ndarray = assessable, floor: float = rule.floor) -> float:
            if not len(assessable):
                return float("nan")
            return max(float(np.quantile(assessable, cutoff / 100.0)), float(floor))

        rows.append(
            {
                "reason_code": rule.code,
                "signal": rule.signal,
                "description": rule.description,
                "floor": float(rule.floor),
                "customers": len(values),
                "customers_assessable": len(assessable),
                "is_assessable": len(assessable) > 0,
                "value_at_medium_cutoff": at(cfg.medium_cutoff),
                "value_at_high_cutoff": at(cfg.high_cutoff),
                "customers_with_reason": int(
                    (np.nan_to_num(column) >= cfg.reason_min_severity).sum() if len(column) else 0
                ),
            }
        )
    return typed(pd.DataFrame(rows, columns=list(RULE_TYPES)), RULE_TYPES)


# --------------------------------------------------------------------------------------------
# Supervised classifiers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierResult:
    """metrics: model, metric, value, note. importances: model, feature, importance,
    importance_type. predictions: id_column, model, probability, split ('train', 'holdout'
    or 'unlabelled')."""

    metrics: pd.DataFrame
    importances: pd.DataFrame
    predictions: pd.DataFrame


def _labels(df: pd.DataFrame, label_column: str) -> pd.Series:
    raw = df[label_column]
    if raw.dtype == bool:
        return raw.astype("float64")
    label = pd.to_numeric(raw, errors="coerce")
    bad = label.notna() & ~label.isin([0, 1])
    if bad.any() or (raw.notna() & label.isna()).any():
        raise BankmartError(
            f"label column {label_column!r} must hold 0/1 (or true/false, NULL = unknown); "
            f"found values such as {raw[bad | (raw.notna() & label.isna())].head(3).tolist()}"
        )
    return label.astype("float64")


def train_risk_classifiers(
    train_df: pd.DataFrame,
    config: ClassifierConfig | Mapping[str, Any],
    *,
    feature_columns: Sequence[str] | None = None,
    label_column: str | None = None,
    id_column: str = "customer_id",
    score_df: pd.DataFrame | None = None,
) -> ClassifierResult:
    """Train logistic regression and a random forest on a customer-level stratified holdout.

    ``score_df`` (optional) holds the same features observed later, e.g. up to today while the
    training rows stop before the label's outcome window: the fitted models also score its rows,
    returned as predictions with split 'current', so the bank gets an at-risk-now probability
    from a model that was evaluated honestly.

    ``feature_columns`` and ``label_column`` override the config's. Customers (not rows) are split, so no customer is in
    both train and holdout; a customer with several rows is positive if any row is. Rows with a
    NULL label are not trained on but still get a probability (split 'unlabelled'). Feature
    NULLs are imputed with the training median; features NULL for every training row are dropped
    (noted). Metrics on the holdout: roc_auc, pr_auc (average precision), base_rate, plus row
    counts. Fallback when a class has fewer than ``min_customers_per_class`` customers (single
    class, tiny data): nothing is trained, every customer gets the observed base rate (or NaN),
    metrics are NaN and the note says why.
    """
    # scikit-learn is imported here, not with the module: the scorecard (ml_customer_risk_scores)
    # needs none of it, and importing it costs about a second of CPU in that model's node.
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    cfg = ClassifierConfig.from_mapping(config)
    features = list(feature_columns if feature_columns is not None else cfg.feature_columns)
    label_column = label_column or cfg.label_column
    seed, test_size = cfg.seed, cfg.test_size
    if not 0.0 < test_size < 1.0:
        raise BankmartError(f"test_size must be between 0 and 1, got {test_size}")
    if not features:
        raise BankmartError("feature_columns is empty: list the features to train on")
    if label_column in features:
        raise BankmartError(
            f"label column {label_column!r} is also listed as a feature: that leaks the answer "
            "into the model. Remove it from feature_columns."
        )
    if id_column in features:
        raise BankmartError(f"id column {id_column!r} cannot be a feature")
    missing = [c for c in [id_column, label_column, *features] if c not in train_df.columns]
    if missing:
        raise BankmartError(f"columns {missing} are not in the training data (columns: {list(train_df.columns)})")
    if train_df[id_column].isna().any():
        raise BankmartError(f"id column {id_column!r} has NULL values")

    frame = train_df.reset_index(drop=True)
    x = _numeric_features(frame, features)
    current = None
    if score_df is not None:
        absent = [c for c in [id_column, *features] if c not in score_df.columns]
        if absent:
            raise BankmartError(f"columns {absent} are not in the rows to score")
        current = score_df.reset_index(drop=True)
        x_current = _numeric_features(current, features)
    y = _labels(frame, label_column)
    ids = frame[id_column]
    labelled = y.notna()

    per_customer = y[labelled].groupby(ids[labelled]).max()
    counts = per_customer.value_counts()
    n_pos, n_neg = int(counts.get(1.0, 0)), int(counts.get(0.0, 0))
    notes: list[str] = []
    min_class = max(cfg.min_customers_per_class, 2)
    n_test_est = int(np.ceil(test_size * len(per_customer)))
    if min(n_pos, n_neg) < min_class or n_test_est < 2 or len(per_customer) - n_test_est < 2:
        base = float(per_customer.mean()) if len(per_customer) else float("nan")
        note = (
            f"not trained: {n_pos} positive and {n_neg} negative labelled customers; each class "
            f"needs at least {min_class}. Probabilities are the base rate."
        )
        return _fallback(ids, labelled, base, note, id_column, current)

    train_ids, test_ids = train_test_split(
        per_customer.index.to_numpy(),
        test_size=test_size,
        random_state=seed,
        stratify=per_customer.to_numpy(),
    )
    in_test = ids.isin(set(test_ids))
    train_mask = labelled & ~in_test
    test_mask = labelled & in_test
    if y[train_mask].nunique() < 2:
        note = f"not trained: test_size={test_size} leaves one class in the training split"
        return _fallback(ids, labelled, float(per_customer.mean()), note, id_column, current)

    usable = [c for c in features if x.loc[train_mask, c].notna().any()]
    dropped = [c for c in features if c not in usable]
    if dropped:
        notes.append(f"features NULL for every training customer dropped: {dropped}")
    if not usable:
        base = float(per_customer.mean())
        return _fallback(
            ids, labelled, base, "not trained: every feature is NULL", id_column, current
        )
    # NULL features take the training rows' median, once for both models: what scikit-learn's
    # SimpleImputer(strategy="median") computes, without its masked-array sort (the classifiers
    # took 3.1 s with it, 2.3 s without, at 100,000 customers). The rows to score take the same
    # medians.
    medians = x.loc[train_mask, usable].median()
    xu = x[usable].fillna(medians).to_numpy()
    xu_current = x_current[usable].fillna(medians).to_numpy() if current is not None else None

    models = {
        "logistic_regression": make_pipeline(
            StandardScaler(),
            LogisticRegression(C=cfg.lr_c, class_weight="balanced", max_iter=cfg.lr_max_iter),
        ),
        "random_forest": make_pipeline(
            RandomForestClassifier(
                n_estimators=cfg.rf_n_estimators,
                max_depth=cfg.rf_max_depth,
                min_samples_leaf=cfg.rf_min_samples_leaf,
                max_samples=min(cfg.rf_max_samples, int(train_mask.sum())),
                class_weight="balanced",
                random_state=seed,
                n_jobs=cfg.n_jobs,
            ),
        ),
    }
    metric_rows: list[dict[str, Any]] = []
    importance_rows: list[dict[str, Any]] = []
    prediction_frames = []
    split = np.where(~labelled, "unlabelled", np.where(in_test, "holdout", "train"))
    y_test = y[test_mask].to_numpy()
    note = "; ".join(notes)
    for name, model in models.items():
        with threadpool_limits(limits=cfg.n_threads):
            model.fit(xu[train_mask.to_numpy()], y[train_mask].astype(int))
            proba = model.predict_proba(xu)[:, 1]
            if current is not None:
                prediction_frames.append(
                    pd.DataFrame(
                        {
                            id_column: current[id_column].to_numpy(),
                            "model": name,
                            "probability": model.predict_proba(xu_current)[:, 1],
                            "split": "current",
                        }
                    )
                )
        p_test = proba[test_mask.to_numpy()]
        both = np.unique(y_test).size == 2
        metric_rows += [
            {"model": name, "metric": "roc_auc", "value": roc_auc_score(y_test, p_test) if both else np.nan, "note": note if both else "holdout has one class"},
            {"model": name, "metric": "pr_auc", "value": average_precision_score(y_test, p_test) if both else np.nan, "note": note if both else "holdout has one class"},
        ]
        estimator = model[-1]
        if name == "logistic_regression":
            weights, kind = estimator.coef_[0], "standardized_coefficient"
        else:
            weights, kind = estimator.feature_importances_, "impurity_decrease"
        importance_rows += [
            {"model": name, "feature": f, "importance": float(w), "importance_type": kind}
            for f, w in zip(usable, weights, strict=True)
        ]
        prediction_frames.append(
            pd.DataFrame({id_column: ids.to_numpy(), "model": name, "probability": proba, "split": split})
        )
        metric_rows.append(
            {"model": name, "metric": "base_rate", "value": float(y_test.mean()), "note": "holdout positive rate"}
        )
    metric_rows += [
        {"model": "data", "metric": "train_customers", "value": float(len(train_ids)), "note": note},
        {"model": "data", "metric": "holdout_customers", "value": float(len(test_ids)), "note": note},
        {"model": "data", "metric": "positive_customers", "value": float(n_pos), "note": note},
    ]
    importances = pd.DataFrame(importance_rows)
    importances["rank"] = (
        importances.assign(a=importances["importance"].abs())
        .groupby("model")["a"].rank(ascending=False, method="first").astype(int)
    )
    return ClassifierResult(
        metrics=typed(pd.DataFrame(metric_rows, columns=list(METRIC_TYPES)), METRIC_TYPES),
        importances=typed(importances.sort_values(["model", "rank"]).reset_index(drop=True), IMPORTANCE_TYPES),
        predictions=typed(pd.concat(prediction_frames, ignore_index=True), PREDICTION_TYPES),
    )


def _numeric_features(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """The feature columns as float64, infinities as NULL; a non-numeric feature is an error."""
    x = pd.DataFrame(index=frame.index)
    for c in features:
        try:
            x[c] = pd.to_numeric(frame[c], errors="raise").astype("float64")
        except (TypeError, ValueError):
            raise BankmartError(f"feature {c!r} must be numeric") from None
    return x.replace([np.inf, -np.inf], np.nan)


def _fallback(
    ids: pd.Series,
    labelled: pd.Series,
    base: float,
    note: str,
    id_column: str,
    current: pd.DataFrame | None = None,
) -> ClassifierResult:
    split = np.where(labelled, "train", "unlabelled")
    if current is not None:
        ids = pd.concat([ids, current[id_column]], ignore_index=True)
        split = np.concatenate([split, np.full(len(current), "current")])
    metrics = pd.DataFrame(
        [
            {"model": m, "metric": metric, "value": float("nan"), "note": note}
            for m in MODEL_NAMES
            for metric in ("roc_auc", "pr_auc")
        ]
        + [{"model": "data", "metric": "base_rate", "value": base, "note": note}],
        columns=["model", "metric", "value", "note"],
    )
    predictions = pd.concat(
        [
            pd.DataFrame({id_column: ids.to_numpy(), "model": m, "probability": base, "split": split})
            for m in MODEL_NAMES
        ],
        ignore_index=True,
    )
    return ClassifierResult(
        typed(metrics, METRIC_TYPES), empty(IMPORTANCE_TYPES), typed(predictions, PREDICTION_TYPES)
    )
