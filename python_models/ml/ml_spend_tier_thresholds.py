"""Per-tier value ranges and qcut edges, reusable as BI rules."""

from bankmart.ml.tiers import tier_thresholds


def model(dbt, session):
    dbt.config(materialized="table")
    assigned = dbt.ref("ml_customer_spend_tiers").df()
    return tier_thresholds(assigned, column="measure_value")
