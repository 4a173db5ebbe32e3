"""Supervised risk classifiers: trained on features observed before the outcome window, then
applied to every customer's current features."""

from bankmart.ml.config import ClassifierConfig
from bankmart.ml.outputs import stack_outputs
from bankmart.ml.risk import train_risk_classifiers


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClassifierConfig.from_mapping(dbt.config.meta_get("classifiers"))
    features = ", ".join(["customer_id", *config.feature_columns])
    # a fixed row order: the forest and the holdout split depend on it
    training = (
        dbt.ref("int_risk_training_set")
        .project(f"{features}, {config.label_column}")
        .order("customer_id")
        .df()
    )
    current = dbt.ref("customer_features").project(features).order("customer_id").df()
    result = train_risk_classifiers(training, config, score_df=current)
    return stack_outputs(
        {
            "metrics": result.metrics,
            "importances": result.importances,
            "predictions": result.predictions,
        }
    )
