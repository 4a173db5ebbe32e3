"""The ML parameters have one home, the models' YAML: the config classes hold no values of their
own, every model's meta is complete, and what it names exists in the contracts it feeds."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from bankmart.errors import BankmartError
from bankmart.ml.config import (
    ClassifierConfig,
    RiskConfig,
    SegmentConfig,
    TierConfig,
    model_meta,
)
from conftest import PROJECT_DIR

CONFIGS = [
    ("ml_customer_spend_tiers", "tiers", TierConfig),
    ("ml_segmentation", "segments", SegmentConfig),
    ("ml_customer_risk_scores", "scorecard", RiskConfig),
    ("ml_risk_classifiers", "classifiers", ClassifierConfig),
]


def contract_columns(path: str, model: str) -> list[str]:
    document = yaml.safe_load((PROJECT_DIR / path).read_text())
    node = next(m for m in document["models"] if m["name"] == model)
    return [c["name"] for c in node["columns"]]


@pytest.mark.parametrize(("model", "key", "cls"), CONFIGS)
def test_the_yaml_is_complete_and_the_classes_hold_no_second_copy(model, key, cls):
    cls.from_mapping(model_meta(model)[key])  # complete: nothing missing, nothing unknown
    defaults = [f.name for f in dataclasses.fields(cls)
                if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING]
    assert defaults == []
    with pytest.raises(BankmartError, match="lacks option"):
        cls.from_mapping({})


def test_model_meta_names_a_missing_model():
    with pytest.raises(BankmartError, match="no model 'ml_nothing'"):
        model_meta("ml_nothing")


def test_classifier_label_and_features_are_columns_of_what_it_reads():
    cfg = ClassifierConfig.from_mapping(model_meta("ml_risk_classifiers")["classifiers"])
    training = contract_columns("models/intermediate/features/_features__models.yml", "int_risk_training_set")
    assert cfg.label_column in training
    features = contract_columns("models/marts/features/_features__models.yml", "customer_features")
    assert set(cfg.feature_columns) <= set(features)


def test_segment_features_and_risk_signals_exist_and_reach_their_marts():
    features = set(contract_columns("models/marts/features/_features__models.yml", "customer_features"))
    segments = SegmentConfig.from_mapping(model_meta("ml_segmentation")["segments"])
    names = [*segments.feature_names, *segments.profile_names]
    assert set(names) <= features
    profiles = contract_columns("models/marts/ml/_ml__models.yml", "segment_profiles")
    assert [c for c in profiles if c.startswith("centroid_")] == [f"centroid_{f}" for f in names]
    for arch in segments.archetypes:
        assert arch.features <= set(segments.feature_names), arch.name
    scorecard = RiskConfig.from_mapping(model_meta("ml_customer_risk_scores")["scorecard"])
    assert {r.signal for r in scorecard.rules} <= features
    scores = contract_columns("models/marts/ml/_ml__models.yml", "customer_risk_scores")
    assert [c for c in scores if c.startswith("severity_")] == [f"severity_{r.code.lower()}" for r in scorecard.rules]
