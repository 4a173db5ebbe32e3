"""The dashboard under Streamlit's AppTest: every page against a small published bank, the
filters against numbers computed straight from the serving file, and the no-data cases.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from bankmart.dashboard import data, queries
from conftest import PROJECT_DIR, Bank, run_cli
from test_publish import env_for, record_build

APP = PROJECT_DIR / "src" / "bankmart" / "dashboard" / "app.py"

# page script -> (title, marts without which the page shows a "not built yet" note)
PAGES: dict[str, tuple[str, list[str]]] = {
    "views/portfolio.py": ("Portfolio", []),
    "views/spend_tiers.py": ("Spend tiers", [queries.TIERS]),
    "views/segments.py": ("Segments", [queries.SEGMENTS, queries.SEGMENT_PROFILES]),
    "views/cities.py": ("Cities", [queries.SEGMENTS]),
    "views/risk.py": ("Risk", [queries.RISK_SCORES]),
    "views/customer_360.py": ("Customer 360", []),
    "views/analyses.py": ("Data set analyses", []),
}


@pytest.fixture(scope="module")
def published(built_bank: Bank) -> Path:
    """The small bank's serving folder after a real `bankmart publish`."""
    run_cli("publish", env=built_bank.env)
    return built_bank.serving_dir


def new_app(serving_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("BANKMART_SERVING_DIR", str(serving_dir))
    monkeypatch.setenv("BANKMART_PROJECT_DIR", str(PROJECT_DIR))
    return AppTest.from_file(str(APP), default_timeout=120)


@pytest.fixture()
def app(published: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return new_app(published, monkeypatch).run()


@pytest.fixture()
def serving(published: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The serving file, read directly: the reference the dashboard's numbers are checked against."""
    con = duckdb.connect(str(published / "bankmart.duckdb"), read_only=True)
    yield con
    con.close()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, f"metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def served_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {f"{s}.{t}" for s, t in con.execute(
        "select schema_name, table_name from duckdb_tables()").fetchall()}


# ---------------------------------------------------------------------------------------------
# Every page
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(
    app: AppTest, serving: duckdb.DuckDBPyConnection, page: str
) -> None:
    title, needs = PAGES[page]
    app.switch_page(page).run()
    assert_clean(app)
    assert [t.value for t in app.title] == [title]
    missing = [m for m in needs if m not in served_tables(serving)]
    notes = " ".join(i.value for i in app.info)
    if missing:
        # A mart not built yet: a clear note naming it, nothing else of the page's body.
        assert "not built yet" in notes and missing[0] in notes, notes
    else:
        assert app.get("plotly_chart") or app.metric, f"{page} shows no chart and no metric"


# ---------------------------------------------------------------------------------------------
# Numbers and filters, checked against the serving file
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
def test_portfolio_numbers_match_the_serving_file(
    app: AppTest, serving: duckdb.DuckDBPyConnection
) -> None:
    assert_clean(app)
    customers, txns, active = serving.execute(
        "select (select count(*) from marts.dim_customer), count(*), count(distinct customer_key) "
        "from marts.fct_transactions"
    ).fetchone()
    assert metric(app, "Customers") == f"{customers:,}"
    assert metric(app, "Transactions") == f"{txns:,}"
    assert metric(app, "Active customers") == f"{active:,}"


@pytest.mark.dbt
def test_unfiltered_kpis_equal_the_portfolio_mart(
    published: Path, serving: duckdb.DuckDBPyConnection
) -> None:
    """The dashboard computes its cards itself (so they can be filtered); unfiltered they must
    agree with marts.mart_portfolio_kpis, which the marts compute their own way."""
    if "marts.mart_portfolio_kpis" not in served_tables(serving):
        pytest.skip("marts.mart_portfolio_kpis is not built in this checkout yet")
    mart = serving.execute("select * from marts.mart_portfolio_kpis").df().iloc[0]
    with queries.open_serving(published / "bankmart.duckdb") as con:
        kpis = queries.portfolio_kpis(con, queries.available_tables(con), queries.Filters())
    for name in ("customers", "customers_observed", "active_customers", "txn_count", "alert_count"):
        assert kpis[name] == mart[name], name
    for name in ("total_spend", "avg_spend_per_customer", "income_utilisation", "fraud_rate"):
        assert kpis[name] == pytest.approx(mart[name], rel=1e-9), name


@pytest.mark.dbt
def test_city_and_month_filters_narrow_the_portfolio(
    app: AppTest, serving: duckdb.DuckDBPyConnection
) -> None:
    city, city_customers = serving.execute(
        "select city, count(*) from marts.dim_customer group by city order by 2 desc, 1 limit 1"
    ).fetchone()
    app.multiselect(key=data.CITY_KEY).set_value([city]).run()
    assert_clean(app)
    assert metric(app, "Customers") == f"{city_customers:,}"

    month, month_txns = serving.execute(
        "select transaction_month, count(*) from marts.fct_transactions as f "
        "join marts.dim_customer as c using (customer_key) where c.city = ? "
        "group by 1 order by 1 desc limit 1",
        [city],
    ).fetchone()
    app.select_slider(key=data.MONTH_KEY).set_range(month, month).run()
    assert_clean(app)
    assert metric(app, "Transactions") == f"{month_txns:,}"
    # The filters persist when the user moves to another page and back.
    app.switch_page("views/risk.py").run()
    app.switch_page("views/portfolio.py").run()
    assert metric(app, "Customers") == f"{city_customers:,}"


@pytest.mark.dbt
def test_customer_360_finds_a_customer_and_shows_their_spend(
    app: AppTest, serving: duckdb.DuckDBPyConnection
) -> None:
    customer_id, spend_months = serving.execute(
        "select customer_id, count(distinct transaction_month) from marts.fct_transactions "
        "join marts.dim_customer using (customer_key) group by 1 order by 2 desc, 1 limit 1"
    ).fetchone()
    app.switch_page("views/customer_360.py").run()
    app.text_input(key="customer_search").input(customer_id[:-1]).run()
    assert_clean(app)
    options = app.selectbox(key="customer_pick").options
    assert customer_id in options and all(o.lower().startswith(customer_id[:-1].lower())
                                          for o in options)
    app.selectbox(key="customer_pick").set_value(customer_id).run()
    assert_clean(app)
    assert [h.value for h in app.header] == [customer_id]
    assert len(app.get("plotly_chart")) == 1 and spend_months > 0

    app.text_input(key="customer_search").input("no-such-customer").run()
    assert_clean(app)
    assert any("no-such-customer" in w.value for w in app.warning)


@pytest.mark.dbt
def test_risk_alert_queue_filters_and_downloads(
    app: AppTest, serving: duckdb.DuckDBPyConnection
) -> None:
    if queries.RISK_ALERTS not in served_tables(serving):
        pytest.skip("marts.risk_alerts is not built in this checkout yet")
    app.switch_page("views/risk.py").run()
    assert_clean(app)
    high = serving.execute(
        "select count(*) from marts.risk_alerts where risk_tier = 'High'").fetchone()[0]
    app.multiselect(key="alert_tiers").set_value(["High"]).run()
    assert_clean(app)
    (queue,) = [d.value for d in app.dataframe if "alert_rank" in d.value.columns]
    assert len(queue) == min(high, 500)
    assert set(queue["risk_tier"]) <= {"High"}
    assert queue["reason_details"].str.len().gt(0).all()  # what each signal shows
    assert app.get("download_button")


# ---------------------------------------------------------------------------------------------
# Without data
# ---------------------------------------------------------------------------------------------


def test_without_a_serving_file_every_page_says_how_to_build_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = new_app(tmp_path / "nothing-here", monkeypatch).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        text = " ".join(w.value for w in at.warning) + " ".join(m.value for m in at.markdown)
        assert "make run" in text and str(tmp_path / "nothing-here") in text


def _star_schema_only(root: Path) -> Path:
    """A warehouse with just the star schema (no tiers, segments or risk), published."""
    build = root / "bankmart.duckdb"
    con = duckdb.connect(str(build))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_customer as select i + 1 as customer_key, 'C' || i as customer_id, 30 + i as age, "
        "'30-39' as age_band, 'female' as gender, 'salaried' as occupation, "
        "['Pune', 'Jaipur'][1 + i % 2] as city, 'West' as region, "
        "50000::decimal(18, 2) as monthly_income, 'mid' as income_band, 12 as tenure_months, "
        "'Gold' as loyalty_class, 2 as product_count from range(20) t(i)"
    )
    con.execute(
        "create table marts.fct_transactions as select 'T' || i as transaction_id, "
        "1 + i % 20 as customer_key, date '2025-01-01' + to_months(i % 3) as "
        "transaction_month, (100 + i)::decimal(18, 2) as amount, 'food' as category, "
        "'debit_card' as payment_type, 'online' as channel, false as is_fraud, true as has_fraud_label "
        "from range(300) t(i)"
    )
    con.close()
    record_build(build)
    run_cli("publish", env=env_for(root))
    return root / "serving"


