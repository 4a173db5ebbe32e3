"""Every tunable number of the ML layer, in one place.

The dbt Python models pass their ``config.meta`` (or ``var``) dicts through ``from_mapping()``,
so a change of tier count, seed, rule threshold or cut-off is a YAML edit, never a code edit, and
the functions in this package never bury a constant. Each dataclass's defaults are the project's
defaults; ``from_mapping`` rejects unknown keys with a message naming them, because a misspelt
key silently falling back to a default is the hardest config bug to spot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bankmart.errors import BankmartError

_C = TypeVar("_C")


def _from_mapping(cls: type[_C], values: Mapping[str, Any] | None, what: str) -> _C:
    """Build a frozen config from a plain dict (dbt meta/vars): lists become tuples, keys are checked."""
    if values is None:
        return cls()
    if isinstance(values, cls):
        return values
    if not isinstance(values, Mapping):
        raise BankmartError(f"{what} must be a mapping of option -> value, got {type(values).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - names)
    if unknown:
        raise BankmartError(
            f"unknown {what} option(s) {unknown}; valid options are {sorted(names)}"
        )
    converted = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(**converted)


# --------------------------------------------------------------------------------------------
# Spend tiers
# --------------------------------------------------------------------------------------------

DEFAULT_TIER_LABELS: tuple[str, ...] = ("Low", "Moderate", "High", "Very High", "Top Spender")


@dataclass(frozen=True)
class TierConfig:
    """Quantile spend tiers (see ``bankmart.ml.tiers``).

    The default labels only fit five tiers: with the default labels and another ``n_tiers`` (or
    labels=None) the names become "Tier 1".."Tier n". codes=None gives ``<code_prefix>1``..
    ``<code_prefix>n``. Rank 1 is always the lowest spend.
    """

    n_tiers: int = 5
    labels: tuple[str, ...] | None = DEFAULT_TIER_LABELS
    codes: tuple[str, ...] | None = None
    code_prefix: str = "Q"
    # What a NULL measure gets: "null" (row kept, tier columns NULL, as pd.qcut does),
    # "drop" (row removed) or "zero" (treated as 0 before binning).
    nan_policy: str = "null"
    # When quantile edges collide (many ties/zeros): "rank" bins the stable rank instead
    # (documented in tiers.py), "error" raises.
    tie_policy: str = "rank"
    # Fewer non-null customers than tiers: False raises, True bins their ranks (sparse tiers).
    allow_fewer_customers_than_tiers: bool = False

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> TierConfig:
        return _from_mapping(cls, values, "tier config")

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``assign_quantile_tiers``."""
        return dataclasses.asdict(self)


TIER_DEFAULTS = TierConfig()


