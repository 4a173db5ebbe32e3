"""K-Means segmentation: one fit, three outputs (assignments, profiles, k diagnostics)."""

from bankmart.ml.config import SegmentConfig
from bankmart.ml.outputs import stack_outputs
from bankmart.ml.segments import fit_segments


def model(dbt, session):
    dbt.config(materialized="table")
    config = SegmentConfig.from_mapping(dbt.config.meta_get("segments"))
    columns = ", ".join(["customer_id", *config.features])
    features = dbt.ref("customer_features").project(columns).order("customer_id").df()
    result = fit_segments(features, config)
    profiles = result.profiles.rename(columns={f: f"centroid_{f}" for f in config.features})
    return stack_outputs(
        {
            "assignments": result.assignments,
            "profiles": profiles,
            "diagnostics": result.diagnostics,
        }
    )
