"""Each public format's fixture imported with `bankmart import`, built with `bankmart build`
(real dbt, every model and data test), and checked in the marts: row counts, quarantine only
where the data is bad (no cascade), derived values marked, and each data set's known analysis
against an independent computation from the fixture file (pandas / scikit-learn).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from conftest import bank_env, build_in_workshop, run_cli
from test_importers import FIXTURES, import_format


class Imported:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw = root / "raw"
        self.env = bank_env(root)
        self.env["BANKMART_RAW_DIR"] = str(self.raw)
        self.duckdb_path = root / "bankmart.duckdb"

    def con(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.duckdb_path), read_only=True)


def _built(factory: pytest.TempPathFactory, workshop: Path, fmt: str) -> Imported:
    bank = Imported(factory.mktemp(fmt))
    import_format(fmt, bank.raw, bank.env)
    build_in_workshop(workshop, bank.raw, bank.duckdb_path, bank.env)
    return bank


@pytest.fixture(scope="module")
def mitron(tmp_path_factory: pytest.TempPathFactory, workshop: Path) -> Imported:
    return _built(tmp_path_factory, workshop, "mitron")


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory: pytest.TempPathFactory, workshop: Path) -> Imported:
    return _built(tmp_path_factory, workshop, "kaggle-transactions")


@pytest.fixture(scope="module")
def creditcard(tmp_path_factory: pytest.TempPathFactory, workshop: Path) -> Imported:
    return _built(tmp_path_factory, workshop, "creditcard")


@pytest.fixture(scope="module")
def microfinance(tmp_path_factory: pytest.TempPathFactory, workshop: Path) -> Imported:
    return _built(tmp_path_factory, workshop, "microfinance")


@pytest.fixture(scope="module")
def holdings(tmp_path_factory: pytest.TempPathFactory, workshop: Path) -> Imported:
    return _built(tmp_path_factory, workshop, "holdings")


@pytest.fixture()
def con(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    bank: Imported = request.getfixturevalue(request.param)
    connection = bank.con()
    yield connection
    connection.close()


def assert_mapping(got: dict, expected: dict) -> None:
    """Same keys, values equal within float tolerance (compared key by key, whatever the order;
    NULL and NaN both mean "no value")."""
    assert sorted(got) == sorted(expected)
    keys = sorted(got)
    nan = float("nan")
    assert [nan if got[k] is None else got[k] for k in keys] == pytest.approx(
        [nan if expected[k] is None else expected[k] for k in keys], nan_ok=True)


def quarantined(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    rows = con.execute(
        "select source_table, reason_code, count(*) from quarantine.quarantined_rows group by all"
    ).fetchall()
    return {(t, r): n for t, r, n in rows}


def flagged(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], int]:
    rows = con.execute(
        "select table_name, column_name, code, rows from marts.mart_data_quality where outcome = 'flagged'"
    ).fetchall()
    return {(t, c, f): n for t, c, f, n in rows}


def available(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {t for (t,) in con.execute(
        "select table_name from marts.data_availability where object_type = 'raw_table' and is_present"
    ).fetchall()}


# ---------------------------------------------------------------------------------------------
# Mitron: monthly aggregates feed the features; five tiers equal pandas.qcut
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
@pytest.mark.parametrize("con", ["mitron"], indirect=True)
def test_mitron_tiers_equal_qcut_and_utilisation(con: duckdb.DuckDBPyConnection) -> None:
    # only the spend row of a customer dim_customers lacks is quarantined: no cascade
    assert quarantined(con) == {("monthly_spend", "orphan_customer"): 1}
    assert available(con) == {"customers", "monthly_spend"}
    assert con.execute("select count(*), count(distinct customer_id) from marts.fct_monthly_spend").fetchone() == (432, 12)
    assert con.execute(
        "select count(*) from marts.fct_monthly_spend where derived_columns = 'spend_month'").fetchone()[0] == 432

    spends = pd.read_csv(FIXTURES / "mitron_fact_spends.csv")
    customers = pd.read_csv(FIXTURES / "mitron_dim_customers.csv", thousands=",")
    customers.columns = [c.strip() for c in customers.columns]
    spends = spends[spends.customer_id.isin(customers.customer_id)]
    totals = spends.groupby("customer_id")["spend"].sum().sort_index()
    expected = pd.qcut(totals, 5, labels=["Low", "Moderate", "High", "Very High", "Top Spender"])
    tiers = con.execute(
        "select customer_id, tier_name, measure_value from marts.customer_spend_tiers order by customer_id"
    ).df().set_index("customer_id")
    assert tiers["measure_value"].tolist() == pytest.approx(totals.tolist())
    assert tiers["tier_name"].tolist() == expected.astype(str).tolist()

    # income utilisation per occupation: (total spend / 6 / customers) / average income
    merged = customers.set_index("customer_id").join(totals.rename("total"))
    by_occupation = merged.groupby("occupation").apply(
        lambda g: (g["total"].sum() / 6 / len(g)) / g["avg_income"].mean(), include_groups=False)
    mart = dict(con.execute(
        "select group_value, income_utilisation from marts.mart_income_utilisation where group_type = 'occupation'"
    ).fetchall())
    assert_mapping(mart, by_occupation.to_dict())
    groups = {g for (g,) in con.execute(
        "select group_value from marts.mart_income_utilisation where group_type = 'age_group'").fetchall()}
    assert groups == set(customers["age_group"])  # the bank's own age groups, not the warehouse's bands


# ---------------------------------------------------------------------------------------------
# Kaggle transactions: dirty dates judged by staging, RFM + age K-Means, city profiles
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
@pytest.mark.parametrize("con", ["kaggle"], indirect=True)
def test_kaggle_builds_with_only_the_bad_rows_judged(con: duckdb.DuckDBPyConnection) -> None:
    assert quarantined(con) == {
        ("transactions", "duplicate_row"): 1,  # the exact copy of T6
        ("transactions", "non_positive_amount"): 1,  # the 0.0 amount
    }
    # the 1/1/1800 sentinels become NULL birth dates with a flag; nothing else is flagged
    assert flagged(con) == {("customers", "birth_date", "placeholder_date"): 5}
    assert con.execute("select count(*) from marts.dim_customer").fetchone()[0] == 60
    assert con.execute("select count(*) from marts.dim_account where derived_columns = '*'").fetchone()[0] == 60
    assert con.execute("select count(*) from marts.fct_transactions").fetchone()[0] == 120
    # D/M/YY and DD-MM-YYYY in one column, day first: August to October 2016 only
    assert con.execute(
        "select min(transaction_date), max(transaction_date) from marts.fct_transactions"
    ).fetchone() == (pd.Timestamp("2016-08-01").date(), pd.Timestamp("2016-10-30").date()) or con.execute(
        "select min(transaction_date) >= date '2016-08-01' and max(transaction_date) <= date '2016-10-31' "
        "from marts.fct_transactions").fetchone()[0]
    # unpadded HHMMSS times read: every clean transaction has its hour
    assert con.execute("select count(*) from marts.fct_transactions where hour_of_day is null").fetchone()[0] == 0
    # two-digit birth years in the past, never in the future
    assert con.execute("select min(age), max(age) from marts.dim_customer").fetchone()[0] >= 18


@pytest.mark.dbt
@pytest.mark.parametrize("con", ["kaggle"], indirect=True)
def test_kaggle_rfm_kmeans_is_lloyds_kmeans(con: duckdb.DuckDBPyConnection) -> None:
    """The SQL K-Means gives the partition scikit-learn's KMeans reaches from the same start."""
    mart = con.execute(
        "select customer_id, rfm_segment, recency_days, frequency, monetary_total, age "
        "from marts.mart_rfm_segments order by customer_id"
    ).df()
    assert len(mart) == 60 and mart["rfm_segment"].nunique() == 4
    features = mart[["recency_days", "frequency", "monetary_total", "age"]].astype(float)
    scaled = ((features - features.mean()) / features.std(ddof=0)).fillna(0.0).to_numpy()
    order = np.lexsort((mart["customer_id"].to_numpy(), scaled.sum(axis=1)))
    groups = np.empty(len(mart), dtype=int)
    groups[order] = np.arange(len(mart)) * 4 // len(mart)
    start = np.vstack([scaled[groups == g].mean(axis=0) for g in range(4)])
    fitted = KMeans(n_clusters=4, init=start, n_init=1, max_iter=300, tol=0).fit(scaled)
    assert adjusted_rand_score(fitted.labels_, mart["rfm_segment"]) == pytest.approx(1.0)
    cities = con.execute(
        "select count(distinct city), sum(customers), min(share_of_city) from marts.mart_rfm_city_profiles"
    ).fetchone()
    assert cities[0] <= 20 and cities[1] > 0 and cities[2] > 0