# --------------------------------------------------------------------------------------------
# Segmentation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Archetype:
    """A named customer segment described by the centroid profile it expects.

    ``weights`` maps feature -> signed weight; a cluster's match score is the weighted mean of
    its centroid z-scores on those features (features the model does not use are skipped).
    """

    name: str
    weights: tuple[tuple[str, float], ...]
    description: str
    recommended_action: str

    @property
    def segment_id(self) -> str:
        return slugify(self.name)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Archetype:
        if isinstance(values, Archetype):
            return values
        try:
            weights = values["weights"]
            items = weights.items() if isinstance(weights, Mapping) else weights
            return cls(
                name=str(values["name"]),
                weights=tuple((str(f), float(w)) for f, w in items),
                description=str(values.get("description", "")),
                recommended_action=str(values.get("recommended_action", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BankmartError(
                f"archetype {values!r} needs name, weights (feature: weight) and optionally "
                f"description, recommended_action: {exc}"
            ) from None


def slugify(name: str) -> str:
    """'Cross-Border Lifestyle' -> 'cross_border_lifestyle': a stable id from a display name."""
    out = []
    for ch in name.lower():
        out.append(ch if ch.isalnum() else "_")
    slug = "_".join(part for part in "".join(out).split("_") if part)
    return slug or "segment"


def _a(name: str, weights: dict[str, float], description: str, action: str) -> Archetype:
    return Archetype(name, tuple(weights.items()), description, action)


DEFAULT_ARCHETYPES: tuple[Archetype, ...] = (
    _a("Digital Spenders", {"online_share": 1.0, "atm_share": -0.3},
       "Most spend goes through online and app channels.",
       "Promote digital wallet, card-not-present rewards and in-app offers."),
    _a("Cash-Heavy", {"atm_share": 1.0, "online_share": -0.3},
       "Relies on ATM cash withdrawals for a large share of spend.",
       "Encourage card and instant-payment adoption; review ATM fee bundle."),
    _a("Cross-Border Lifestyle", {"cross_border_share": 1.0},
       "Spends abroad or in foreign currency well above the bank's norm.",
       "Offer a travel card with low FX mark-up and travel insurance."),
    _a("High-Volatility", {"spend_volatility": 1.0},
       "Monthly spend swings widely from month to month.",
       "Offer budgeting tools and a flexible overdraft or EMI conversion."),
    _a("Stable Essentials", {"essential_share": 1.0, "spend_volatility": -0.6},
       "Steady month-to-month spend dominated by essentials (groceries, bills, fuel).",
       "Bill-pay autopay, cashback on groceries and fuel, savings sweep."),
    _a("Microloan Borrowers", {"loan_count": 1.0, "late_repayment_share": 0.5},
       "Takes several small loans; some repayments arrive late.",
       "Offer repayment reminders, financial-literacy content and credit-builder products."),
    _a("Premium Spenders", {"avg_monthly_spend": 1.0, "monetary_avg": 0.5},
       "High monthly spend and large average tickets.",
       "Upgrade to a premium card and relationship-manager coverage."),
    _a("Low Activity", {"frequency": -1.0, "avg_monthly_spend": -0.6},
       "Few and small transactions: the bank is not the main account.",
       "Run a re-activation campaign with a first-use incentive."),
    _a("Night Owls", {"night_share": 1.0},
       "An unusual share of transactions happens late at night.",
       "Review night-time transaction limits; offer instant card controls."),
    _a("Credit Stretched", {"income_utilisation": 1.0},
       "Spends a large share of stated monthly income.",
       "Offer a budgeting review and check affordability before new credit."),
)

DEFAULT_SEGMENT_FEATURES: tuple[str, ...] = (
    "avg_monthly_spend",
    "frequency",
    "monetary_avg",
    "spend_volatility",
    "atm_share",
    "online_share",
    "cross_border_share",
    "night_share",
    "essential_share",
    "discretionary_share",
    "income_utilisation",
    "loan_count",
    "late_repayment_share",
)


@dataclass(frozen=True)
class SegmentConfig:
    """K-Means segmentation (see ``bankmart.ml.segments``)."""

    features: tuple[str, ...] = DEFAULT_SEGMENT_FEATURES
    # Features to log1p before scaling. None = detect: non-negative features whose sample
    # skewness exceeds skew_threshold.
    log_features: tuple[str, ...] | None = None
    skew_threshold: float = 1.0
    k_min: int = 3
    k_max: int = 8
    # Fixed k (skips selection) when set.
    k: int | None = None
    n_init: int = 4
    max_iter: int = 300
    random_state: int = 42
    # Native (OpenMP/BLAS) threads inside the call. 1 on purpose: dbt runs models side by side
    # and oversubscribed OpenMP threads spin, which made K-Means 5-10x slower on a busy 2-core box.
    n_threads: int = 1
    # Elbow and silhouette are computed on seeded samples so choose_k stays cheap at 1M rows.
    fit_sample_size: int = 20_000
    silhouette_sample_size: int = 5_000
    # Selection rule: the inertia knee, unless its silhouette falls short of the best silhouette
    # by more than this fraction of the best (0.3: the knee needs >= 70% of the best), in which
    # case the best-silhouette k (smallest k on ties). Relative, because silhouettes of
    # overlapping behavioural personas are small (0.1-0.2) and favour the fewest clusters.
    silhouette_tolerance: float = 0.3
    # "median" or "zero": how missing feature values are filled before scaling.
    impute: str = "median"
    archetypes: tuple[Archetype, ...] = DEFAULT_ARCHETYPES
    # A cluster whose best archetype score is below this is named "Segment N" instead.
    min_archetype_score: float = 0.3
    # How many of the largest |z| features the one-line description mentions.
    description_features: int = 3

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> SegmentConfig:
        if isinstance(values, SegmentConfig):
            return values
        values = dict(values or {})
        if "archetypes" in values:
            values["archetypes"] = tuple(Archetype.from_mapping(a) for a in values["archetypes"])
        return _from_mapping(cls, values, "segment config")


SEGMENT_DEFAULTS = SegmentConfig()


# --------------------------------------------------------------------------------------------
# Risk scorecard and classifiers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskRule:
    """One scorecard rule: ``points`` when ``feature`` is above its threshold.

    kind "absolute": fires when value > threshold. kind "percentile": the threshold is the
    population quantile ``threshold`` (0..1) of the feature, but never below ``floor``, so a
    feature that is 0 for most customers does not flag everyone who is merely non-zero.
    A NULL value never fires.
    """

    code: str
    feature: str
    threshold: float
    points: float
    kind: str = "absolute"
    floor: float = 0.0
    description: str = ""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RiskRule:
        if isinstance(values, RiskRule):
            return values
        return _from_mapping(cls, values, "risk rule")


DEFAULT_RISK_RULES: tuple[RiskRule, ...] = (
    RiskRule("FRAUD_HISTORY", "fraud_txn_count", 0.0, 40.0,
             description="has confirmed fraud transactions"),
    RiskRule("LATE_REPAYMENT", "late_repayment_share", 0.3, 25.0,
             description="more than 30% of loan repayments late"),
    RiskRule("SPEND_SPIKE", "recent_spend_ratio", 3.0, 25.0,
             description="last 3 months' spend over three times the customer's own baseline"),
    RiskRule("CASH_RELIANCE", "atm_share", 0.5, 15.0,
             description="over half of spend withdrawn as cash"),
    RiskRule("CROSS_BORDER", "cross_border_share", 0.95, 15.0, kind="percentile", floor=0.05,
             description="cross-border share above the population's 95th percentile"),
    RiskRule("HIGH_UTILISATION", "income_utilisation", 0.9, 10.0,
             description="monthly spend above 90% of stated income"),
    RiskRule("HIGH_VOLATILITY", "spend_volatility", 0.95, 10.0, kind="percentile", floor=0.5,
             description="monthly spend volatility above the population's 95th percentile"),
)


@dataclass(frozen=True)
class RiskConfig:
    """Explainable risk scorecard (see ``bankmart.ml.risk.score_customers``)."""

    rules: tuple[RiskRule, ...] = DEFAULT_RISK_RULES
    # risk_score >= high_cutoff -> High, >= medium_cutoff -> Medium, else Low.
    medium_cutoff: float = 25.0
    high_cutoff: float = 40.0
    tier_labels: tuple[str, str, str] = ("Low", "Medium", "High")
    n_reasons: int = 3
    reason_separator: str = ";"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> RiskConfig:
        if isinstance(values, RiskConfig):
            return values
        values = dict(values or {})
        if "rules" in values:
            values["rules"] = tuple(RiskRule.from_mapping(r) for r in values["rules"])
        return _from_mapping(cls, values, "risk config")


RISK_DEFAULTS = RiskConfig()

DEFAULT_CLASSIFIER_FEATURES: tuple[str, ...] = (
    "avg_monthly_spend",
    "frequency",
    "monetary_avg",
    "spend_volatility",
    "atm_share",
    "online_share",
    "cross_border_share",
    "night_share",
    "discretionary_share",
    "income_utilisation",
    "monthly_income",
    "loan_count",
    "late_repayment_share",
    "avg_repayment_days",
    "fraud_txn_count",
    "recent_spend_ratio",
    "tenure_months",
    "age",
)


@dataclass(frozen=True)
class ClassifierConfig:
    """Supervised risk models (see ``bankmart.ml.risk.train_risk_classifiers``)."""

    feature_columns: tuple[str, ...] = DEFAULT_CLASSIFIER_FEATURES
    label_column: str = "label"
    seed: int = 42
    test_size: float = 0.25
    lr_c: float = 1.0
    lr_max_iter: int = 1000
    rf_n_estimators: int = 60
    rf_max_depth: int | None = 8
    rf_min_samples_leaf: int = 5
    # Rows each tree bootstraps (capped at the training size): keeps the forest cheap at 1M.
    rf_max_samples: int = 10_000
    # Random-forest worker threads (joblib) and native OpenMP/BLAS threads (see SegmentConfig).
    n_jobs: int = 2
    n_threads: int = 1
    # Each class needs this many customers before anything is trained; below it the
    # documented fallback (base-rate probabilities, NaN metrics with a note) applies.
    min_customers_per_class: int = 5

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ClassifierConfig:
        return _from_mapping(cls, values, "classifier config")


CLASSIFIER_DEFAULTS = ClassifierConfig()


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationConfig:
    """Evaluation against the generator's ground truth (see ``bankmart.ml.evaluate``)."""

    high_tier: str = "High"
    medium_tier: str = "Medium"
    marts_schema: str = "marts"
    segments_table: str = "customer_segments"
    scores_table: str = "customer_risk_scores"
    predictions_table: str = "customer_risk_predictions"
    ground_truth_file: str = "customers.parquet"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> EvaluationConfig:
        return _from_mapping(cls, values, "evaluation config")


EVALUATION_DEFAULTS = EvaluationConfig()
