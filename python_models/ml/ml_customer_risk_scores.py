"""Explainable risk scorecard of recent-versus-baseline signals: one run, two outputs (the
customers' scores, and per rule what this bank can assess)."""

from bankmart.ml.config import RiskConfig
from bankmart.ml.outputs import stack_outputs
from bankmart.ml.relations import release_cached_blocks, to_pandas
from bankmart.ml.risk import rule_summary, score_customers


def model(dbt, session):
    dbt.config(materialized="table")
    release_cached_blocks(session, dbt.config.meta_get("duckdb_memory_limit"))
    config = RiskConfig.from_mapping(dbt.config.meta_get("scorecard"))
    columns = ["customer_id", *dict.fromkeys(rule.signal for rule in config.rules)]
    features = to_pandas(dbt.ref("customer_features"), columns, order_by="customer_id")
    scores = score_customers(features, config)
    return stack_outputs({"scores": scores, "rules": rule_summary(features, scores, config)})
