"""Customer risk: an explainable points scorecard, and two supervised classifiers to compare it with.

The scorecard is what operations staff act on: every point has a named reason code, the rules
and cut-offs live in ``RiskConfig`` (so a threshold change is a YAML edit), and the same input
always gives the same reasons in the same order. Reasons are ordered by points (desc), then by
the rule's position in the config, so ties are deterministic.

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
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from bankmart.errors import BankmartError
from bankmart.ml.config import ClassifierConfig, RiskConfig, RiskRule
from bankmart.ml.frames import FLOAT, INT, TEXT, empty, typed

RULE_KINDS = ("absolute", "percentile")
MODEL_NAMES = ("logistic_regression", "random_forest")
METRIC_TYPES = {"model": TEXT, "metric": TEXT, "value": FLOAT, "note": TEXT}
IMPORTANCE_TYPES = {"model": TEXT, "feature": TEXT, "importance": FLOAT, "importance_type": TEXT, "rank": INT}
PREDICTION_TYPES = {"model": TEXT, "probability": FLOAT, "split": TEXT}


def _risk_config(config: RiskConfig | Mapping[str, Any] | Sequence[Any] | None) -> RiskConfig:
    if isinstance(config, (list, tuple)):  # a bare list of rules, other settings default
        config = {"rules": config}
    cfg = RiskConfig.from_mapping(config)
    if not cfg.rules:
        raise BankmartError("risk config has no rules")
    codes = [r.code for r in cfg.rules]
    if len(set(codes)) != len(codes):
        raise BankmartError(f"risk rule codes must be unique, got {codes}")
    for rule in cfg.rules:
        if rule.kind not in RULE_KINDS:
            raise BankmartError(f"risk rule {rule.code}: kind must be one of {RULE_KINDS}, got {rule.kind!r}")
        if rule.kind == "percentile" and not 0.0 <= rule.threshold <= 1.0:
            raise BankmartError(
                f"risk rule {rule.code}: a percentile threshold is a quantile between 0 and 1, "
                f"got {rule.threshold}"
            )
    if cfg.high_cutoff < cfg.medium_cutoff:
        raise BankmartError(
            f"risk config high_cutoff ({cfg.high_cutoff}) must be >= medium_cutoff ({cfg.medium_cutoff})"
        )
    if len(cfg.tier_labels) != 3 or cfg.n_reasons < 1:
        raise BankmartError("risk config needs three tier_labels (low, medium, high) and n_reasons >= 1")
    return cfg


def points_column(rule: RiskRule) -> str:
    return f"points_{rule.code.lower()}"


def rule_thresholds(
    features: pd.DataFrame, config: RiskConfig | Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The threshold each rule actually applies on this population (percentiles resolved).

    Useful as a BI table next to the scores, so "above the 95th percentile" reads as a number.
    """
    cfg = _risk_config(config)
    rows = []
    for rule in cfg.rules:
        value = _resolve_threshold(rule, _feature(features, rule))
        rows.append(
            {
                "reason_code": rule.code,
                "feature": rule.feature,
                "kind": rule.kind,
                "configured_threshold": rule.threshold,
                "applied_threshold": value,
                "points": rule.points,
                "description": rule.description,
            }
        )
    return pd.DataFrame(rows)


def _feature(features: pd.DataFrame, rule: RiskRule) -> pd.Series:
    if rule.feature not in features.columns:
        raise BankmartError(
            f"risk rule {rule.code} needs column {rule.feature!r}, which is not in the input; "
            "select it from customer_features or remove the rule from the risk config"
        )
    try:
        return pd.to_numeric(features[rule.feature], errors="raise").astype("float64")
    except (TypeError, ValueError):
        raise BankmartError(f"risk rule {rule.code}: column {rule.feature!r} must be numeric") from None


def _resolve_threshold(rule: RiskRule, values: pd.Series) -> float:
    if rule.kind == "absolute":
        return float(rule.threshold)
    finite = values[np.isfinite(values)]
    if finite.empty:
        return float("nan")  # nobody has a value: the rule cannot fire
    return max(float(finite.quantile(rule.threshold)), float(rule.floor))