def test_pages_whose_marts_are_missing_say_not_built_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = new_app(_star_schema_only(tmp_path), monkeypatch).run()
    assert_clean(at)
    assert metric(at, "Customers") == "20" and metric(at, "Transactions") == "300"
    assert metric(at, "Open alerts") == "–"
    for page, (_, needs) in PAGES.items():
        at.switch_page(page).run()
        assert_clean(at)
        notes = " ".join(i.value for i in at.info)
        for mart in needs:
            assert "not built yet" in notes and mart in notes, (page, notes)


# ---------------------------------------------------------------------------------------------
# The queries on their own
# ---------------------------------------------------------------------------------------------


def test_filter_values_travel_as_parameters(tmp_path: Path) -> None:
    serving = _star_schema_only(tmp_path) / "bankmart.duckdb"
    hostile = "Pune') or true or ('x' = 'x"
    with queries.open_serving(serving) as con:
        tables = queries.available_tables(con)
        everyone = queries.portfolio_kpis(con, tables, queries.Filters())
        pune = queries.portfolio_kpis(con, tables, queries.Filters(cities=("Pune",)))
        injected = queries.portfolio_kpis(con, tables, queries.Filters(cities=(hostile,)))
        assert queries.search_customers(con, "C1' or '1'='1") == []
    assert everyone["customers"] == 20 and pune["customers"] == 10
    assert injected["customers"] == 0 and injected["txn_count"] is None


