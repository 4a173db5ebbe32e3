"""Behavioural customer segments: K-Means on the features a bank's data carries, named only for
what each segment's centre shows.

Pipeline (every number comes from ``SegmentConfig``, i.e. the model's YAML):

1. Rows are sorted by customer_id first, so the same customers give the same segments whatever
   order the warehouse returns them in.
2. Features: the configured features that carry information for this bank (``available``, from
   marts.data_availability; the others are noted and left out). Any left that are NULL for
   everyone or constant are dropped too; other NULLs are imputed with the feature's median.
   Right-skewed non-negative features get ``log1p``; then each feature is z-scored, so every
   behaviour counts the same in the distance.
3. ``choose_k`` fits K-Means (``n_init`` initialisations) for each k in [k_min, k_max] on at
   most ``fit_sample_size`` rows and scores a silhouette on at most ``silhouette_sample_size``
   rows, and picks k by the rule in its docstring. The samples are the customers with the
   smallest hashes of their ids, not a random draw: another seed, or another build of a
   slightly different population, looks at (nearly) the same customers, which keeps k from
   flipping. Fewer distinct profiles than k_min reduce the range; no usable feature, or fewer
   than two distinct profiles, gives one segment.
4. The chosen model's centres seed one final K-Means pass over all rows.
5. Names say only what the centre shows. A segment *differs clearly* from the population on a
   feature when its K-Means centre's z-score is at least ``clear_z`` in size (0.5: half a
   population standard deviation) and its members' mean lies on the same side of the
   population's mean (so the words and the numbers shown never disagree). An archetype (Cash-Heavy, ...) can name a segment only when every one of its
   conditions holds: the feature is in use, differs clearly in the stated direction, and its
   members' mean in original units passes the stated level (e.g. ATM withdrawals at least a
   quarter of transactions). Archetypes are matched one-to-one by the Hungarian algorithm on their weighted
   z-score fit. A segment no archetype fits is named after its strongest clear difference
   ("High Dining"; two when one would repeat a name), or "Typical Customers" when nothing
   differs clearly. Segments that would still share a name cannot be told apart in words, so
   they are merged. Ids are slugs of the names, so K-Means' cluster numbers never leak.
6. Descriptions list the clear differences only, strongest first, each with the members' mean
   and the population's mean in the feature's own units. Profiles give every feature's members'
   mean (customers with a value), clustered on or not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances
from threadpoolctl import threadpool_limits

from bankmart.errors import BankmartError
from bankmart.ml.config import Archetype, SegmentConfig, SegmentFeature, slugify
from bankmart.ml.frames import BOOL, FLOAT, INT, TEXT, typed

SINGLE_SEGMENT_NAME = "All Customers"
TYPICAL_NAME = "Typical Customers"
DIAGNOSTIC_TYPES = {
    "k": INT,
    "inertia": FLOAT,
    "silhouette": FLOAT,
    "is_knee": BOOL,
    "is_chosen": BOOL,
    "selection_rule": TEXT,
    "n_customers": INT,
    "fit_sample_rows": INT,
    "silhouette_sample_rows": INT,
    "features_used": TEXT,
    "log_features": TEXT,
    "warnings": TEXT,
}
DIAGNOSTIC_COLUMNS = tuple(DIAGNOSTIC_TYPES)


@dataclass(frozen=True)
class PreparedFeatures:
    """The model matrix and everything needed to map it back to original units."""

    ids: pd.Series
    original: pd.DataFrame  # configured and profile features, original units, NULLs kept
    matrix: np.ndarray  # z-scored model features (rows as ``ids``)
    features: list[str]
    log_features: list[str]
    center: np.ndarray  # mean of the (logged) features
    scale: np.ndarray  # std of the (logged) features
    warnings: list[str]

    def to_original(self, z: np.ndarray) -> np.ndarray:
        """Model space -> original units (undo scaling, then log1p)."""
        x = np.asarray(z, dtype=float) * self.scale + self.center
        for j, f in enumerate(self.features):
            if f in self.log_features:
                x[..., j] = np.expm1(x[..., j])
        return x

    @property
    def sample_keys(self) -> np.ndarray:
        """A fixed pseudo-random key per customer (a hash of the id): samples take the smallest."""
        return pd.util.hash_pandas_object(self.ids, index=False).to_numpy()


@dataclass(frozen=True)
class SegmentationResult:
    assignments: pd.DataFrame
    profiles: pd.DataFrame
    diagnostics: pd.DataFrame
    warnings: tuple[str, ...]


def _config(config: SegmentConfig | Mapping[str, Any]) -> SegmentConfig:
    cfg = SegmentConfig.from_mapping(config)
    if cfg.k is not None and cfg.k < 1:
        raise BankmartError(f"segment config k must be at least 1, got {cfg.k}")
    if cfg.k_min < 1 or cfg.k_max < cfg.k_min:
        raise BankmartError(
            f"segment config needs 1 <= k_min <= k_max, got k_min={cfg.k_min}, k_max={cfg.k_max}"
        )
    if not 0.0 <= cfg.silhouette_tolerance <= 1.0:
        raise BankmartError(
            f"segment config silhouette_tolerance is a fraction of the best silhouette (0..1), got {cfg.silhouette_tolerance}"
        )
    if cfg.impute not in ("median", "zero"):
        raise BankmartError(f"segment config impute must be 'median' or 'zero', got {cfg.impute!r}")
    if cfg.n_init < 1 or cfg.n_threads < 1 or cfg.fit_sample_size < 2 or cfg.silhouette_sample_size < 2:
        raise BankmartError("segment config n_init and n_threads must be >= 1 and sample sizes >= 2")
    if cfg.clear_z <= 0:
        raise BankmartError(f"segment config clear_z must be above 0, got {cfg.clear_z}")
    if not cfg.features:
        raise BankmartError("segment config features is empty: list the feature columns to cluster on")
    names = [*cfg.feature_names, *cfg.profile_names]
    if len(set(names)) != len(names):
        raise BankmartError(f"segment config lists a feature twice: {names}")
    ids = [a.segment_id for a in cfg.archetypes]
    if len(set(ids)) != len(ids) or {slugify(TYPICAL_NAME), slugify(SINGLE_SEGMENT_NAME)} & set(ids):
        raise BankmartError(f"archetype names must give distinct ids, not {TYPICAL_NAME!r}'s: {ids}")
    return cfg


def prepare_features(
    features: pd.DataFrame,
    config: SegmentConfig | Mapping[str, Any],
    *,
    id_column: str = "customer_id",
    available: Collection[str] | None = None,
) -> PreparedFeatures:
    """Sort, select, impute, log1p and z-score the features (see the module docstring).

    ``available``: the features that carry information for this bank (None: all configured).
    """
    cfg = _config(config)
    if id_column not in features.columns:
        raise BankmartError(f"id column {id_column!r} is not in the features (columns: {list(features.columns)})")
    wanted = [*cfg.feature_names, *cfg.profile_names]
    missing = [f for f in wanted if f not in features.columns]
    if missing:
        raise BankmartError(
            f"segment features {missing} are not in the input; select them from customer_features "
            "or change the segment config's features"
        )
    if features[id_column].isna().any() or features[id_column].duplicated().any():
        raise BankmartError(f"id column {id_column!r} must be unique and not NULL")
    if features.empty:
        raise BankmartError("no customers to segment: the features table is empty")
    frame = features[[id_column, *wanted]].sort_values(id_column, kind="mergesort")
    frame = frame.reset_index(drop=True)
    original = pd.DataFrame(index=frame.index)
    for f in wanted:
        try:
            original[f] = pd.to_numeric(frame[f], errors="raise").astype("float64")
        except (TypeError, ValueError):
            raise BankmartError(f"segment feature {f!r} must be numeric") from None
    original = original.replace([np.inf, -np.inf], np.nan)

    notes: list[str] = []
    candidates = list(cfg.feature_names)
    if available is not None:
        lacking = [f for f in candidates if f not in set(available)]
        if lacking:
            notes.append(f"carry no information for this bank (data_availability), not used: {', '.join(lacking)}")
        candidates = [f for f in candidates if f in set(available)]
    usable: list[str] = []
    columns: dict[str, np.ndarray] = {}
    for f in candidates:
        col = original[f]
        if col.isna().all():
            notes.append(f"{f} is NULL for every customer: dropped")
            continue
        n_missing = int(col.isna().sum())
        fill = float(col.median()) if cfg.impute == "median" else 0.0
        if n_missing:
            notes.append(f"{f}: {n_missing} NULL value(s) imputed with {cfg.impute} ({fill:.4g})")
        columns[f] = col.fillna(fill).to_numpy()
        usable.append(f)

    if cfg.log_features is None:
        log_features = [
            f for f in usable
            if columns[f].min() >= 0 and pd.Series(columns[f]).skew() > cfg.skew_threshold
        ]
    else:
        log_features = [f for f in cfg.log_features if f in usable]
        negative = [f for f in log_features if columns[f].min() < 0]
        if negative:
            raise BankmartError(f"log_features {negative} have negative values; log1p needs values >= 0")
    for f in log_features:
        columns[f] = np.log1p(columns[f])

    kept = []
    for f in usable:
        if np.ptp(columns[f]) <= 1e-12 * max(1.0, abs(columns[f][0])):
            notes.append(f"{f} is constant: dropped")
        else:
            kept.append(f)
    log_features = [f for f in log_features if f in kept]
    if kept:
        raw = np.column_stack([columns[f] for f in kept])
        center, scale = raw.mean(axis=0), raw.std(axis=0)
        matrix = (raw - center) / scale
    else:
        matrix = np.zeros((len(frame), 0))
        center = scale = np.zeros(0)
    return PreparedFeatures(
        ids=frame[id_column],
        original=original,
        matrix=matrix,
        features=kept,
        log_features=log_features,
        center=center,
        scale=scale,
        warnings=notes,
    )


def sample_rows(keys: np.ndarray, size: int) -> np.ndarray:
    """Sorted row positions of the ``size`` rows with the smallest keys (all rows when fewer)."""
    if len(keys) <= size:
        return np.arange(len(keys))
    return np.sort(np.argsort(keys, kind="stable")[:size])


def knee_point(ks: list[int], inertias: list[float]) -> int:
    """The k farthest below the straight line from the first to the last log-inertia (Kneedle).

    Log scale because inertia falls by factors: on the raw scale a steady run of big drops
    before the true elbow pulls the knee one k too early. With fewer than three k values, or a
    curve that never bends below the line, the first k.
    """
    if len(ks) < 3:
        return ks[0]
    x = (np.asarray(ks, float) - ks[0]) / (ks[-1] - ks[0])
    raw = np.asarray(inertias, float)
    y = np.log(np.maximum(raw, raw[raw > 0].min() * 1e-6 if (raw > 0).any() else 1e-12))
    span = y[0] - y[-1]
    if not np.isfinite(span) or span <= 0:
        return ks[0]
    y = (y - y[-1]) / span  # 1 at the first k, 0 at the last
    gap = (1 - x) - y  # chord minus curve
    best = int(np.argmax(gap))
    return ks[best] if gap[best] > 1e-9 else ks[0]


def _kmeans(k: int, cfg: SegmentConfig, init: Any = "k-means++", n_init: int | None = None) -> KMeans:
    return KMeans(
        n_clusters=k,
        init=init,
        n_init=n_init if n_init is not None else cfg.n_init,
        max_iter=cfg.max_iter,
        random_state=cfg.random_state,
    )


def silhouette_from_distances(distances: np.ndarray, labels: np.ndarray) -> float:
    """The mean silhouette coefficient from a square matrix of pairwise distances, as
    scikit-learn defines it (a sample alone in its cluster scores 0). Each sample's distance
    sums to every cluster come from one matrix product, so scoring every k against the same
    matrix costs milliseconds instead of a pass over the matrix per k."""
    codes, index = np.unique(labels, return_inverse=True)
    n, rows = len(index), np.arange(len(index))
    members = np.zeros((n, len(codes)))
    members[rows, index] = 1.0
    sums = distances @ members
    sizes = members.sum(axis=0)
    own_size = sizes[index]
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = np.where(own_size > 1, sums[rows, index] / (own_size - 1), 0.0)
        mean_to = sums / sizes
        mean_to[rows, index] = np.inf
        inter = mean_to.min(axis=1)
        scores = (inter - intra) / np.maximum(intra, inter)
    scores[own_size == 1] = 0.0
    return float(np.nan_to_num(scores).mean())


def choose_k(
    matrix: np.ndarray,
    config: SegmentConfig | Mapping[str, Any],
    keys: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[int, KMeans], list[str]]:
    """Fit K-Means over the k range and pick one. Returns (diagnostics, fitted models, notes).

    Selection rule: take the knee of the inertia curve (``knee_point``); keep it unless its
    silhouette is below ``(1 - silhouette_tolerance) * best silhouette``, in which case
    take the best-silhouette k (smallest k on ties). Missing silhouettes (k=1, or a sample with
    one label) never win. A fixed ``k`` in the config skips the search. ``keys`` (one per row,
    e.g. ``PreparedFeatures.sample_keys``) choose the samples; without them, row order does.
    """
    cfg = _config(config)
    notes: list[str] = []
    n = matrix.shape[0]
    keys = np.arange(n, dtype=np.uint64) if keys is None else np.asarray(keys)
    fit_rows = sample_rows(keys, cfg.fit_sample_size)
    x_fit = matrix[fit_rows]
    distinct = int(np.unique(np.round(x_fit, 12), axis=0).shape[0])
    if cfg.k is not None:
        ks = [min(cfg.k, distinct)]
        if ks[0] < cfg.k:
            notes.append(f"k={cfg.k} reduced to {ks[0]}: only {distinct} distinct customer profiles")
    else:
        hi = min(cfg.k_max, distinct)
        lo = min(cfg.k_min, hi)
        if hi < cfg.k_max:
            notes.append(
                f"k range {cfg.k_min}..{cfg.k_max} reduced to {lo}..{hi}: only {distinct} "
                "distinct customer profiles"
            )
        ks = list(range(lo, hi + 1))
    # the silhouette sample comes from other keys than the fit sample (reversed order)
    sil_rows = sample_rows(~keys if keys.dtype.kind == "u" else -keys, cfg.silhouette_sample_size)
    x_sil = matrix[sil_rows]
    # One distance matrix for every k: the pairwise distances dominate the silhouette's cost.
    sil_distances = pairwise_distances(x_sil) if len(ks) > 1 or ks[0] > 1 else None

    models: dict[int, KMeans] = {}
    inertias: list[float] = []
    silhouettes: list[float] = []
    with threadpool_limits(limits=cfg.n_threads):
        for k in ks:
            model = _kmeans(k, cfg).fit(x_fit)
            models[k] = model
            inertias.append(float(model.inertia_))
            labels = model.predict(x_sil)
            n_labels = np.unique(labels).size
            if 2 <= n_labels <= len(x_sil) - 1:
                silhouettes.append(silhouette_from_distances(sil_distances, labels))
            else:
                silhouettes.append(float("nan"))

    knee = knee_point(ks, inertias)
    sil = pd.Series(silhouettes, index=ks, dtype=float)
    if cfg.k is not None:
        chosen, rule = ks[0], f"fixed k={ks[0]} from config"
    elif sil.notna().any():
        best_k = int(sil[sil == sil.max()].index.min())
        knee_sil = sil.get(knee, np.nan)
        floor = (1 - cfg.silhouette_tolerance) * sil.max()
        if pd.notna(knee_sil) and knee_sil >= floor:
            chosen = knee
            rule = (
                f"inertia knee k={knee} kept: silhouette {knee_sil:.3f} >= {1 - cfg.silhouette_tolerance:.0%}"
                f" of best {sil.max():.3f} (k={best_k})"
            )
        else:
            chosen = best_k
            rule = (
                f"best silhouette k={best_k} ({sil.max():.3f}) chosen over inertia knee k={knee} "
                f"(silhouette {knee_sil:.3f} < {1 - cfg.silhouette_tolerance:.0%} of best)"
            )
    else:
        chosen, rule = knee, f"inertia knee k={knee} (no silhouette available)"

    diagnostics = pd.DataFrame(
        {
            "k": ks,
            "inertia": inertias,
            "silhouette": silhouettes,
            "is_knee": [k == knee for k in ks],
            "is_chosen": [k == chosen for k in ks],
            "selection_rule": rule,
            "n_customers": n,
            "fit_sample_rows": len(fit_rows),
            "silhouette_sample_rows": len(sil_rows),
        }
    )
    return diagnostics, models, notes


# --------------------------------------------------------------------------------------------
# Names and descriptions: only what the centre shows
# --------------------------------------------------------------------------------------------


def format_value(value: float, fmt: str) -> str:
    """A feature value in its own units, never "-0.00": percent, amount (whole units) or number."""
    if pd.isna(value):
        return "n/a"
    if fmt == "percent":
        text = f"{value * 100:.0f}%" if abs(value) >= 0.1 else f"{value * 100:.1f}%"
    elif fmt == "amount" or abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return text[1:] if text.startswith("-") and not any(ch in "123456789" for ch in text) else text


def clear_directions(z: pd.Series, mean: pd.Series, overall: pd.Series, clear_z: float) -> pd.Series:
    """+1 / -1 for the features on which a segment differs clearly (|z| >= clear_z and its
    members' mean on the same side of the population mean), 0 elsewhere."""
    sign = np.sign(z.to_numpy())
    agree = np.sign((mean[z.index] - overall[z.index]).to_numpy()) == sign
    return pd.Series(np.where((z.abs().to_numpy() >= clear_z) & agree, sign, 0.0), index=z.index)


def archetype_eligible(arch: Archetype, direction: pd.Series, mean: pd.Series) -> bool:
    """True when the segment (clear ``direction`` per feature in use, members' ``mean``) meets
    every condition of the archetype; a condition on a feature not in use never holds."""
    for cond in arch.conditions:
        if cond.feature not in direction.index:
            return False
        if direction[cond.feature] != (1.0 if cond.direction == "high" else -1.0):
            return False
        value = float(mean[cond.feature])
        if cond.min_value is not None and not value >= cond.min_value:
            return False
        if cond.max_value is not None and not value <= cond.max_value:
            return False
    return True


def archetype_scores(centroid_z: pd.DataFrame, archetypes: tuple[Archetype, ...] | list[Archetype]) -> pd.DataFrame:
    """cluster x archetype fit: weighted mean of the centroid z-scores on the archetype's weight
    features that are in use (NaN when none is)."""
    scores = {}
    for arch in archetypes:
        usable = [(f, w) for f, w in arch.weights if f in centroid_z.columns]
        if not usable:
            scores[arch.name] = np.full(len(centroid_z), np.nan)
            continue
        weights = np.array([w for _, w in usable])
        z = centroid_z[[f for f, _ in usable]].to_numpy()
        scores[arch.name] = z @ weights / np.abs(weights).sum()
    return pd.DataFrame(scores, index=centroid_z.index)


def match_archetypes(scores: pd.DataFrame, eligible: pd.DataFrame) -> list[tuple[str | None, float]]:
    """One archetype per cluster (row), one-to-one, among the eligible pairs, maximising the total
    fit (Hungarian). Returns (archetype name or None, score) per row."""
    result: list[tuple[str | None, float]] = [(None, float("nan"))] * len(scores)
    allowed = eligible.to_numpy() & scores.notna().to_numpy()
    if not allowed.any():
        return result
    # eligible pairs outrank any ineligible one, then the fit decides
    matrix = np.where(allowed, scores.fillna(0.0).to_numpy() + 1e6, 0.0)
    rows, cols = linear_sum_assignment(-matrix)
    for r, c in zip(rows, cols, strict=True):
        if allowed[r, c]:
            result[r] = (str(scores.columns[c]), float(scores.iat[r, c]))
    return result


def _clear_differences(z: pd.Series, direction: pd.Series) -> list[str]:
    """Features on which the segment differs clearly, strongest first (ties: config order)."""
    strength = z.abs()[direction != 0]
    return list(strength.sort_values(ascending=False, kind="mergesort").index)


def describe_segment(
    z: pd.Series,
    direction: pd.Series,
    mean: pd.Series,
    overall: pd.Series,
    catalogue: Mapping[str, SegmentFeature],
    clear_z: float,
    n: int,
) -> str:
    """'High share of transactions that are ATM withdrawals: 41% (all customers 18%); ...' for
    the clear differences only; a sentence saying so when there are none."""
    clear = _clear_differences(z, direction)[:n]
    if not clear:
        return (
            "No behaviour differs clearly from the bank's customers overall (every feature within "
            f"{clear_z:g} standard deviations of the population)."
        )
    parts = []
    for f in clear:
        spec = catalogue[f]
        parts.append(
            f"{'high' if direction[f] > 0 else 'low'} {spec.label}: {format_value(mean[f], spec.format)} "
            f"(all customers {format_value(overall[f], spec.format)})"
        )
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]}."


