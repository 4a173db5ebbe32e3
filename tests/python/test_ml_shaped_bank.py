"""Analytics that adapt, on a real dbt build of a bank that is not the generator's own (issue 11,
item 5): no accounts, merchants, loans or balances, transactions without channel, payment
type, category, country, currency, fraud label or merchant, most customers never spending, and
only three months of history.

What the marts must say there, and say truly: segments clustered on the few features that carry
information, named and described only by what their members show; spend tiers where zero-spend
customers share the lowest tier and never sit above a spender; no customer shown as Low risk
when no rule could be assessed, an empty alert queue, KPIs and a Risk page that say why.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from bankmart.ml.config import SegmentConfig, model_meta
from bankmart.ml.segments import format_value
from conftest import Bank, bank_env, build_in_workshop, run_cli
from test_dashboard import assert_clean, new_app

SHAPE = (
    "--omit-tables", "accounts,merchants,loans,loan_repayments,account_balances",
    "--link-customers",
    "--omit-columns", "transactions.channel,transactions.payment_type,transactions.category,"
    "transactions.country_code,transactions.currency,transactions.is_fraud,transactions.merchant_id",
    "--zero-spend-share", "0.7",
)
SEGMENTS = SegmentConfig.from_mapping(model_meta("ml_segmentation")["segments"])
# What this bank's data cannot tell: the channel mix, the purchase mix, abroad, borrowing.
LACKING = {
    "card_present_txn_share", "online_txn_share", "atm_withdrawal_txn_share", "transfer_txn_share",
    "instant_payment_txn_share", "cross_border_txn_share", "loans_per_year",
    *(f.name for f in SEGMENTS.features if f.name.endswith("_purchase_share")),
}


@pytest.fixture(scope="module")
def shaped(tmp_path_factory: pytest.TempPathFactory, workshop: Path) -> Bank:
    root = tmp_path_factory.mktemp("shaped_bank")
    env = bank_env(root)
    run_cli("generate", "--customers", "150", "--months", "3", "--seed", "5",
            "--out", str(root / "bank"), *SHAPE, env=env)
    bank = Bank(root=root, raw_dir=root / "bank" / "raw", ground_truth_dir=root / "bank" / "ground_truth",
                duckdb_path=root / "bankmart.duckdb", serving_dir=root / "serving", env=env)
    build_in_workshop(workshop, bank.raw_dir, bank.duckdb_path, env)
    return bank


@pytest.fixture(scope="module")
def con(shaped: Bank):
    connection = duckdb.connect(str(shaped.duckdb_path), read_only=True)
    yield connection
    connection.close()


@pytest.mark.dbt
def test_segments_use_only_the_features_this_bank_carries(con) -> None:
    carried = {r[0] for r in con.execute(
        "select column_name from marts.data_availability "
        "where object_type = 'feature' and carries_information").fetchall()}
    assert not carried & LACKING  # the bank really lacks them
    used = set(con.execute("select any_value(features_used) from marts.segment_k_diagnostics").fetchone()[0].split(";"))
    assert used and used <= carried and not used & LACKING
    profiles = con.execute("select segment_name, description from marts.segment_profiles").df()
    # no archetype whose conditions need a missing feature, no feature the bank lacks in words
    needs_missing = {a.name for a in SEGMENTS.archetypes if {c.feature for c in a.conditions} & LACKING}
    assert not set(profiles["segment_name"]) & needs_missing
    labels = [f.label for f in SEGMENTS.features if f.name in LACKING]
    for row in profiles.itertuples():
        assert not any(label in row.description for label in labels), row.description
        assert not re.search(r"Segment \d", row.segment_name) and "-0.0" not in row.description


@pytest.mark.dbt
def test_segment_descriptions_are_true_of_their_members(con) -> None:
    """Each number a description states is the members' mean and the population's mean of the
    feature, in the direction the words say; recomputed here in SQL from the marts."""
    by_label = {f.label: f for f in SEGMENTS.features}
    profiles = con.execute("select segment_id, segment_name, description from marts.segment_profiles").df()
    pattern = re.compile(r"(High|high|Low|low) (.+?): ([^ ]+) \(all customers ([^)]+)\)")
    stated = 0
    for row in profiles.itertuples():
        for direction, label, value, overall in pattern.findall(row.description):
            feature = by_label[label]
            member_mean, population_mean = con.execute(
                f"""
                select
                    avg(f.{feature.name}) filter (where s.segment_id = ?),
                    avg(f.{feature.name})
                from marts.customer_features as f
                join marts.customer_segments as s using (customer_id)
                """,
                [row.segment_id],
            ).fetchone()
            assert value == format_value(member_mean, feature.format)
            assert overall == format_value(population_mean, feature.format)
            assert (member_mean > population_mean) == (direction.lower() == "high")
            stated += 1
    assert stated >= len(profiles) - 1  # at most one segment without a clear difference


@pytest.mark.dbt
def test_zero_spend_customers_share_the_lowest_tier(con) -> None:
    tiers = con.execute("select measure_value, tier_rank from marts.customer_spend_tiers").df()
    values, ranks = tiers["measure_value"].to_numpy(), tiers["tier_rank"].to_numpy()
    assert (values == 0).mean() > 0.5  # most customers never spend: qcut refuses this bank
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(values, 5, labels=False)
    assert set(ranks[values == 0]) == {1}
    assert ranks[values == 0].max() < ranks[values > 0].min()
    assert tiers.groupby("measure_value")["tier_rank"].nunique().eq(1).all()
    # the published edges reproduce every tier: the lowest tier whose upper edge holds the value
    thresholds = con.execute(
        "select tier_rank, upper_edge, customers, method from marts.spend_tier_thresholds order by tier_rank").df()
    assert set(thresholds["method"]) == {"lowest_tier"}
    by_rule = np.minimum(np.searchsorted(thresholds["upper_edge"].to_numpy(), values, side="left") + 1, 5)
    assert np.array_equal(by_rule, ranks)
    assert thresholds["customers"].sum() == len(tiers) and (thresholds["customers"] == 0).any()


@pytest.mark.dbt
def test_no_customer_is_low_risk_without_an_assessable_rule(con) -> None:
    scores = con.execute(
        "select risk_tier, risk_score, rules_assessed, rules_total, rules_not_assessed from marts.customer_risk_scores").df()
    assert scores["risk_tier"].eq("Not assessed").all() and scores["risk_score"].isna().all()
    assert scores["rules_assessed"].eq(0).all()
    codes = con.execute("select list(reason_code order by reason_code) from marts.risk_rules").fetchone()[0]
    assert sorted(scores["rules_not_assessed"].iloc[0].split(";")) == codes and len(codes) == scores["rules_total"].iloc[0]
    assert con.execute("select count(*) from marts.risk_rules where is_assessable or customers_assessable > 0").fetchone()[0] == 0
    assert con.execute("select count(*) from marts.risk_alerts").fetchone()[0] == 0
    kpis = con.execute(
        "select alert_count, high_risk_alerts, risk_assessed_customers, customers from marts.mart_portfolio_kpis").fetchone()
    assert kpis == (0, 0, 0, 150)


@pytest.mark.dbt
def test_risk_page_says_nobody_could_be_assessed(shaped: Bank, monkeypatch: pytest.MonkeyPatch) -> None:
    run_cli("publish", env=shaped.env)
    at = new_app(shaped.serving_dir, monkeypatch).run()
    assert_clean(at)
    at.switch_page("views/risk.py").run()
    assert_clean(at)
    notes = " ".join(i.value for i in at.info)
    assert "no customer could be assessed on any rule" in notes
    assert all(code in notes for code in ("FRAUD_HISTORY", "LATE_REPAYMENT", "SPEND_SPIKE", "CASH_OUT"))
    assert not [d for d in at.dataframe if "alert_rank" in d.value.columns]  # no empty queue table
    assert at.get("plotly_chart")  # the tier chart, all "Not assessed"
    at.switch_page("views/portfolio.py").run()
    assert_clean(at)
    assert Path(shaped.serving_dir / "bankmart.duckdb").is_file()
