"""The pandas reference: customer features the way an analyst's notebook computes them.

This is deliberately the ordinary approach, not a tuned one: ``pd.read_parquet`` every raw file
into memory, clean with the obvious pandas calls, ``merge`` accounts to get customers, ``groupby``
to customer features. It is what bankmart is compared against, so it must do the same work (same
clean rows, same features for totals and tiers) and nothing clever that a notebook would not do.
The tiers, segments, output and process entry point are shared with the polars reference
(``bankmart.bench.reference``): ``python -m bankmart.bench.pandas_ref RAW_DIR OUT_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from bankmart.bench.reference import (
    ATM_CHANNEL,
    DAYS_PER_MONTH_WITHOUT_ACTIVITY,
    DISCRETIONARY,
    HOME_COUNTRY,
    NIGHT_ENDS,
    NIGHT_STARTS,
    ONLINE_CHANNEL,
    Steps,
    main,
)


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
    txns["is_atm"] = txns["channel"] == ATM_CHANNEL
    txns["is_online"] = txns["channel"] == ONLINE_CHANNEL
    txns["is_cross_border"] = txns["country_code"].notna() & (txns["country_code"] != HOME_COUNTRY)
    txns["is_night"] = (hour >= NIGHT_STARTS) | (hour < NIGHT_ENDS)
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
    no_activity_days = observed_months * DAYS_PER_MONTH_WITHOUT_ACTIVITY
    features["recency_days"] = features["recency_days"].fillna(no_activity_days)
    features = features.fillna(0)
    steps.done()
    return features, rows


if __name__ == "__main__":
    sys.exit(main("pandas", customer_features))
