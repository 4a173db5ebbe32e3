"""The semantic layer: each portfolio KPI defined once, and everyone computing it the same way.

The metrics live in models/marts/semantic/_metrics.yml (MetricFlow). These tests run real
`mf query` commands on the small bank's warehouse and compare every figure with the marts
(mart_portfolio_kpis, mart_portfolio_kpis_monthly) and with the dashboard's own queries under
the same slices (segment, tier, city, month); bi/powerbi/measures.dax must be the rendering of
the metrics (bankmart.measures), so Power BI runs the same definitions.
"""

from __future__ import annotations

import itertools
import math
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bankmart.dashboard import queries
from bankmart.errors import BankmartError
from bankmart.measures import DAX_PATH, METRICS_PATH, SEMANTIC_MODELS_PATH, render
from conftest import BIN, PROJECT_DIR, Bank, run_cli

# Metric -> the key of the same figure in queries.portfolio_kpis().
DASHBOARD_KPIS = {
    "customers": "customers",
    "customers_observed": "customers_observed",
    "active_customers": "active_customers",
    "spend": "total_spend",
    "transactions": "txn_count",
    "spend_per_customer": "avg_spend_per_customer",
    "income_utilisation": "income_utilisation",
    "fraud_rate": "fraud_rate",
    "alerts": "alert_count",
}
# Metric -> column of marts.mart_portfolio_kpis.
MART_KPIS = DASHBOARD_KPIS | {"fraud_transactions": "fraud_txn_count",
                              "high_risk_alerts": "high_risk_alerts"}
# Metric -> column of marts.mart_portfolio_kpis_monthly.
MONTHLY_KPIS = {
    "customers_observed": "customers",
    "active_customers": "active_customers",
    "spend": "total_spend",
    "transactions": "txn_count",
    "income_utilisation": "income_utilisation",
    "fraud_transactions": "fraud_txn_count",
    "fraud_rate": "fraud_rate",
}
# Metrics of the customer-months: a month filter narrows them the same way everywhere.
MONTH_METRICS = ["customers_observed", "active_customers", "spend", "transactions",
                 "spend_per_customer", "income_utilisation", "fraud_rate"]

Query = Callable[..., pd.DataFrame]


def same(a: object, b: object, what: str) -> None:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    assert missing_a == missing_b, f"{what}: {a!r} != {b!r}"
    if not missing_a:
        assert float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-9), what


# ---------------------------------------------------------------------------------------------
# Power BI: measures.dax is the metrics' rendering
# ---------------------------------------------------------------------------------------------


def test_powerbi_measures_are_generated_from_the_metrics() -> None:
    assert (PROJECT_DIR / DAX_PATH).read_text(encoding="utf-8") == render(PROJECT_DIR), (
        "bi/powerbi/measures.dax differs from the metrics: run `bankmart measures --write`"
    )


def test_measures_follow_a_changed_metric(tmp_path: Path) -> None:
    """The rendering reads the definitions: change one and the DAX changes with it; a filter
    that does not translate is refused by name, not guessed."""
    for relative in (SEMANTIC_MODELS_PATH, METRICS_PATH):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text((PROJECT_DIR / relative).read_text())
    metrics = tmp_path / METRICS_PATH
    metrics.write_text(metrics.read_text().replace("= 'High'", "= 'Medium'"))
    assert 'risk_alerts[risk_tier] = "Medium"' in render(tmp_path)
    metrics.write_text(metrics.read_text().replace(
        "{{ Dimension('alert__risk_tier') }} = 'Medium'", "{{ Dimension('alert__risk_tier') }} > 1"))
    with pytest.raises(BankmartError, match="high_risk_alerts"):
        render(tmp_path)


# ---------------------------------------------------------------------------------------------
# MetricFlow against the marts and the dashboard
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mf_query(built_bank: Bank, tmp_path_factory: pytest.TempPathFactory) -> Query:
    """`mf query` on the small bank. MetricFlow reads <project>/target/semantic_manifest.json,
    so it runs in a folder that links the project and the bank's own target/."""
    root = tmp_path_factory.mktemp("mf")
    project = root / "project"
    project.mkdir()
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in {"target", "logs", ".venv", ".git", "data"}:
            (project / entry.name).symlink_to(entry)
    (project / "target").symlink_to(built_bank.root / "target")
    counter = itertools.count()

    def query(metrics: list[str], group_by: list[str] | None = None,
              where: str | None = None) -> pd.DataFrame:
        out = root / f"query_{next(counter)}.csv"
        command = [str(BIN / "mf"), "query", "--metrics", ",".join(metrics), "--csv", str(out)]
        if group_by:
            command += ["--group-by", ",".join(group_by)]
        if where:
            command += ["--where", where]
        proc = subprocess.run(command, cwd=project, env=built_bank.env, capture_output=True,
                              text=True)
        assert proc.returncode == 0 and out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
        return pd.read_csv(out)

    return query


