"""Behavioural customer segments: K-Means on log/standard-scaled features, named by archetype.

Pipeline (every number comes from ``SegmentConfig``):

1. Rows are sorted by customer_id first, so the same customers give the same segments whatever
   order the warehouse returns them in.
2. Features that are NULL for everyone are dropped (warning); other NULLs are imputed with the
   feature's median (or 0, ``impute="zero"``). Right-skewed non-negative features get ``log1p``
   (configured list, or detected: skewness > ``skew_threshold``). Features that are constant
   after that carry no information and are dropped (warning). Then each feature is z-scored.
3. ``choose_k`` fits K-Means for each k in [k_min, k_max] on a seeded sample of at most
   ``fit_sample_size`` rows, records inertia and a silhouette on a seeded sample of at most
   ``silhouette_sample_size`` rows (so it stays cheap at 1M customers), and picks k by the rule
   in its docstring. k is capped at the number of distinct points; if fewer than 2 remain (or no
   feature is usable) everyone lands in one "All Customers" segment, with a warning.
4. The chosen model's centres seed one final K-Means pass over all rows.
5. Clusters are put in a canonical order (size desc, then centroid) and matched one-to-one to
   the archetype catalogue by the Hungarian algorithm on match scores (weighted mean of centroid
   z-scores). A cluster whose best available score is under ``min_archetype_score`` becomes
   "Segment N". Ids are slugs of the names, so K-Means' arbitrary cluster numbers never leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances
from threadpoolctl import threadpool_limits

from bankmart.errors import BankmartError
from bankmart.ml.config import Archetype, SegmentConfig, slugify
from bankmart.ml.frames import BOOL, FLOAT, INT, TEXT, typed

SINGLE_SEGMENT_NAME = "All Customers"
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
    original: pd.DataFrame  # configured features, original units, NULLs kept, sorted rows
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


@dataclass(frozen=True)
class SegmentationResult:
    assignments: pd.DataFrame
    profiles: pd.DataFrame
    diagnostics: pd.DataFrame
    warnings: tuple[str, ...]


def _config(config: SegmentConfig | Mapping[str, Any] | None) -> SegmentConfig:
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
    if not cfg.features:
        raise BankmartError("segment config features is empty: list the feature columns to cluster on")
    if len(set(cfg.features)) != len(cfg.features):
        raise BankmartError(f"segment config features lists a column twice: {list(cfg.features)}")
    return cfg


def prepare_features(
    features: pd.DataFrame,
    config: SegmentConfig | Mapping[str, Any] | None = None,
    *,
    id_column: str = "customer_id",
) -> PreparedFeatures:
    """Sort, impute, log1p and z-score the configured features (see the module docstring)."""
    cfg = _config(config)
    if id_column not in features.columns:
        raise BankmartError(f"id column {id_column!r} is not in the features (columns: {list(features.columns)})")
    missing = [f for f in cfg.features if f not in features.columns]
    if missing:
        raise BankmartError(
            f"segment features {missing} are not in the input; select them from customer_features "
            "or change the segment config's features"
        )
    if features[id_column].isna().any() or features[id_column].duplicated().any():
        raise BankmartError(f"id column {id_column!r} must be unique and not NULL")
    if features.empty:
        raise BankmartError("no customers to segment: the features table is empty")
    frame = features[[id_column, *cfg.features]].sort_values(id_column, kind="mergesort")
    frame = frame.reset_index(drop=True)
    original = pd.DataFrame(index=frame.index)
    for f in cfg.features:
        try:
            original[f] = pd.to_numeric(frame[f], errors="raise").astype("float64")
        except (TypeError, ValueError):
            raise BankmartError(f"segment feature {f!r} must be numeric") from None
    original = original.replace([np.inf, -np.inf], np.nan)

    notes: list[str] = []
    usable: list[str] = []
    columns: dict[str, np.ndarray] = {}
    for f in cfg.features:
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


def _sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted row positions of a seeded sample without replacement (all rows when n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


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
    config: SegmentConfig | Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, dict[int, KMeans], list[str]]:
    """Fit K-Means over the k range and pick one. Returns (diagnostics, fitted models, notes).

    Selection rule: take the knee of the inertia curve (``knee_point``); keep it unless its
    silhouette is below ``(1 - silhouette_tolerance) * best silhouette``, in which case
    take the best-silhouette k (smallest k on ties). Missing silhouettes (k=1, or a sample with
    one label) never win. A fixed ``k`` in the config skips the search.
    """
    cfg = _config(config)
    notes: list[str] = []
    n = matrix.shape[0]
    fit_rows = _sample_rows(n, cfg.fit_sample_size, cfg.random_state)
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
    sil_rows = _sample_rows(n, cfg.silhouette_sample_size, cfg.random_state + 1)
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


def archetype_scores(
    centroid_z: pd.DataFrame, archetypes: tuple[Archetype, ...] | list[Archetype]
) -> pd.DataFrame:
    """cluster x archetype match scores: weighted mean of the centroid z-scores on each
    archetype's features. Archetypes none of whose features are in the model score NaN."""
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