def test_open_serving_sees_a_new_publish_while_an_old_connection_is_open(tmp_path: Path) -> None:
    """DuckDB caches one database per path in a process; the dashboard must not get stuck on it."""
    serving = _star_schema_only(tmp_path) / "bankmart.duckdb"
    held = duckdb.connect(str(serving), read_only=True)
    try:
        con = duckdb.connect(str(tmp_path / "bankmart.duckdb"))
        con.execute("insert into marts.dim_customer by name select 'NEW' as customer_id")
        con.close()
        record_build(tmp_path / "bankmart.duckdb")
        run_cli("publish", env=env_for(tmp_path))
        with queries.open_serving(serving) as fresh:
            assert fresh.execute("select count(*) from marts.dim_customer").fetchone()[0] == 21
        assert held.execute("select count(*) from marts.dim_customer").fetchone()[0] == 20
    finally:
        held.close()


# ---------------------------------------------------------------------------------------------
# dbt exposures name what the consumers actually read
# ---------------------------------------------------------------------------------------------


def _exposure_refs() -> dict[str, set[str]]:
    spec = yaml.safe_load((PROJECT_DIR / "models" / "exposures.yml").read_text(encoding="utf-8"))
    return {
        exposure["name"]: {re.fullmatch(r"ref\('(\w+)'\)", d).group(1)
                           for d in exposure["depends_on"]}
        for exposure in spec["exposures"]
    }


def test_dashboard_exposure_lists_the_marts_the_queries_read() -> None:
    source = (PROJECT_DIR / "src" / "bankmart" / "dashboard" / "queries.py").read_text()
    read = set(re.findall(r'^\w+ = "marts\.(\w+)"$', source, flags=re.MULTILINE))
    assert read and _exposure_refs()["bankmart_dashboard"] == read


