"""K-Means segmentation on the features that carry information for this bank: one fit, three
outputs (assignments, profiles, k diagnostics)."""

from bankmart.ml.config import SegmentConfig
from bankmart.ml.outputs import stack_outputs
from bankmart.ml.relations import release_cached_blocks, to_pandas
from bankmart.ml.segments import fit_segments


def model(dbt, session):
    dbt.config(materialized="table")
    release_cached_blocks(session, dbt.config.meta_get("duckdb_memory_limit"))
    config = SegmentConfig.from_mapping(dbt.config.meta_get("segments"))
    profiled = dbt.ref("int_customer_features_profiled")
    carried = to_pandas(profiled, ["feature_name"], where="carries_information")
    available = carried["feature_name"].tolist()
    columns = ["customer_id", *config.feature_names, *config.profile_names]
    features = to_pandas(dbt.ref("customer_features"), columns, order_by="customer_id")
    result = fit_segments(features, config, available=available)
    names = [*config.feature_names, *config.profile_names]
    profiles = result.profiles.rename(columns={f: f"centroid_{f}" for f in names})
    return stack_outputs(
        {
            "assignments": result.assignments,
            "profiles": profiles,
            "diagnostics": result.diagnostics,
        }
    )
