"""The polars reference: the same customer features as the pandas reference, the way an analyst
writes them in polars today.

One lazy query: ``pl.scan_parquet`` the raw folders, clean, join accounts to get customers,
aggregate to one row per customer, and a single ``collect()`` (polars' default engine, every
core it finds) that runs the whole plan with projection pushdown and shared sub-plans. The
customer-level result goes ``to_pandas()`` at the scikit-learn boundary, where the tiers,
segments and output are the shared code of ``bankmart.bench.reference``:
``python -m bankmart.bench.polars_ref RAW_DIR OUT_DIR``.

The clean rules are the pandas reference's, rule for rule, including what pandas does without
being asked: ``merge`` matches missing keys with each other, ``dropna`` drops NaN amounts,
``pd.to_datetime`` reads only the format of the column's first value and only timestamps
``datetime64[ns]`` can hold, a missing channel or category is "not ATM" rather than unknown, and
customers keep the customers file's order (K-Means starts from it).
tests/python/test_bench.py compares the two feature tables on a dirty generated bank.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import polars as pl

from bankmart.bench.reference import (
    ATM_CHANNEL,
    DAYS_PER_MONTH_WITHOUT_ACTIVITY,
    DISCRETIONARY,
    FEATURE_COLUMNS,
    HOME_COUNTRY,
    NIGHT_ENDS,
    NIGHT_STARTS,
    ONLINE_CHANNEL,
    Steps,
    main,
)

#: The raw contract's timestamp format (what pd.to_datetime infers from the generator's files).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Timestamps pandas can represent; pd.to_datetime(errors="coerce") makes the others NaT.
PANDAS_TIMESTAMPS = (pd.Timestamp.min.ceil("us").to_pydatetime(), pd.Timestamp.max.floor("us").to_pydatetime())


def clean_transactions(raw_dir: Path) -> pl.LazyFrame:
    """Clean transactions with their customer and category: the pandas reference's clean and
    merge steps, as a lazy plan."""
    transaction_at = pl.col("transaction_at").str.to_datetime(TIMESTAMP_FORMAT, strict=False)
    txns = (
        pl.scan_parquet(raw_dir / "transactions")
        .with_columns(
            pl.when(transaction_at.is_between(*PANDAS_TIMESTAMPS)).then(transaction_at).alias("transaction_at"),
            pl.col("amount").fill_nan(None),
        )
        .drop_nulls(subset=["transaction_id", "account_id", "transaction_at", "amount"])
        .filter(pl.col("amount") > 0)
        .unique(subset="transaction_id", keep="first", maintain_order=True)
        .with_columns(
            pl.col("channel").str.strip_chars().str.to_lowercase(),
            pl.col("country_code").str.strip_chars().str.to_uppercase(),
        )
    )
    accounts = (
        pl.scan_parquet(raw_dir / "accounts")
        .unique(subset="account_id", keep="first", maintain_order=True)
        .select("account_id", "customer_id")
    )
    merchants = pl.scan_parquet(raw_dir / "merchants").select(
        "merchant_id", pl.col("category").alias("merchant_category")
    )
    return (
        txns.join(merchants, on="merchant_id", how="left", nulls_equal=True)
        .with_columns(
            pl.coalesce("category", "merchant_category").str.strip_chars().str.to_lowercase().alias("category")
        )
        .join(accounts, on="account_id", how="inner")
    )


def customer_features_query(raw_dir: Path) -> pl.LazyFrame:
    """One row per customer of the customers file (in its order) with the spend features,
    plus the clean transactions counted (column ``_transactions``)."""
    txns = clean_transactions(raw_dir).with_columns(
        month=pl.col("transaction_at").dt.truncate("1mo"),
        is_atm=(pl.col("channel") == ATM_CHANNEL).fill_null(False),
        is_online=(pl.col("channel") == ONLINE_CHANNEL).fill_null(False),
        is_cross_border=(pl.col("country_code").is_not_null() & (pl.col("country_code") != HOME_COUNTRY))
        .fill_null(False),
        is_night=(pl.col("transaction_at").dt.hour() >= NIGHT_STARTS)
        | (pl.col("transaction_at").dt.hour() < NIGHT_ENDS),
        is_discretionary=pl.col("category").is_in(DISCRETIONARY).fill_null(False),
    )
    whole_bank = txns.select(
        as_of=pl.col("transaction_at").max(),
        observed_months=pl.max_horizontal(pl.col("month").n_unique(), 1),
        _transactions=pl.len(),
    )
    per_customer = txns.group_by("customer_id").agg(
        total_spend=pl.col("amount").sum(),
        txn_count=pl.col("transaction_id").count(),
        last_txn_at=pl.col("transaction_at").max(),
        months_active=pl.col("month").n_unique(),
        atm_share=pl.col("is_atm").mean(),
        online_share=pl.col("is_online").mean(),
        cross_border_share=pl.col("is_cross_border").mean(),
        night_share=pl.col("is_night").mean(),
        discretionary_share=pl.col("is_discretionary").mean(),
    )
    monthly = (
        txns.group_by("customer_id", "month")
        .agg(pl.col("amount").sum())
        .group_by("customer_id")
        .agg(max_monthly_spend=pl.col("amount").max())
    )
    customers = (
        pl.scan_parquet(raw_dir / "customers")
        .select(pl.col("customer_id").str.strip_chars())
        .unique(subset="customer_id", keep="first", maintain_order=True)
    )
    # Customers without a transaction still get a row (zero spend), as in bankmart's features.
    return (
        customers.join(whole_bank, how="cross", maintain_order="left")
        .join(per_customer, on="customer_id", how="left", maintain_order="left")
        .join(monthly, on="customer_id", how="left", maintain_order="left")
        .with_columns(
            avg_monthly_spend=pl.col("total_spend") / pl.col("observed_months"),
            recency_days=(pl.col("as_of") - pl.col("last_txn_at"))
            .dt.total_days()
            .fill_null(pl.col("observed_months") * DAYS_PER_MONTH_WITHOUT_ACTIVITY),
            frequency=pl.col("txn_count") / pl.col("observed_months"),
            monetary_avg=pl.col("total_spend") / pl.col("txn_count"),
        )
        .with_columns(pl.col(FEATURE_COLUMNS).fill_null(0))
        .select("customer_id", *FEATURE_COLUMNS, "_transactions")
    )


def customer_features(raw_dir: Path, steps: Steps) -> tuple[pd.DataFrame, int]:
    """Plan, one collect, and the hand-over to pandas for scikit-learn."""
    steps.start("collect")
    features = customer_features_query(raw_dir).collect()
    steps.done()

    steps.start("to_pandas")
    rows = int(features["_transactions"].max() or 0)
    table = features.drop("_transactions").to_pandas()
    steps.done()
    return table, rows


if __name__ == "__main__":
    sys.exit(main("polars", customer_features))
