"""The shape of the ML layer's parameters; their values live in one place, the YAML.

Every number, list and name the ML models use is under ``config.meta`` in
``python_models/ml/_ml__models.yml``: the dbt Python models pass it through ``from_mapping()``,
and anything outside dbt (``bankmart evaluate``, the tests) reads the same file with
``model_meta()``. The dataclasses below therefore carry no default values: a parameter missing
from the YAML is an error naming it, never a silent fallback to a second copy that could
disagree. ``from_mapping`` also rejects unknown keys, because a misspelt key silently ignored
is the hardest config bug to spot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bankmart.errors import BankmartError

_C = TypeVar("_C")

#: Where the ML models' parameters live, relative to the dbt project.
ML_MODELS_YAML = Path("python_models") / "ml" / "_ml__models.yml"


def _from_mapping(cls: type[_C], values: Mapping[str, Any] | None, what: str) -> _C:
    """Build a frozen config from a plain dict (dbt meta): lists become tuples, keys are checked
    both ways (unknown keys and missing ones are errors)."""
    if isinstance(values, cls):
        return values
    if not isinstance(values, Mapping):
        raise BankmartError(
            f"{what} must be a mapping of option -> value (config.meta in {ML_MODELS_YAML}), "
            f"got {type(values).__name__}"
        )
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise BankmartError(f"unknown {what} option(s) {unknown}; valid options are {sorted(fields)}")
    missing = sorted(
        name for name, f in fields.items()
        if name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    )
    if missing:
        raise BankmartError(f"{what} lacks option(s) {missing}: set them in {ML_MODELS_YAML}")
    converted = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(**converted)


def model_meta(model: str, project_dir: Path | str | None = None) -> dict[str, Any]:
    """The ``config.meta`` of one ML model, read from the project's YAML: the same values dbt
    hands the model, for code that runs outside dbt (``bankmart evaluate``, tests)."""
    root = Path(project_dir) if project_dir is not None else Path(__file__).resolve().parents[3]
    path = root / ML_MODELS_YAML
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise BankmartError(f"cannot read the ML parameters {path}: {exc}") from None
    for node in document.get("models", []):
        if node.get("name") == model:
            return dict((node.get("config") or {}).get("meta") or {})
    raise BankmartError(f"{path} has no model {model!r}")


def slugify(name: str) -> str:
    """'Cross-Border Lifestyle' -> 'cross_border_lifestyle': a stable id from a display name."""
    out = []
    for ch in name.lower():
        out.append(ch if ch.isalnum() else "_")
    slug = "_".join(part for part in "".join(out).split("_") if part)
    return slug or "segment"


# --------------------------------------------------------------------------------------------
# Spend tiers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierConfig:
    """Quantile spend tiers (see ``bankmart.ml.tiers``).

    labels/codes: one per tier, lowest spend first. nan_policy: what a NULL measure gets,
    "null" (row kept, tier columns NULL, as pd.qcut does), "drop" or "zero". tie_policy: what
    happens when quantile edges collide, "lowest" (the documented policy of tiers.py) or "error".
    """

    n_tiers: int
    labels: tuple[str, ...]
    codes: tuple[str, ...]
    nan_policy: str
    tie_policy: str

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> TierConfig:
        return _from_mapping(cls, values, "tier config")

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``assign_quantile_tiers``."""
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------------------------
# Segmentation
# --------------------------------------------------------------------------------------------

#: How a feature's value is written in names and descriptions.
FEATURE_FORMATS = ("percent", "amount", "number")


@dataclass(frozen=True)
class SegmentFeature:
    """A customer_features column the segmentation uses, and how to speak of it."""

    name: str
    label: str  # reads after "high" / "low" in a description
    short: str  # reads after "High" / "Low" in a segment name
    format: str

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | str) -> SegmentFeature:
        if isinstance(values, SegmentFeature):
            return values
        feature = _from_mapping(cls, values, "segment feature")
        if feature.format not in FEATURE_FORMATS:
            raise BankmartError(
                f"segment feature {feature.name}: format must be one of {FEATURE_FORMATS}, got {feature.format!r}"
            )
        return feature


@dataclass(frozen=True)
class Condition:
    """What an archetype needs of a segment's centroid: the feature in use, differing clearly
    from the population in the stated direction (|z| >= the config's clear_z), and, when given,
    its value in original units at least ``min_value`` / at most ``max_value``."""

    feature: str
    direction: str  # "high" or "low"
    min_value: float | None = None
    max_value: float | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Condition:
        if isinstance(values, Condition):
            return values
        condition = _from_mapping(cls, values, "archetype condition")
        if condition.direction not in ("high", "low"):
            raise BankmartError(
                f"archetype condition on {condition.feature}: direction must be high or low, got {condition.direction!r}"
            )
        return condition


