"""Explainable risk scorecard: points per rule, reason codes, Low/Medium/High tier."""

from bankmart.ml.config import RiskConfig
from bankmart.ml.risk import score_customers


def model(dbt, session):
    dbt.config(materialized="table")
    config = RiskConfig.from_mapping(dbt.config.meta_get("scorecard"))
    columns = ", ".join(["customer_id", *sorted({rule.feature for rule in config.rules})])
    features = dbt.ref("customer_features").project(columns).df()
    return score_customers(features, config)