def _descriptive_name(z: pd.Series, direction: pd.Series, catalogue: Mapping[str, SegmentFeature], taken: set[str]) -> str:
    """The strongest clear difference ("High Dining"), two when one is taken, else Typical."""
    words = [f"{'High' if direction[f] > 0 else 'Low'} {catalogue[f].short}" for f in _clear_differences(z, direction)]
    for size in (1, 2):
        if len(words) >= size:
            name = ", ".join(words[:size])
            if name not in taken:
                return name
    return words[0] if words else TYPICAL_NAME


def name_segments(
    centroid_z: pd.DataFrame,
    directions: pd.DataFrame,
    means: pd.DataFrame,
    cfg: SegmentConfig,
) -> tuple[list[str], list[Archetype | None], list[float]]:
    """Names for clusters in canonical order: archetypes whose every condition holds (matched
    one-to-one), else the strongest clear difference, else Typical Customers. Names may repeat
    (the caller merges such clusters)."""
    eligible = pd.DataFrame(
        [[archetype_eligible(a, directions.loc[i], means.loc[i]) for a in cfg.archetypes] for i in centroid_z.index],
        index=centroid_z.index,
        columns=[a.name for a in cfg.archetypes],
        dtype=bool,
    )
    scores = archetype_scores(centroid_z, cfg.archetypes)
    matches = match_archetypes(scores, eligible) if cfg.archetypes else [(None, float("nan"))] * len(centroid_z)
    by_name = {a.name: a for a in cfg.archetypes}
    catalogue = {f.name: f for f in cfg.features}
    names: list[str | None] = [m[0] for m in matches]
    taken = {n for n in names if n}
    for i, (name, _) in enumerate(matches):
        if name is None:
            names[i] = _descriptive_name(centroid_z.loc[i], directions.loc[i], catalogue, taken)
            taken.add(names[i])
    archetypes = [by_name.get(n) if n else None for n in names]
    return [str(n) for n in names], archetypes, [m[1] for m in matches]


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------