def test_powerbi_exposure_lists_every_table_of_the_powerbi_model() -> None:
    spec = json.loads((PROJECT_DIR / "bi" / "powerbi" / "relationships.json").read_text())
    tables = {r[side] for r in spec["relationships"] for side in ("from_table", "to_table")}
    tables |= set(spec["standalone_tables"])
    assert _exposure_refs()["powerbi_customer_analytics"] == tables


@pytest.mark.dbt
def test_monthly_mart_and_fact_paths_agree(published: Path) -> None:
    """The portfolio reads customer_month_kpis (the semantic layer's base); aggregating the fact
    table, as it does without that mart, must agree."""
    filters = [queries.Filters()]
    with queries.open_serving(published / "bankmart.duckdb") as con:
        tables = queries.available_tables(con)
        if queries.KPI_MONTHS not in tables:
            pytest.skip("marts.customer_month_kpis is not built in this checkout yet")
        city, month = con.execute(
            "select c.city, max(f.transaction_month) from marts.fct_transactions as f "
            "join marts.dim_customer as c using (customer_key) group by 1 order by count(*) desc "
            "limit 1"
        ).fetchone()
        filters.append(queries.Filters(cities=(city,), month_from=month, month_to=month))
        facts_only = tables - {queries.MONTHLY_FEATURES, queries.KPI_MONTHS}
        for f in filters:
            fast = queries.portfolio_kpis(con, tables, f)
            slow = queries.portfolio_kpis(con, facts_only, f)
            for name in ("customers", "active_customers", "txn_count", "alert_count"):
                assert fast[name] == slow[name], (f, name)
            for name in ("total_spend", "fraud_rate"):
                assert fast[name] == pytest.approx(slow[name], rel=1e-9), (f, name)
            fast_trend = queries.monthly_trend(con, tables, f)
            slow_trend = queries.monthly_trend(con, facts_only, f)
            assert list(fast_trend["txn_count"]) == list(slow_trend["txn_count"])
            assert list(fast_trend["active_customers"]) == list(slow_trend["active_customers"])
            fast_categories = queries.spend_breakdown(con, tables, f, "category")
            slow_categories = queries.spend_breakdown(con, facts_only, f, "category")
            fast_by = dict(zip(fast_categories["category"], fast_categories["total_spend"],
                               strict=True))
            for category, spend in zip(slow_categories["category"],
                                       slow_categories["total_spend"], strict=True):
                assert fast_by.get(category) == pytest.approx(spend), (f, category)


