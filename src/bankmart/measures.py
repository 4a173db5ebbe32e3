"""The Power BI measures (``bi/powerbi/measures.dax``), generated from the semantic layer.

Each portfolio KPI is defined once, as a MetricFlow metric (``models/marts/semantic/_metrics.yml``
over the semantic models in ``_semantic_models.yml``). This module renders those definitions as
DAX measures on the served tables, so Power BI computes what ``mf query`` and the dashboard do;
``bankmart measures --write`` rewrites the file after a metric changes, and a test fails when the
committed file differs from its rendering.

What translates (anything else is refused with the metric's name, rather than guessed):

- a simple metric over a measure whose ``expr`` is a column: ``sum`` -> ``SUM``,
  ``count_distinct`` -> ``DISTINCTCOUNT``, ``count`` -> ``COUNTA``, ``min``/``max``/``average``;
- a metric ``filter`` on one categorical dimension, true (a boolean) or equal to a string:
  ``CALCULATE ( ..., table[column] = TRUE () )`` / ``= "value"``;
- ``fill_nulls_with: 0`` on a simple metric: ``COALESCE ( ..., 0 )``;
- a ratio metric: ``DIVIDE ( [numerator], [denominator] )``.

A measure lives on the table of its semantic model, named by the metric's label.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bankmart.errors import BankmartError
from bankmart.settings import Settings

SEMANTIC_DIR = Path("models") / "marts" / "semantic"
SEMANTIC_MODELS_PATH = SEMANTIC_DIR / "_semantic_models.yml"
METRICS_PATH = SEMANTIC_DIR / "_metrics.yml"
DAX_PATH = Path("bi") / "powerbi" / "measures.dax"

_AGGREGATIONS = {
    "sum": "SUM",
    "count_distinct": "DISTINCTCOUNT",
    "count": "COUNTA",
    "min": "MIN",
    "max": "MAX",
    "average": "AVERAGE",
}
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REF = re.compile(r"""^ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)$""")
_FILTER = re.compile(
    r"""^\{\{\s*Dimension\(\s*'([a-z0-9_]+)__([a-z0-9_]+)'\s*\)\s*\}\}"""
    r"""(?:\s*=\s*'([^'\\]*)')?$"""
)

_HEADER = """\
// bankmart measures for Power BI, as a DAX query.
// GENERATED from the semantic layer (models/marts/semantic/_metrics.yml) by
// `bankmart measures --write`: change a metric there, then regenerate. MetricFlow (`mf query`),
// the dashboard and these measures compute the same KPIs on the same served tables.
// Power BI Desktop: DAX query view -> paste this file -> "Update model: Add new measures"
// (or Tabular Editor: run as a script). Tables must carry their bankmart names
// (customer_month_kpis, dim_customer, ...) and the relationships of relationships.json.
// Customers counts dim_customer, which no date relationship filters: a date slicer leaves it
// unchanged (MetricFlow groups it by joined date).
"""


@dataclass(frozen=True)
class Measure:
    table: str
    agg: str
    column: str


@dataclass(frozen=True)
class Dimension:
    table: str
    column: str


def _load(project_dir: Path) -> tuple[list[dict], list[dict]]:
    semantic = yaml.safe_load((project_dir / SEMANTIC_MODELS_PATH).read_text(encoding="utf-8"))
    metrics = yaml.safe_load((project_dir / METRICS_PATH).read_text(encoding="utf-8"))
    return semantic["semantic_models"], metrics["metrics"]


def _table(model: dict) -> str:
    match = _REF.match(str(model["model"]).strip())
    if match is None:
        raise BankmartError(f"semantic model {model['name']}: model must be ref('<name>')")
    return match.group(1)


def _catalogue(models: list[dict]) -> tuple[dict[str, Measure], dict[tuple[str, str], Dimension]]:
    """Measures by name, and dimensions by (primary entity, dimension name)."""
    measures: dict[str, Measure] = {}
    dimensions: dict[tuple[str, str], Dimension] = {}
    for model in models:
        table = _table(model)
        primary = [e["name"] for e in model.get("entities", []) if e["type"] == "primary"]
        for measure in model.get("measures", []):
            column = str(measure.get("expr", measure["name"]))
            if measure["agg"] not in _AGGREGATIONS or not _COLUMN.match(column):
                raise BankmartError(
                    f"measure {measure['name']}: only {sorted(_AGGREGATIONS)} over a plain "
                    "column translate to DAX"
                )
            measures[measure["name"]] = Measure(table, measure["agg"], column)
        for dimension in model.get("dimensions", []):
            column = str(dimension.get("expr", dimension["name"]))
            for entity in primary:
                dimensions[(entity, dimension["name"])] = Dimension(table, column)
    return measures, dimensions