@dataclass(frozen=True)
class Archetype:
    """A named kind of segment: the conditions a centroid must meet to carry the name, and the
    weights that score how well it fits (weighted mean of centroid z-scores) when several
    segments qualify."""

    name: str
    conditions: tuple[Condition, ...]
    weights: tuple[tuple[str, float], ...]
    recommended_action: str

    @property
    def segment_id(self) -> str:
        return slugify(self.name)

    @property
    def features(self) -> set[str]:
        return {c.feature for c in self.conditions} | {f for f, _ in self.weights}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Archetype:
        if isinstance(values, Archetype):
            return values
        try:
            weights = values["weights"]
            items = weights.items() if isinstance(weights, Mapping) else weights
            conditions = tuple(Condition.from_mapping(c) for c in values["conditions"])
            arch = cls(
                name=str(values["name"]),
                conditions=conditions,
                weights=tuple((str(f), float(w)) for f, w in items),
                recommended_action=str(values["recommended_action"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BankmartError(
                f"archetype {values!r} needs name, conditions, weights (feature: weight) and "
                f"recommended_action: {exc}"
            ) from None
        if not arch.conditions:
            raise BankmartError(f"archetype {arch.name} has no conditions: say what a segment must show to carry its name")
        return arch


@dataclass(frozen=True)
class SegmentConfig:
    """K-Means segmentation (see ``bankmart.ml.segments`` for what each setting does)."""

    features: tuple[SegmentFeature, ...]
    # Shown in segment profiles (centroid per segment) but not clustered on.
    profile_features: tuple[SegmentFeature, ...]
    # Features to log1p before scaling; None = detect (non-negative, skewness > skew_threshold).
    log_features: tuple[str, ...] | None
    skew_threshold: float
    k_min: int
    k_max: int
    k: int | None  # a fixed k skips the selection
    n_init: int
    max_iter: int
    random_state: int
    n_threads: int
    fit_sample_size: int
    silhouette_sample_size: int
    silhouette_tolerance: float
    impute: str
    # A centroid differs clearly from the population on a feature when |z| >= clear_z.
    clear_z: float
    archetypes: tuple[Archetype, ...]
    # Clear differences the description names, strongest first.
    description_features: int

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.profile_features)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> SegmentConfig:
        if isinstance(values, SegmentConfig):
            return values
        values = dict(values or {})
        for key in ("features", "profile_features"):
            if key in values:
                values[key] = tuple(SegmentFeature.from_mapping(f) for f in values[key])
        if "archetypes" in values:
            values["archetypes"] = tuple(Archetype.from_mapping(a) for a in values["archetypes"])
        return _from_mapping(cls, values, "segment config")


# --------------------------------------------------------------------------------------------
# Risk scorecard and classifiers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskRule:
    """One risk behaviour the scorecard watches, through one signal of customer_features.

    The rule's severity for a customer is the percentile (0-100) of the customer's signal among
    the customers for whom it is assessable (not NULL), and 0 when the signal is at or below
    ``floor``, the value meaning "nothing happened" (no fraud, no increase on the baseline). A
    NULL signal makes the rule not assessable for that customer.
    """

    code: str
    signal: str
    floor: float
    description: str
    # How the reason detail writes the signal's value, e.g. "{value:.1f}x usual monthly spend".
    detail: str

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RiskRule:
        if isinstance(values, RiskRule):
            return values
        return _from_mapping(cls, values, "risk rule")


@dataclass(frozen=True)
class RiskConfig:
    """Explainable risk scorecard (see ``bankmart.ml.risk.score_customers``)."""

    rules: tuple[RiskRule, ...]
    # risk_score (the strongest severity) >= high_cutoff -> High, >= medium_cutoff -> Medium.
    medium_cutoff: float
    high_cutoff: float
    # A rule is a reason when its severity is at least this.
    reason_min_severity: float
    # low, medium, high, and the tier of a customer no rule could be assessed for
    tier_labels: tuple[str, str, str, str]
    n_reasons: int
    reason_separator: str

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> RiskConfig:
        if isinstance(values, RiskConfig):
            return values
        values = dict(values or {})
        if "rules" in values:
            values["rules"] = tuple(RiskRule.from_mapping(r) for r in values["rules"])
        return _from_mapping(cls, values, "risk config")


@dataclass(frozen=True)
class ClassifierConfig:
    """Supervised risk models (see ``bankmart.ml.risk.train_risk_classifiers``)."""

    feature_columns: tuple[str, ...]
    label_column: str
    seed: int
    test_size: float
    lr_c: float
    lr_max_iter: int
    rf_n_estimators: int
    rf_max_depth: int | None
    rf_min_samples_leaf: int
    # Rows each tree bootstraps (capped at the training size): keeps the forest cheap at 1M.
    rf_max_samples: int
    # Random-forest worker threads (joblib) and native OpenMP/BLAS threads.
    n_jobs: int
    n_threads: int
    # Each class needs this many customers before anything is trained; below it the
    # documented fallback (base-rate probabilities, NaN metrics with a note) applies.
    min_customers_per_class: int

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ClassifierConfig:
        return _from_mapping(cls, values, "classifier config")


# --------------------------------------------------------------------------------------------
# Evaluation (not an ML model: how `bankmart evaluate` reads the warehouse and measures)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationConfig:
    """Evaluation against the generator's ground truth (see ``bankmart.ml.evaluate``)."""

    marts_schema: str = "marts"
    segments_table: str = "customer_segments"
    scores_table: str = "customer_risk_scores"
    predictions_table: str = "customer_risk_predictions"
    features_table: str = "customer_features"
    availability_table: str = "data_availability"
    ground_truth_file: str = "customers.parquet"
    # Stability: refits with these random seeds, and on this many subsamples of this fraction.
    stability_seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    subsample_fraction: float = 0.9
    subsample_repeats: int = 5
    # Supervised ceilings: folds of the cross-validation and trees of its random forest.
    ceiling_folds: int = 5
    ceiling_trees: int = 200

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> EvaluationConfig:
        return _from_mapping(cls, values or {}, "evaluation config")


EVALUATION_DEFAULTS = EvaluationConfig()
