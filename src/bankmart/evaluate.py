"""`bankmart evaluate`: score the warehouse's segments and risk flags against the generator's
answer key (ground_truth/customers.parquet), which dbt never reads, and say how close they come
to what the features carry (supervised ceilings) and how stable the segmentation is.

Reads marts.customer_segments, customer_risk_scores, customer_risk_predictions,
customer_features and data_availability from the serving copy when it exists (that is what BI
sees), else the build file, always read-only so it can run beside a build or a dashboard. The
ML parameters come from the project's YAML (python_models/ml/_ml__models.yml), the same values
the build used.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import pandas as pd

from bankmart.errors import BankmartError
from bankmart.ml.config import (
    EVALUATION_DEFAULTS,
    EvaluationConfig,
    RiskConfig,
    SegmentConfig,
    model_meta,
)
from bankmart.ml.evaluate import (
    EvaluationReport,
    evaluate_against_truth,
    format_report,
    ratio_rows,
    risk_ceiling,
    segment_ceiling,
    segment_stability,
)
from bankmart.settings import Settings

# table -> columns read from it (required), and columns read only when present
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "segments": ("customer_id", "segment_id", "segment_name"),
    "scores": ("customer_id", "risk_score", "risk_tier"),
    "predictions": ("customer_id", "model", "probability"),
    "features": ("customer_id",),
    "availability": ("object_type", "column_name", "carries_information"),
}
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"predictions": ("split",)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ground-truth",
        type=Path,
        metavar="DIR",
        help="folder holding customers.parquet from `bankmart generate` "
        "(default: ground_truth/ beside BANKMART_RAW_DIR)",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        metavar="FILE",
        help="DuckDB file to read (default: the serving copy if it exists, else BANKMART_DUCKDB_PATH)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the metrics as JSON here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="agreement only: skip the supervised ceilings and the stability refits (about a "
        "minute on the demo bank)",
    )


def ground_truth_file(path: Path, config: EvaluationConfig = EVALUATION_DEFAULTS) -> Path:
    """The answer-key file: DIR/customers.parquet, or the file itself when given one."""
    candidate = path if path.suffix == ".parquet" else path / config.ground_truth_file
    if not candidate.is_file():
        raise BankmartError(
            f"ground truth file {candidate} not found. It is written by `bankmart generate` next to "
            "raw/ (DIR/ground_truth/customers.parquet); pass --ground-truth DIR for another bank. "
            "Banks imported from public data sets have no ground truth to evaluate against."
        )
    return candidate


def default_warehouse(settings: Settings) -> Path:
    return settings.serving_path if settings.serving_path.is_file() else settings.duckdb_path


def read_marts(warehouse: Path, config: EvaluationConfig = EVALUATION_DEFAULTS) -> dict[str, pd.DataFrame]:
    """The three ML marts, read-only. Raises naming every missing table or column."""
    if not warehouse.is_file():
        raise BankmartError(
            f"warehouse {warehouse} not found: run `bankmart build` first or pass --warehouse FILE"
        )
    names = {
        "segments": config.segments_table,
        "scores": config.scores_table,
        "predictions": config.predictions_table,
        "features": config.features_table,
        "availability": config.availability_table,
    }
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise BankmartError(f"cannot open {warehouse} read-only: {exc}") from None
    try:
        present = {
            (schema, table): None
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        missing = [
            f"{config.marts_schema}.{t}" for t in names.values() if (config.marts_schema, t) not in present
        ]
        if missing:
            raise BankmartError(
                f"{warehouse} has no table(s) {', '.join(missing)}: build the ML models with "
                "`bankmart build` (they are part of the default build) and try again"
            )
        frames = {}
        for key, table in names.items():
            columns = TABLE_COLUMNS[key]
            have = {
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [config.marts_schema, table],
                ).fetchall()
            }
            lacking = [c for c in columns if c not in have]
            if lacking:
                raise BankmartError(f"{config.marts_schema}.{table} lacks columns {lacking}")
            columns = (*columns, *(c for c in OPTIONAL_COLUMNS.get(key, ()) if c in have))
            if key == "features":
                columns = tuple(sorted(have))
            select = ", ".join(f'"{c}"' for c in columns)
            frames[key] = con.execute(f'select {select} from "{config.marts_schema}"."{table}"').df()
        return frames
    finally:
        con.close()


def evaluate_warehouse(
    ground_truth: Path,
    warehouse: Path,
    project_dir: Path | None = None,
    config: EvaluationConfig = EVALUATION_DEFAULTS,
    *,
    quick: bool = False,
) -> EvaluationReport:
    truth_path = ground_truth_file(ground_truth, config)
    try:
        truth = pd.read_parquet(truth_path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise BankmartError(f"cannot read ground truth {truth_path}: {exc}") from None
    marts = read_marts(warehouse, config)
    risk_config = RiskConfig.from_mapping(model_meta("ml_customer_risk_scores", project_dir)["scorecard"])
    report = evaluate_against_truth(
        truth, segments=marts["segments"], scores=marts["scores"], predictions=marts["predictions"],
        risk_config=risk_config,
    )
    if quick:
        return report
    segment_config = SegmentConfig.from_mapping(model_meta("ml_segmentation", project_dir)["segments"])
    availability = marts["availability"]
    available = availability.loc[
        (availability["object_type"] == "feature") & availability["carries_information"].astype(bool),
        "column_name",
    ].tolist()
    features = marts["features"]
    rows = segment_ceiling(truth, features, segment_config, available, config)
    rows += risk_ceiling(truth, features, risk_config, config)
    stability_rows, stability = segment_stability(features, marts["segments"], segment_config, available, config)
    report = report.extended(rows + stability_rows, stability)
    return report.extended(ratio_rows(report.metrics.to_dict("records")))


def run(args: argparse.Namespace, settings: Settings) -> int:
    ground_truth = (args.ground_truth or settings.ground_truth_dir).expanduser().resolve()
    warehouse = (args.warehouse or default_warehouse(settings)).expanduser().resolve()
    report = evaluate_warehouse(ground_truth, warehouse, settings.project_dir, quick=args.quick)
    print(f"Ground truth: {ground_truth_file(ground_truth)}")
    print(f"Warehouse:    {warehouse}")
    print()
    print(format_report(report))
    if args.json:
        payload = {"ground_truth": str(ground_truth), "warehouse": str(warehouse), **report.to_dict()}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nMetrics written to {args.json}")
    return 0