def test_stopping_bankmart_dashboard_stops_its_streamlit_server(tmp_path: Path) -> None:
    """A supervisor's SIGTERM to `bankmart dashboard` must not leave Streamlit serving alone."""
    import signal
    import subprocess
    import time

    import psutil

    from conftest import BIN, bank_env

    with socket_port() as port:
        proc = subprocess.Popen([str(BIN / "bankmart"), "dashboard", "--port", str(port)],
                                env=bank_env(tmp_path), cwd=PROJECT_DIR,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 30
        while not server and time.monotonic() < deadline:
            server = [p for p in psutil.Process(proc.pid).children(recursive=True)
                      if "streamlit" in " ".join(p.cmdline())]
            time.sleep(0.2)
        assert server, "bankmart dashboard did not start a Streamlit server"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        _, alive = psutil.wait_procs(server, timeout=20)
        assert not alive, f"Streamlit still running after bankmart dashboard stopped: {alive}"
    finally:
        for process in [*server, psutil.Process(proc.pid)] if proc.poll() is None else server:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


@contextlib.contextmanager
def socket_port() -> Iterator[int]:
    """A free TCP port on localhost."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port


# ---------------------------------------------------------------------------------------------
# Dates pandas cannot hold
# ---------------------------------------------------------------------------------------------


def _plant_extreme_dates(serving_file: Path) -> str:
    """Dirty dates a mart may carry (valid DuckDB dates outside pandas' nanosecond timestamps,
    1677..2262) into one customer's rows; returns that customer."""
    con = duckdb.connect(str(serving_file))
    try:
        customer_id = con.execute(
            "select customer_id from marts.fct_transactions join marts.dim_customer using (customer_key) "
            "group by 1 having count(*) > 2 order by 1 limit 1"
        ).fetchone()[0]
        ids = [r[0] for r in con.execute(
            "select transaction_id from marts.fct_transactions join marts.dim_customer "
            "using (customer_key) where customer_id = ? order by 1 limit 2", [customer_id]).fetchall()]
        for transaction_id, day in zip(ids, ("0001-01-01", "9999-12-31"), strict=True):
            con.execute(
                "update marts.fct_transactions set transaction_at = cast($day as timestamp), "
                "transaction_date = cast($day as date), "
                "transaction_month = date_trunc('month', cast($day as date)) "
                "where transaction_id = $id", {"day": day, "id": transaction_id})
        months = con.execute(
            "select month_start_date from marts.customer_monthly_features "
            "where customer_id = ? order by 1 limit 2", [customer_id]).fetchall()
        for (month,), day in zip(months, ("0001-01-01", "9999-12-01"), strict=True):
            con.execute(
                "update marts.customer_monthly_features set month_start_date = cast($day as date), "
                "last_transaction_date = cast($day as date) "
                "where customer_id = $customer and month_start_date = $month",
                {"day": day, "customer": customer_id, "month": month})
            # The semantic layer's base is served as a table: the same months move there too.
            con.execute(
                "update marts.customer_month_kpis set month_start_date = cast($day as date) "
                "where customer_id = $customer and month_start_date = $month",
                {"day": day, "customer": customer_id, "month": month})
        for day in ("0001-01-01", "9999-12-31"):
            con.execute(
                "insert into marts.dim_date by name select * replace (cast($day as date) as "
                "date_day, 0 as date_key) from marts.dim_date limit 1", {"day": day})
        con.execute("update marts.dim_customer set joined_date = date '0001-01-01' "
                    "where customer_id = ?", [customer_id])
        con.execute("update marts.customer_features set observation_end_date = "
                    "date '9999-12-31' where customer_id = ?", [customer_id])
        con.execute("update marts.mart_portfolio_kpis set first_month = date '0001-01-01', "
                    "last_month = date '9999-12-01'")
    finally:
        con.close()
    return customer_id


@pytest.mark.dbt
def test_every_page_copes_with_dates_pandas_cannot_hold(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Portfolio page crashed on a 0001-01-01 in the marts (`Cannot cast 0001-01-01
    00:00:00 to unit='ns' without overflow`)."""
    serving = tmp_path / "serving"
    shutil.copytree(published, serving)
    customer_id = _plant_extreme_dates(serving / "bankmart.duckdb")

    at = new_app(serving, monkeypatch).run()
    assert_clean(at)
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
    # The month filter offers the far months, and choosing one shows its transaction.
    at.switch_page("views/portfolio.py").run()
    options = at.select_slider(key=data.MONTH_KEY).options
    assert options[0].startswith("Jan 0001") or options[0].startswith("Jan 1"), options[:3]
    with duckdb.connect(str(serving / "bankmart.duckdb"), read_only=True) as con:
        expected = dict(con.execute(
            "select month_start_date, sum(txn_count) from marts.customer_monthly_features "
            "where year(month_start_date) in (1, 9999) group by 1").fetchall())
    assert set(expected) == {date(1, 1, 1), date(9999, 12, 1)}
    for month, txns in expected.items():
        at.select_slider(key=data.MONTH_KEY).set_range(month, month).run()
        assert_clean(at)
        assert metric(at, "Transactions") == f"{txns:,}"
    # The customer whose rows carry them.
    at.switch_page("views/customer_360.py").run()
    at.text_input(key="customer_search").input(customer_id).run()
    assert_clean(at)
    assert [h.value for h in at.header] == [customer_id]
    assert len(at.get("plotly_chart")) == 1
