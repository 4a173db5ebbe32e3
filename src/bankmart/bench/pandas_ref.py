"""The reference: customer features, spend tiers and segments the way an analyst's notebook does it.

This is deliberately the ordinary approach, not a tuned one: ``pd.read_parquet`` every raw file
into memory, clean with the obvious pandas calls, ``merge`` accounts to get customers, ``groupby``
to customer features, ``pd.qcut`` into five spend tiers, ``StandardScaler`` + scikit-learn
``KMeans``. It is what bankmart is compared against, so it must do the same work (same clean rows,
same features for totals and tiers) and nothing clever that a notebook would not do.

It runs as its own process (``python -m bankmart.bench.pandas_ref RAW_DIR OUT_DIR``) so that
the harness measures its wall time and peak RSS exactly as it measures dbt, and can stop it at a
memory cap or time limit. It writes ``customers.parquet`` (customer_id, total_spend, txn_count,
tier_code, segment_id) and ``status.json`` (status, per-step seconds, rows) into OUT_DIR; on
MemoryError it still writes status.json naming the step, and exits 3.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

TIER_CODES = ["Q1", "Q2", "Q3", "Q4", "Q5"]
# What a notebook hard-codes instead of joining the reference seed.
DISCRETIONARY = {"food", "entertainment", "apparel", "electronics", "travel"}
HOME_COUNTRY = "IN"
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


class Steps:
    """Times each notebook 'cell' and remembers which one was running if memory runs out."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.current = ""
        self._t = time.perf_counter()

    def start(self, name: str) -> None:
        self.current = name
        self._t = time.perf_counter()
        print(f"pandas: {name} ...", flush=True)

    def done(self) -> None:
        self.seconds[self.current] = round(time.perf_counter() - self._t, 3)


def customer_features(raw_dir: Path, steps: Steps) -> tuple[pd.DataFrame, int]:
    """Read, clean, merge and aggregate: one row per customer with the spend features."""
    steps.start("read_parquet")
    txns = pd.read_parquet(raw_dir / "transactions")
    accounts = pd.read_parquet(raw_dir / "accounts")
    customers = pd.read_parquet(raw_dir / "customers")
    merchants = pd.read_parquet(raw_dir / "merchants")
    steps.done()

    steps.start("clean")
    txns["transaction_at"] = pd.to_datetime(txns["transaction_at"], errors="coerce")
    txns = txns.dropna(subset=["transaction_id", "account_id", "transaction_at", "amount"])
    txns = txns[txns["amount"] > 0]
    txns = txns.drop_duplicates(subset="transaction_id")
    txns["channel"] = txns["channel"].str.strip().str.lower()
    txns["country_code"] = txns["country_code"].str.strip().str.upper()
    customers["customer_id"] = customers["customer_id"].str.strip()
    customers = customers.drop_duplicates(subset="customer_id")
    accounts = accounts.drop_duplicates(subset="account_id")
    steps.done()

    steps.start("merge")
    merchants = merchants[["merchant_id", "category"]].rename(columns={"category": "merchant_category"})
    txns = txns.merge(merchants, on="merchant_id", how="left")
    txns["category"] = txns["category"].fillna(txns["merchant_category"]).str.strip().str.lower()
    txns = txns.merge(accounts[["account_id", "customer_id"]], on="account_id", how="inner")
    steps.done()

    steps.start("groupby")
    txns["month"] = txns["transaction_at"].dt.to_period("M")
    hour = txns["transaction_at"].dt.hour
    txns["is_atm"] = txns["channel"] == "atm_withdrawal"
    txns["is_online"] = txns["channel"] == "online"
    txns["is_cross_border"] = txns["country_code"].notna() & (txns["country_code"] != HOME_COUNTRY)
    txns["is_night"] = (hour >= 22) | (hour < 6)
    txns["is_discretionary"] = txns["category"].isin(DISCRETIONARY)
    as_of = txns["transaction_at"].max()
    observed_months = max(1, txns["month"].nunique())
    features = txns.groupby("customer_id").agg(
        total_spend=("amount", "sum"),
        txn_count=("transaction_id", "count"),
        last_txn_at=("transaction_at", "max"),
        months_active=("month", "nunique"),
        atm_share=("is_atm", "mean"),
        online_share=("is_online", "mean"),
        cross_border_share=("is_cross_border", "mean"),
        night_share=("is_night", "mean"),
        discretionary_share=("is_discretionary", "mean"),
    )
    monthly = txns.groupby(["customer_id", "month"])["amount"].sum()
    features["max_monthly_spend"] = monthly.groupby(level="customer_id").max()
    features["avg_monthly_spend"] = features["total_spend"] / observed_months
    features["recency_days"] = (as_of - features["last_txn_at"]).dt.days
    features["frequency"] = features["txn_count"] / observed_months
    features["monetary_avg"] = features["total_spend"] / features["txn_count"]
    features = features.drop(columns="last_txn_at").reset_index()
    rows = len(txns)
    del txns, monthly
    # Customers without a transaction still get a row (zero spend), as in bankmart's features.
    features = customers[["customer_id"]].merge(features, on="customer_id", how="left")
    features["recency_days"] = features["recency_days"].fillna(observed_months * 31)
    features = features.fillna(0)
    steps.done()
    return features, rows


def tiers_and_segments(features: pd.DataFrame, steps: Steps) -> pd.DataFrame:
    """qcut into five spend tiers, then K-Means on standardised features."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pandas reference pipeline (notebook way)")
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    steps = Steps()
    status: dict[str, object] = {"status": "running"}
    code = 0
    try:
        features, rows = customer_features(args.raw_dir, steps)
        features = tiers_and_segments(features, steps)
        steps.start("write")
        features[["customer_id", "total_spend", "txn_count", "tier_code", "segment_id"]].to_parquet(
            args.out_dir / "customers.parquet", index=False
        )
        steps.done()
        status = {"status": "ok", "transactions": rows, "customers": len(features)}
    except MemoryError:
        status = {"status": "MemoryError", "step": steps.current}
        code = 3
    status["steps"] = steps.seconds
    (args.out_dir / "status.json").write_text(json.dumps(status, indent=2))
    print(f"pandas: {status['status']}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
