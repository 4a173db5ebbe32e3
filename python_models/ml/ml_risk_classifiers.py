"""Supervised risk classifiers: trained on features observed before the outcome window, then
applied to every customer's current features."""

from bankmart.ml.config import ClassifierConfig
from bankmart.ml.outputs import stack_outputs
from bankmart.ml.relations import release_cached_blocks, to_pandas
from bankmart.ml.risk import train_risk_classifiers


def model(dbt, session):
    dbt.config(materialized="table")
    release_cached_blocks(session, dbt.config.meta_get("duckdb_memory_limit"))
    config = ClassifierConfig.from_mapping(dbt.config.meta_get("classifiers"))
    features = ["customer_id", *config.feature_columns]
    # a fixed row order: the forest and the holdout split depend on it
    training = to_pandas(
        dbt.ref("int_risk_training_set"), [*features, config.label_column], order_by="customer_id"
    )
    current = to_pandas(dbt.ref("customer_features"), features, order_by="customer_id")
    result = train_risk_classifiers(training, config, score_df=current)
    return stack_outputs(
        {
            "metrics": result.metrics,
            "importances": result.importances,
            "predictions": result.predictions,
        }
    )