def score_customers(
    features: pd.DataFrame,
    rules: RiskConfig | Mapping[str, Any] | Sequence[RiskRule | Mapping[str, Any]] | None = None,
    *,
    id_column: str = "customer_id",
) -> pd.DataFrame:
    """Points-based risk score with reason codes, one row per customer (input order).

    A rule gives its points when the feature is strictly above the rule's threshold (percentile
    rules: the population quantile, never below ``floor``); a NULL feature never fires.
    ``rules`` is a RiskConfig, its dict form (dbt meta) or a bare list of rules. Columns:
    id_column, risk_score (sum of points), risk_tier, reason_1..reason_<n_reasons> (NULL when
    fewer fired), reasons (all fired codes joined by the separator, '' when none), then one
    ``points_<code>`` column per rule.
    """
    cfg = _risk_config(rules)
    if id_column not in features.columns:
        raise BankmartError(f"id column {id_column!r} is not in the features")
    if features[id_column].isna().any() or features[id_column].duplicated().any():
        raise BankmartError(f"id column {id_column!r} must be unique and not NULL")
    n = len(features)
    points = np.zeros((n, len(cfg.rules)))
    for j, rule in enumerate(cfg.rules):
        values = _feature(features, rule).to_numpy()
        threshold = _resolve_threshold(rule, pd.Series(values))
        with np.errstate(invalid="ignore"):
            fired = np.nan_to_num(values, nan=-np.inf) > threshold if np.isfinite(threshold) else np.zeros(n, bool)
        points[:, j] = np.where(fired, rule.points, 0.0)
    score = points.sum(axis=1)

    low, medium, high = cfg.tier_labels
    tier = np.where(score >= cfg.high_cutoff, high, np.where(score >= cfg.medium_cutoff, medium, low))

    # Global reason order: points desc, then config position (stable sort).
    order = sorted(range(len(cfg.rules)), key=lambda j: -cfg.rules[j].points)
    codes = np.array([cfg.rules[j].code for j in order], dtype=object)
    fired_sorted = points[:, order] > 0
    sep = cfg.reason_separator
    joined = pd.Series("", index=range(n), dtype=object)
    for j, code in enumerate(codes):
        joined = joined + np.where(fired_sorted[:, j], sep + code, "")
    reasons_all = joined.str[len(sep):].to_numpy() if sep else joined.to_numpy()
    out = pd.DataFrame({id_column: features[id_column].to_numpy(), "risk_score": score, "risk_tier": tier})
    # k-th reason = code of the k-th fired rule in global order
    fired_rank = np.cumsum(fired_sorted, axis=1)
    for k in range(1, cfg.n_reasons + 1):
        hit = fired_sorted & (fired_rank == k)
        has = hit.any(axis=1)
        out[f"reason_{k}"] = np.where(has, codes[hit.argmax(axis=1)], None)
    out["reasons"] = reasons_all
    for j, rule in enumerate(cfg.rules):
        out[points_column(rule)] = points[:, j]
    text = {c: TEXT for c in ["risk_tier", "reasons", *(f"reason_{k}" for k in range(1, cfg.n_reasons + 1))]}
    return typed(out, {"risk_score": FLOAT, **text})


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
    feature_columns: Sequence[str] | None = None,
    label_column: str | None = None,
    seed: int | None = None,
    test_size: float | None = None,
    *,
    config: ClassifierConfig | Mapping[str, Any] | None = None,
    id_column: str = "customer_id",
    score_df: pd.DataFrame | None = None,
) -> ClassifierResult:
    """Train logistic regression and a random forest on a customer-level stratified holdout.

    ``score_df`` (optional) holds the same features observed later, e.g. up to today while the
    training rows stop before the label's outcome window: the fitted models also score its rows,
    returned as predictions with split 'current', so the bank gets an at-risk-now probability
    from a model that was evaluated honestly.

    Explicit arguments override ``config``. Customers (not rows) are split, so no customer is in
    both train and holdout; a customer with several rows is positive if any row is. Rows with a
    NULL label are not trained on but still get a probability (split 'unlabelled'). Feature
    NULLs are imputed with the training median; features NULL for every training row are dropped
    (noted). Metrics on the holdout: roc_auc, pr_auc (average precision), base_rate, plus row
    counts. Fallback when a class has fewer than ``min_customers_per_class`` customers (single
    class, tiny data): nothing is trained, every customer gets the observed base rate (or NaN),
    metrics are NaN and the note says why.
    """
    cfg = ClassifierConfig.from_mapping(config)
    features = list(feature_columns if feature_columns is not None else cfg.feature_columns)
    label_column = label_column or cfg.label_column
    seed = cfg.seed if seed is None else seed
    test_size = cfg.test_size if test_size is None else test_size
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
    xu = x[usable]

    models = {
        "logistic_regression": make_pipeline(
            SimpleImputer(strategy="median"),
            StandardScaler(),
            LogisticRegression(C=cfg.lr_c, class_weight="balanced", max_iter=cfg.lr_max_iter),
        ),
        "random_forest": make_pipeline(
            SimpleImputer(strategy="median"),
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
            model.fit(xu[train_mask], y[train_mask].astype(int))
            proba = model.predict_proba(xu)[:, 1]
            if current is not None:
                prediction_frames.append(
                    pd.DataFrame(
                        {
                            id_column: current[id_column].to_numpy(),
                            "model": name,
                            "probability": model.predict_proba(x_current[usable])[:, 1],
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
