"""Supervised risk classifiers trained on features observed before the outcome window."""

from bankmart.ml.config import ClassifierConfig
from bankmart.ml.outputs import stack_outputs
from bankmart.ml.risk import train_risk_classifiers


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClassifierConfig.from_mapping(dbt.config.meta_get("classifiers"))
    columns = ", ".join(["customer_id", config.label_column, *config.feature_columns])
    training = dbt.ref("int_risk_training_set").project(columns).df()
    result = train_risk_classifiers(training, config=config)
    return stack_outputs(
        {
            "metrics": result.metrics,
            "importances": result.importances,
            "predictions": result.predictions,
        }
    )