# ---------------------------------------------------------------------------------------------
# creditcard.csv: duplicates quarantined, fraud by hour and amount band, classifiers honest
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
@pytest.mark.parametrize("con", ["creditcard"], indirect=True)
def test_creditcard_fraud_profile(con: duckdb.DuckDBPyConnection) -> None:
    assert quarantined(con) == {
        ("transactions", "duplicate_row"): 3,
        ("transactions", "non_positive_amount"): 1,
    }
    frame = pd.read_csv(FIXTURES / "creditcard.csv").drop_duplicates()
    frame = frame[frame.Amount > 0]
    profile = con.execute(
        "select sum(transactions), sum(fraud_transactions), sum(total_amount) from marts.mart_fraud_profile"
    ).fetchone()
    assert profile[0] == len(frame) and profile[1] == frame.Class.sum()
    assert profile[2] == pytest.approx(frame.Amount.sum())
    hours = dict(con.execute(
        "select hour_of_day, sum(transactions) from marts.mart_fraud_profile group by 1").fetchall())
    assert hours == (frame.Time // 3600 % 24).astype(int).value_counts().to_dict()
    assert con.execute("select fraud_rate from marts.mart_portfolio_kpis").fetchone()[0] == pytest.approx(
        frame.Class.mean())
    # the classifiers report what they could do, never a made-up score
    metrics = con.execute("select model, metric, value, note from marts.risk_model_metrics").fetchall()
    assert {m for m, *_ in metrics} >= {"logistic_regression", "random_forest"}
    for _, metric, value, _note in metrics:
        if metric == "roc_auc" and value is not None:
            assert 0.0 <= value <= 1.0


# ---------------------------------------------------------------------------------------------
# Microfinance: average repayment days and the elbow-chosen segments
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
@pytest.mark.parametrize("con", ["microfinance"], indirect=True)
def test_microfinance_repayment_days_and_segments(con: duckdb.DuckDBPyConnection) -> None:
    assert quarantined(con) == {}
    frame = pd.read_csv(FIXTURES / "microfinance_transactions.csv", parse_dates=["txn_date", "repayment_date"])
    expected = (frame.repayment_date - frame.txn_date).dt.days.groupby(frame.customer_id).mean()
    got = dict(con.execute(
        "select cast(customer_id as integer), avg_repayment_days from marts.customer_features").fetchall())
    assert_mapping(got, expected.to_dict())
    assert con.execute("select count(*) from marts.fct_loan_repayments").fetchone()[0] == frame.repayment_date.notna().sum()
    chosen = con.execute("select k from marts.mart_repayment_k_diagnostics where is_chosen").fetchall()
    assert len(chosen) == 1
    segments = con.execute(
        "select count(*), count(distinct repayment_segment), min(k), max(k) from marts.mart_repayment_segments"
    ).fetchone()
    assert segments == (24, chosen[0][0], chosen[0][0], chosen[0][0])
    inertia = [i for (i,) in con.execute("select inertia from marts.mart_repayment_k_diagnostics order by k").fetchall()]
    assert inertia[0] > inertia[-1]


# ---------------------------------------------------------------------------------------------
# Holdings: customers, long holdings, features and the profiles by class
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
@pytest.mark.parametrize("con", ["holdings"], indirect=True)
def test_holdings_features_and_profiles(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.read_csv(FIXTURES / "Banking.csv", encoding="utf-8-sig").drop_duplicates("Client ID")
    reasons = quarantined(con)
    # the reused Client ID: its second row and that row's holdings, nothing else
    assert reasons[("customers", "duplicate_id")] == 1
    assert sum(n for (t, _), n in reasons.items() if t == "customer_holdings") == 9
    assert {t for t, _ in reasons} == {"customers", "customer_holdings"}
    assert con.execute("select count(*) from marts.dim_customer").fetchone()[0] == len(frame)
    features = con.execute("select * from marts.customer_holdings_features order by customer_id").df()
    assert len(features) == len(frame)
    row = frame.set_index("Client ID").loc["IND10037"]
    mine = features.set_index("customer_id").loc["IND10037"]
    assert mine["deposit_balance"] == pytest.approx(row["Bank Deposits"])
    assert mine["current_balance"] == pytest.approx(row["Checking Accounts"])
    assert mine["superannuation_balance"] == pytest.approx(row["Superannuation Savings"])
    assert mine["credit_card_count"] == row["Amount of Credit Cards"]
    assert mine["properties_owned"] == row["Properties Owned"]
    assert str(mine["snapshot_date"])[:10] == "2023-12-31"
    loyalty = dict(con.execute(
        "select group_value, any_value(customers) from marts.mart_holdings_profile "
        "where group_type = 'loyalty_class' group by 1").fetchall())
    assert loyalty == frame["Loyalty Classification"].value_counts().to_dict()
    deposits = dict(con.execute(
        "select group_value, total_balance from marts.mart_holdings_profile "
        "where group_type = 'fee_structure' and product = 'deposit'").fetchall())
    assert_mapping(deposits, frame.groupby("Fee Structure")["Bank Deposits"].sum().to_dict())
    weights = {int(w) for (w,) in con.execute(
        "select group_value from marts.mart_holdings_profile where group_type = 'risk_weighting'").fetchall()}
    assert weights == set(frame["Risk Weighting"])
    # derived values are marked in the marts
    assert con.execute(
        "select count(*) from marts.fct_customer_holdings where derived_columns = 'snapshot_date'"
    ).fetchone()[0] == len(frame) * 9
    assert con.execute(
        "select count(*) from marts.dim_customer where derived_columns like '%relationship_type%'"
    ).fetchone()[0] == len(frame)


# ---------------------------------------------------------------------------------------------
# The dashboard on each imported bank: every page renders, no error, no empty chart
# ---------------------------------------------------------------------------------------------

DASHBOARD_PAGES = ["views/portfolio.py", "views/spend_tiers.py", "views/segments.py", "views/cities.py",
                   "views/risk.py", "views/customer_360.py", "views/analyses.py"]


def _empty_charts(at) -> list[str]:
    import json

    empty = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        traces = spec.get("data", [])
        if not any(t.get(k) for t in traces for k in ("x", "y", "values", "z")):
            empty.append(spec.get("layout", {}).get("title", {}).get("text") or "untitled")
    return empty


@pytest.mark.dbt
@pytest.mark.parametrize("bank", ["mitron", "kaggle", "creditcard", "microfinance", "holdings"])
def test_dashboard_shows_what_each_bank_has(
    bank: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from conftest import PROJECT_DIR

    imported: Imported = request.getfixturevalue(bank)
    run_cli("publish", env=imported.env)
    monkeypatch.setenv("BANKMART_SERVING_DIR", imported.env["BANKMART_SERVING_DIR"])
    monkeypatch.setenv("BANKMART_PROJECT_DIR", str(PROJECT_DIR))
    app = PROJECT_DIR / "src" / "bankmart" / "dashboard" / "app.py"
    sections = {}
    for page in DASHBOARD_PAGES:
        at = AppTest.from_file(str(app), default_timeout=120).run()
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        assert _empty_charts(at) == [], page
        sections[page] = [h.value for h in at.subheader]
    # the analyses page shows the data set's own analysis and what else its data allows (RFM
    # segments wherever there are transactions), nothing it lacks
    expected = {
        "mitron": {"Income utilisation"},
        "kaggle": {"RFM + age segments"},
        "creditcard": {"Fraud by hour and amount", "RFM + age segments"},
        "microfinance": {"Repayment behaviour segments"},
        "holdings": {"Holdings"},
    }[bank]
    assert set(sections["views/analyses.py"]) - {"What this bank delivered"} == expected
