"""Quantile spend tiers (pd.qcut semantics) on a configurable customer measure, and the edges
that reproduce them as BI rules: one run, two outputs (assignments, thresholds)."""

from bankmart.ml.config import TierConfig
from bankmart.ml.outputs import stack_outputs
from bankmart.ml.relations import release_cached_blocks, to_pandas
from bankmart.ml.tiers import assign_quantile_tiers, tier_thresholds


def model(dbt, session):
    dbt.config(materialized="table")
    release_cached_blocks(session, dbt.config.meta_get("duckdb_memory_limit"))
    measure = dbt.config.meta_get("tier_measure")
    tiers = TierConfig.from_mapping(dbt.config.meta_get("tiers"))
    features = to_pandas(dbt.ref("customer_features"), ["customer_id", measure])
    assigned = assign_quantile_tiers(features, column=measure, **tiers.kwargs())
    assigned = assigned.rename(columns={measure: "measure_value"})
    thresholds = tier_thresholds(
        assigned, column="measure_value", labels=tiers.labels, codes=tiers.codes
    )
    return stack_outputs({"assignments": assigned, "thresholds": thresholds})