@pytest.fixture(scope="module")
def con(built_bank: Bank, tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The marts as the dashboard reads them: a real `bankmart publish` of the small bank into
    a folder of this module's own (and `mf`, which opens the build file for writing through
    dbt, is never locked out by the dashboard's connection)."""
    serving = tmp_path_factory.mktemp("serving")
    run_cli("publish", env=built_bank.env | {"BANKMART_SERVING_DIR": str(serving)})
    with queries.open_serving(serving / "bankmart.duckdb") as connection:
        yield connection


def test_portfolio_metrics_equal_the_mart_and_the_dashboard(
    mf_query: Query, con: duckdb.DuckDBPyConnection
) -> None:
    metrics = list(MART_KPIS)
    answer = mf_query(metrics).iloc[0]
    mart = con.execute("select * from marts.mart_portfolio_kpis").df().iloc[0]
    dashboard = queries.portfolio_kpis(con, queries.available_tables(con), queries.Filters())
    assert answer["spend"] > 0 and answer["alerts"] > 0  # the small bank has both
    for metric, column in MART_KPIS.items():
        same(answer[metric], mart[column], f"mart_portfolio_kpis.{column}")
    for metric, key in DASHBOARD_KPIS.items():
        same(answer[metric], dashboard[key], f"dashboard {key}")


def test_monthly_metrics_equal_the_monthly_mart_and_the_dashboard_trend(
    mf_query: Query, con: duckdb.DuckDBPyConnection
) -> None:
    answer = mf_query(list(MONTHLY_KPIS), ["metric_time__month"])
    answer["month"] = pd.to_datetime(answer["metric_time__month"]).dt.date
    mart = con.execute("select * from marts.mart_portfolio_kpis_monthly").df().add_prefix("mart_")
    mart["month"] = pd.to_datetime(mart["mart_month_start_date"]).dt.date
    trend = queries.monthly_trend(con, queries.available_tables(con), queries.Filters())
    trend = trend.add_prefix("trend_")
    trend["month"] = pd.to_datetime(trend["trend_month"]).dt.date
    joined = answer.merge(mart, on="month").merge(trend, on="month")
    assert len(answer) == len(mart) == len(trend) == len(joined) > 1
    for row in joined.to_dict("records"):
        for metric, column in MONTHLY_KPIS.items():
            same(row[metric], row[f"mart_{column}"], f"{row['month']} {metric}")
        same(row["spend"], row["trend_total_spend"], f"{row['month']} trend spend")
        same(row["active_customers"], row["trend_active_customers"], f"{row['month']} trend active")
        same(row["transactions"], row["trend_txn_count"], f"{row['month']} trend transactions")


@pytest.mark.parametrize(
    ("dimension", "filter_field"),
    [("customer__segment_name", "segments"), ("customer__tier_name", "tiers"),
     ("customer__city", "cities")],
)
def test_sliced_metrics_equal_the_dashboard_filtered_the_same_way(
    mf_query: Query, con: duckdb.DuckDBPyConnection, dimension: str, filter_field: str
) -> None:
    answer = mf_query(list(DASHBOARD_KPIS), [dimension])
    tables = queries.available_tables(con)
    assert len(answer) > 1
    for row in answer.to_dict("records"):
        value = row[dimension]
        if not isinstance(value, str):  # customers without a segment/tier/city: no filter for it
            continue
        dashboard = queries.portfolio_kpis(con, tables, queries.Filters(**{filter_field: (value,)}))
        for metric, key in DASHBOARD_KPIS.items():
            same(row[metric], dashboard[key], f"{dimension}={value}: {metric}")


def test_a_month_filter_narrows_the_metrics_as_it_narrows_the_dashboard(
    mf_query: Query, con: duckdb.DuckDBPyConnection
) -> None:
    month = con.execute(
        "select month_start_date from marts.mart_portfolio_kpis_monthly "
        "order by month_start_date limit 1 offset 1"
    ).fetchone()[0]
    assert isinstance(month, date)
    where = f"{{{{ TimeDimension('metric_time', 'month') }}}} = '{month:%Y-%m-%d}'"
    answer = mf_query(MONTH_METRICS, where=where).iloc[0]
    dashboard = queries.portfolio_kpis(
        con, queries.available_tables(con), queries.Filters(month_from=month, month_to=month))
    for metric in MONTH_METRICS:
        same(answer[metric], dashboard[DASHBOARD_KPIS[metric]], f"{month} {metric}")
