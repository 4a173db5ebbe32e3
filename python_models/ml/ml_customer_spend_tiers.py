"""Quantile spend tiers (pd.qcut semantics) on a configurable customer measure."""

from bankmart.ml.config import TierConfig
from bankmart.ml.tiers import assign_quantile_tiers


def model(dbt, session):
    dbt.config(materialized="table")
    measure = dbt.config.meta_get("tier_measure", "total_spend")
    tiers = TierConfig.from_mapping(dbt.config.meta_get("tiers"))
    features = dbt.ref("customer_features").project(f"customer_id, {measure}").df()
    assigned = assign_quantile_tiers(features, column=measure, **tiers.kwargs())
    return assigned.rename(columns={measure: "measure_value"})