def _dax_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def render(project_dir: Path) -> str:
    models, metrics = _load(project_dir)
    measures, dimensions = _catalogue(models)
    by_name = {metric["name"]: metric for metric in metrics}
    homes: dict[str, str] = {}
    blocks: list[str] = []

    def home(name: str) -> str:
        metric = by_name[name]
        if name not in homes:
            params = metric["type_params"]
            if metric["type"] == "simple":
                spec = params["measure"]
                homes[name] = measures[spec["name"] if isinstance(spec, dict) else spec].table
            else:
                numerator = params["numerator"]
                homes[name] = home(numerator if isinstance(numerator, str) else numerator["name"])
        return homes[name]

    for metric in metrics:
        name, params = metric["name"], metric["type_params"]
        if metric["type"] == "simple":
            spec = params["measure"]
            spec = spec if isinstance(spec, dict) else {"name": spec}
            measure = measures[spec["name"]]
            expression = f"{_AGGREGATIONS[measure.agg]} ( {measure.table}[{measure.column}] )"
            if metric.get("filter"):
                expression = f"CALCULATE ( {expression}, {_filter(name, metric['filter'], dimensions)} )"
            if spec.get("fill_nulls_with") is not None:
                expression = f"COALESCE ( {expression}, {int(spec['fill_nulls_with'])} )"
        elif metric["type"] == "ratio":
            parts = []
            for side in ("numerator", "denominator"):
                ref = params[side] if isinstance(params[side], str) else params[side]["name"]
                if ref not in by_name:
                    raise BankmartError(f"metric {name}: {side} {ref} is not a metric")
                parts.append(f"[{by_name[ref]['label']}]")
            expression = f"DIVIDE ( {parts[0]}, {parts[1]} )"
        else:
            raise BankmartError(f"metric {name}: type {metric['type']} does not translate to DAX")
        description = " ".join(str(metric.get("description", "")).split())
        blocks.append(
            f"    // {metric['label']} ({name}): {description}\n"
            f"    MEASURE {home(name)}[{metric['label']}] =\n"
            f"        {expression}\n"
        )
    shown = ",\n".join(f'        "{m["label"]}", [{m["label"]}]' for m in metrics)
    return (
        _HEADER + "DEFINE\n" + "\n".join(blocks) + "\nEVALUATE\n    ROW (\n" + shown + "\n    )\n"
    )


def _filter(metric: str, text: str, dimensions: dict[tuple[str, str], Dimension]) -> str:
    match = _FILTER.match(str(text).strip())
    if match is None:
        raise BankmartError(
            f"metric {metric}: filter {text!r} does not translate to DAX (one dimension, true or "
            "equal to a string)"
        )
    entity, name, value = match.groups()
    dimension = dimensions.get((entity, name))
    if dimension is None:
        raise BankmartError(f"metric {metric}: no dimension {entity}__{name}")
    target = "TRUE ()" if value is None else _dax_string(value)
    return f"{dimension.table}[{dimension.column}] = {target}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        f"Check that {DAX_PATH} is the rendering of the semantic layer's metrics "
        f"({METRICS_PATH}); with --write, rewrite it."
    )
    parser.add_argument("--write", action="store_true", help=f"rewrite {DAX_PATH}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    text = render(settings.project_dir)
    path = settings.project_dir / DAX_PATH
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        print(f"bankmart measures: {DAX_PATH} matches {METRICS_PATH}")
        return 0
    if args.write:
        path.write_text(text, encoding="utf-8")
        print(f"bankmart measures: rewrote {DAX_PATH}")
        return 0
    print(f"bankmart measures: {DAX_PATH} differs from {METRICS_PATH}; run `bankmart measures --write`")
    return 1