def _canonical(labels: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relabel clusters biggest first (then by centre) and return (labels, centres): K-Means'
    own numbering never matters. Centres are the member means in model space."""
    codes = np.unique(labels)
    centres = np.vstack([matrix[labels == c].mean(axis=0) for c in codes])
    sizes = np.array([(labels == c).sum() for c in codes])
    order = sorted(range(len(codes)), key=lambda i: (-sizes[i], *np.round(centres[i], 9)))
    position = np.empty(codes.max() + 1, dtype=int)
    position[codes[order]] = np.arange(len(codes))
    return position[labels], centres[order]


def _single_segment(prep: PreparedFeatures, cfg: SegmentConfig, notes: list[str], id_column: str, why: str) -> SegmentationResult:
    seg_id = slugify(SINGLE_SEGMENT_NAME)
    assignments = pd.DataFrame(
        {
            id_column: prep.ids.to_numpy(),
            "segment_id": seg_id,
            "segment_name": SINGLE_SEGMENT_NAME,
            "distance_to_centroid": np.linalg.norm(prep.matrix - prep.matrix.mean(axis=0), axis=1)
            if prep.matrix.shape[1] else np.zeros(len(prep.ids)),
        }
    )
    profile = {
        "segment_id": seg_id,
        "segment_name": SINGLE_SEGMENT_NAME,
        "segment_rank": 1,
        "customers": len(prep.ids),
        "share": 1.0,
        **{f: prep.original[f].mean() for f in [*cfg.feature_names, *cfg.profile_names]},
        "match_score": float("nan"),
        "description": f"Every customer in one segment: {why}.",
        "recommended_action": "Segment again once the data tells customers apart (see segment_k_diagnostics).",
    }
    diagnostics = pd.DataFrame(
        [{
            "k": 1, "inertia": float(np.square(prep.matrix).sum()), "silhouette": float("nan"),
            "is_knee": True, "is_chosen": True,
            "selection_rule": f"single segment: {why}",
            "n_customers": len(prep.ids), "fit_sample_rows": len(prep.ids),
            "silhouette_sample_rows": 0,
        }]
    )
    return _finish(assignments, pd.DataFrame([profile]), diagnostics, prep, notes)


def _finish(
    assignments: pd.DataFrame,
    profiles: pd.DataFrame,
    diagnostics: pd.DataFrame,
    prep: PreparedFeatures,
    notes: list[str],
) -> SegmentationResult:
    diagnostics = diagnostics.assign(
        features_used=";".join(prep.features),
        log_features=";".join(prep.log_features),
        warnings=" | ".join(notes),
    )[list(DIAGNOSTIC_COLUMNS)]
    text = {"segment_id": TEXT, "segment_name": TEXT, "description": TEXT, "recommended_action": TEXT}
    return SegmentationResult(
        typed(assignments, {**text, "distance_to_centroid": FLOAT}),
        typed(profiles, {**text, "segment_rank": INT, "customers": INT, "share": FLOAT, "match_score": FLOAT}),
        typed(diagnostics, DIAGNOSTIC_TYPES),
        tuple(notes),
    )


def fit_segments(
    features: pd.DataFrame,
    config: SegmentConfig | Mapping[str, Any],
    *,
    id_column: str = "customer_id",
    available: Collection[str] | None = None,
) -> SegmentationResult:
    """Segment customers; returns assignments, profiles and diagnostics (see module docstring).

    available: the features that carry information for this bank (marts.data_availability);
    None uses every configured feature. assignments: id_column, segment_id, segment_name,
    distance_to_centroid (model space). profiles: segment_id, segment_name, segment_rank,
    customers, share, one column per configured and profile feature (the members' mean, over
    the members with a value, in original units), match_score (the
    archetype's fit, NULL without one), description, recommended_action. diagnostics: one row
    per k tried (DIAGNOSTIC_COLUMNS), warnings repeated on each row.
    """
    cfg = _config(config)
    with threadpool_limits(limits=cfg.n_threads):
        return _fit_segments(features, cfg, id_column, available)


def _fit_segments(
    features: pd.DataFrame, cfg: SegmentConfig, id_column: str, available: Collection[str] | None
) -> SegmentationResult:
    prep = prepare_features(features, cfg, id_column=id_column, available=available)
    notes = list(prep.warnings)
    if not prep.features:
        notes.append("no usable segment feature left")
        return _single_segment(prep, cfg, notes, id_column, "no behaviour feature carries information for this bank")
    diagnostics, models, k_notes = choose_k(prep.matrix, cfg, prep.sample_keys)
    notes.extend(k_notes)
    k = int(diagnostics.loc[diagnostics["is_chosen"], "k"].iloc[0])
    if k < 2:
        return _single_segment(prep, cfg, notes, id_column, "the data holds fewer than two distinct customer profiles")

    sample_model = models[k]
    with threadpool_limits(limits=cfg.n_threads):
        if len(prep.matrix) > cfg.fit_sample_size:
            model = _kmeans(k, cfg, init=sample_model.cluster_centers_, n_init=1).fit(prep.matrix)
            labels = model.labels_
        else:
            labels = sample_model.labels_

    # Name the clusters; clusters that share a name cannot be told apart in words: merge them.
    columns = [*cfg.feature_names, *cfg.profile_names]
    overall = prep.original[columns].mean()
    while True:
        labels, centers = _canonical(labels, prep.matrix)
        centroid_z = pd.DataFrame(centers, columns=prep.features)
        means = prep.original[columns].groupby(labels).mean().reset_index(drop=True)
        directions = pd.DataFrame(
            [clear_directions(centroid_z.loc[i], means.loc[i], overall, cfg.clear_z) for i in centroid_z.index]
        )
        names, archetypes, match_score = name_segments(centroid_z, directions, means, cfg)
        if len(set(names)) == len(names):
            break
        first: dict[str, int] = {}
        merged = []
        for i, name in enumerate(names):
            first.setdefault(name, i)
            if first[name] != i:
                merged.append(name)
        notes.append(f"segments named {sorted(set(merged))} could not be told apart in words: merged")
        labels = np.array([first[name] for name in names])[labels]
    if len(names) == 1:
        return _single_segment(prep, cfg, notes, id_column, "its segments could not be told apart")

    k = len(names)
    sizes = np.bincount(labels, minlength=k)
    ids = [slugify(n) for n in names]
    distance = np.linalg.norm(prep.matrix - centers[labels], axis=1)
    seg_ids, seg_names = np.array(ids, dtype=object), np.array(names, dtype=object)
    assignments = pd.DataFrame(
        {
            id_column: prep.ids.to_numpy(),
            "segment_id": seg_ids[labels],
            "segment_name": seg_names[labels],
            "distance_to_centroid": distance,
        }
    )
    catalogue = {f.name: f for f in cfg.features}
    rows = []
    for i in range(k):
        arch = archetypes[i]
        rows.append(
            {
                "segment_id": ids[i],
                "segment_name": names[i],
                "segment_rank": i + 1,
                "customers": int(sizes[i]),
                "share": float(sizes[i] / len(labels)),
                **{f: float(means.loc[i, f]) for f in columns},
                "match_score": match_score[i] if arch else float("nan"),
                "description": describe_segment(
                    centroid_z.loc[i], directions.loc[i], means.loc[i], overall, catalogue, cfg.clear_z,
                    cfg.description_features,
                ),
                "recommended_action": arch.recommended_action if arch
                else "No treatment specific to this segment: serve it with the standard offer."
                if names[i] == TYPICAL_NAME
                else "No archetype fits: review the profile before choosing a treatment.",
            }
        )
    return _finish(assignments, pd.DataFrame(rows), diagnostics, prep, notes)
