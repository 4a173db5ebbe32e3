"""What the benchmark's reference pipelines share, so that pandas and polars do the same work.

A reference computes the customer features its own way (``pandas_ref``: eager pandas calls,
``polars_ref``: one lazy polars query). Everything after that is the same code for both, kept
here once: the rules a notebook hard-codes (discretionary categories, the home country), the
feature set, ``pd.qcut`` into five spend tiers, ``StandardScaler`` + scikit-learn ``KMeans``,
the output file and the process entry point that times the steps and writes ``status.json``.

A reference runs as its own process (``python -m bankmart.bench.<name>_ref RAW_DIR OUT_DIR``)
so that the harness measures its wall time and peak RSS exactly as it measures dbt, and can
stop it at a memory cap or time limit. It writes ``customers.parquet`` (``OUTPUT_COLUMNS``) and
``status.json`` (status, per-step seconds, rows) into OUT_DIR; on MemoryError it still writes
status.json naming the step, and exits 3.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

TIER_CODES = ["Q1", "Q2", "Q3", "Q4", "Q5"]
# What a notebook hard-codes instead of joining the reference seed.
DISCRETIONARY = {"food", "entertainment", "apparel", "electronics", "travel"}
HOME_COUNTRY = "IN"
ATM_CHANNEL = "atm_withdrawal"
ONLINE_CHANNEL = "online"
#: A transaction at 22:00 or later, or before 06:00, is a night transaction.
NIGHT_STARTS, NIGHT_ENDS = 22, 6
#: Days of recency given to a customer without a transaction, per observed month.
DAYS_PER_MONTH_WITHOUT_ACTIVITY = 31
N_SEGMENTS = 5
SEED = 42
FEATURES_FOR_SEGMENTS = [
    "total_spend",
    "txn_count",
    "recency_days",
    "frequency",
    "monetary_avg",
    "atm_share",
    "online_share",
    "cross_border_share",
    "night_share",
    "discretionary_share",
]
#: Every customer feature a reference computes (one row per customer), beside customer_id.
FEATURE_COLUMNS = [
    "total_spend",
    "txn_count",
    "months_active",
    "atm_share",
    "online_share",
    "cross_border_share",
    "night_share",
    "discretionary_share",
    "max_monthly_spend",
    "avg_monthly_spend",
    "recency_days",
    "frequency",
    "monetary_avg",
]
#: customers.parquet, the file the agreement checks read.
OUTPUT_COLUMNS = ["customer_id", "total_spend", "txn_count", "tier_code", "segment_id"]

#: customer_features(raw_dir, steps) -> (one row per customer, clean transactions counted)
FeatureFunction = Callable[[Path, "Steps"], tuple[pd.DataFrame, int]]


class Steps:
    """Times each notebook 'cell' and remembers which one was running if memory runs out."""

    def __init__(self, name: str = "reference") -> None:
        self.name = name
        self.seconds: dict[str, float] = {}
        self.current = ""
        self._t = time.perf_counter()

    def start(self, step: str) -> None:
        self.current = step
        self._t = time.perf_counter()
        print(f"{self.name}: {step} ...", flush=True)

    def done(self) -> None:
        self.seconds[self.current] = round(time.perf_counter() - self._t, 3)


def tiers_and_segments(features: pd.DataFrame, steps: Steps) -> pd.DataFrame:
    """qcut into five spend tiers, then K-Means on standardised features.

    K-Means starts from rows in the order given: both references keep the customers file's
    order, so the same features give the same segments.
    """
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    steps.start("qcut")
    features["tier_code"] = pd.qcut(features["total_spend"], 5, labels=TIER_CODES).astype(str)
    steps.done()

    steps.start("kmeans")
    scaled = StandardScaler().fit_transform(features[FEATURES_FOR_SEGMENTS])
    features["segment_id"] = KMeans(n_clusters=N_SEGMENTS, random_state=SEED).fit_predict(scaled)
    steps.done()
    return features


def write_customers(features: pd.DataFrame, out_dir: Path) -> Path:
    """customers.parquet with the same columns and types whichever library computed it."""
    path = out_dir / "customers.parquet"
    output = features[OUTPUT_COLUMNS].astype(
        {"customer_id": "string", "total_spend": "float64", "txn_count": "int64",
         "tier_code": "string", "segment_id": "int64"}
    )
    output.to_parquet(path, index=False)
    return path


def main(name: str, customer_features: FeatureFunction, argv: list[str] | None = None) -> int:
    """The process a reference runs as: features, tiers and segments, output, status.json."""
    parser = argparse.ArgumentParser(description=f"{name} reference pipeline (notebook way)")
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    steps = Steps(name)
    status: dict[str, object] = {"status": "running"}
    code = 0
    try:
        features, rows = customer_features(args.raw_dir, steps)
        features = tiers_and_segments(features, steps)
        steps.start("write")
        write_customers(features, args.out_dir)
        steps.done()
        status = {"status": "ok", "transactions": rows, "customers": len(features)}
    except MemoryError:
        status = {"status": "MemoryError", "step": steps.current}
        code = 3
    status["steps"] = steps.seconds
    (args.out_dir / "status.json").write_text(json.dumps(status, indent=2))
    print(f"{name}: {status['status']}", flush=True)
    return code