def match_archetypes(
    scores: pd.DataFrame, min_score: float
) -> list[tuple[str | None, float]]:
    """One archetype per cluster (row), one-to-one, maximising the total score (Hungarian).

    Returns (archetype name or None, score) per row; None when the matched score is below
    ``min_score`` or there are more clusters than usable archetypes.
    """
    usable = scores.loc[:, scores.notna().any(axis=0)]
    result: list[tuple[str | None, float]] = [(None, float("nan"))] * len(scores)
    if usable.shape[1] == 0:
        return result
    matrix = usable.fillna(-1e6).to_numpy()
    rows, cols = linear_sum_assignment(-matrix)
    for r, c in zip(rows, cols, strict=True):
        score = float(matrix[r, c])
        if score >= min_score:
            result[r] = (str(usable.columns[c]), score)
        else:
            result[r] = (None, score)
    return result


def _fmt(value: float) -> str:
    if pd.isna(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def _describe(
    centroid_z: pd.Series, centroid: pd.Series, overall: pd.Series, base: str, n: int
) -> str:
    top = centroid_z.abs().sort_values(ascending=False, kind="mergesort").index[:n]
    parts = [
        f"{'high' if centroid_z[f] > 0 else 'low'} {f.replace('_', ' ')} "
        f"{_fmt(centroid[f])} (overall {_fmt(overall[f])})"
        for f in top
    ]
    text = "; ".join(parts)
    return f"{base} {text[:1].upper()}{text[1:]}." if base else f"{text[:1].upper()}{text[1:]}."


def _single_segment(prep: PreparedFeatures, cfg: SegmentConfig, notes: list[str], id_column: str) -> SegmentationResult:
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
        **{f: prep.original[f].mean() for f in cfg.features},
        "match_score": float("nan"),
        "description": "Every customer: the data did not support more than one segment.",
        "recommended_action": "Collect more history or features before segmenting.",
    }
    diagnostics = pd.DataFrame(
        [{
            "k": 1, "inertia": float(np.square(prep.matrix).sum()), "silhouette": float("nan"),
            "is_knee": True, "is_chosen": True,
            "selection_rule": "single segment fallback: fewer than 2 distinct customer profiles",
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
    config: SegmentConfig | Mapping[str, Any] | None = None,
    *,
    id_column: str = "customer_id",
) -> SegmentationResult:
    """Segment customers; returns assignments, profiles and diagnostics (see module docstring).

    assignments: id_column, segment_id, segment_name, distance_to_centroid (model space).
    profiles: segment_id, segment_name, segment_rank, customers, share, one column per configured
    feature (the centroid in original units; per-segment mean for features the model dropped),
    match_score, description, recommended_action.
    diagnostics: one row per k tried (DIAGNOSTIC_COLUMNS), warnings repeated on each row.
    """
    cfg = _config(config)
    with threadpool_limits(limits=cfg.n_threads):
        return _fit_segments(features, cfg, id_column)


def _fit_segments(features: pd.DataFrame, cfg: SegmentConfig, id_column: str) -> SegmentationResult:
    prep = prepare_features(features, cfg, id_column=id_column)
    notes = list(prep.warnings)
    if not prep.features:
        notes.append("no usable segment feature left")
        return _single_segment(prep, cfg, notes, id_column)
    diagnostics, models, k_notes = choose_k(prep.matrix, cfg)
    notes.extend(k_notes)
    k = int(diagnostics.loc[diagnostics["is_chosen"], "k"].iloc[0])
    if k < 2:
        return _single_segment(prep, cfg, notes, id_column)

    sample_model = models[k]
    if len(prep.matrix) > cfg.fit_sample_size:
        model = _kmeans(k, cfg, init=sample_model.cluster_centers_, n_init=1).fit(prep.matrix)
        labels, centers = model.labels_, model.cluster_centers_
    else:
        labels, centers = sample_model.labels_, sample_model.cluster_centers_

    sizes = np.bincount(labels, minlength=k)
    # canonical order: biggest first, then by centroid, so K-Means' numbering never matters
    order = sorted(range(k), key=lambda c: (-sizes[c], *np.round(centers[c], 9)))
    position = np.empty(k, dtype=int)
    position[order] = np.arange(k)
    centers = centers[order]
    sizes = sizes[order]
    labels = position[labels]

    centroid_z = pd.DataFrame(centers, columns=prep.features)
    scores = archetype_scores(centroid_z, cfg.archetypes)
    matches = match_archetypes(scores, cfg.min_archetype_score)
    by_name = {a.name: a for a in cfg.archetypes}
    names, ids, match_score, archetypes = [], [], [], []
    for i, (name, score) in enumerate(matches):
        arch = by_name.get(name) if name else None
        names.append(arch.name if arch else f"Segment {i + 1}")
        ids.append(arch.segment_id if arch else f"segment_{i + 1}")
        match_score.append(score)
        archetypes.append(arch)
    if len(set(ids)) != len(ids):
        raise BankmartError(f"archetype names must give distinct ids, got {ids}; rename the archetypes")
    if any(a is None for a in archetypes):
        notes.append(
            f"{sum(a is None for a in archetypes)} segment(s) matched no archetype "
            f"(score < {cfg.min_archetype_score}) and got a 'Segment N' name"
        )

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

    centroid_orig = pd.DataFrame(prep.to_original(centers), columns=prep.features)
    overall = pd.Series(prep.to_original(np.zeros(len(prep.features))), index=prep.features)
    dropped = [f for f in cfg.features if f not in prep.features]
    dropped_means = prep.original[dropped].groupby(labels).mean() if dropped else None
    rows = []
    n_total = len(labels)
    for i in range(k):
        arch = archetypes[i]
        rows.append(
            {
                "segment_id": ids[i],
                "segment_name": names[i],
                "segment_rank": i + 1,
                "customers": int(sizes[i]),
                "share": float(sizes[i] / n_total),
                **{
                    f: float(centroid_orig.loc[i, f]) if f in prep.features
                    else float(dropped_means.loc[i, f]) if dropped_means is not None and i in dropped_means.index
                    else float("nan")
                    for f in cfg.features
                },
                "match_score": match_score[i],
                "description": _describe(
                    centroid_z.loc[i], centroid_orig.loc[i], overall,
                    arch.description if arch else "", cfg.description_features,
                ),
                "recommended_action": arch.recommended_action if arch
                else "Review this segment's profile and decide on a treatment.",
            }
        )
    return _finish(assignments, pd.DataFrame(rows), diagnostics, prep, notes)


def segment_customers(
    features: pd.DataFrame,
    config: SegmentConfig | Mapping[str, Any] | None = None,
    *,
    id_column: str = "customer_id",
) -> pd.DataFrame:
    """Assignments only, for callers that need no profiles or diagnostics. The dbt model calls
    ``fit_segments`` once and keeps all three outputs."""
    return fit_segments(features, config, id_column=id_column).assignments
