"""Banks that are not the generator's own (issue 11): each shape builds green through real dbt,
says what it lacks in marts.data_availability, reads its dates right and rejects nothing because
of a bad optional value.

Each shape is a small bank written by `bankmart generate` with shape options (tables and columns
left out, day-first two-digit-year dates, split date and time, date-only transactions, month-first
dates, mostly zero spend), or a generated bank broken afterwards (every transaction bad). One
`bankmart build` per shape, so the module costs a few builds of a 120-customer bank.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import Bank, bank_env, build_in_workshop, run_cli

TRANSACTION_CODES = ("channel", "payment_type", "category", "country_code", "currency", "is_fraud")

SHAPES: dict[str, list[str]] = {
    # The Kaggle "bank customer segmentation" file, mapped by hand: customers and transactions
    # naming the customer, day-first two-digit years, date and an unpadded HHMMSS time apart, no
    # codes, most customers never spending.
    "transactions_only": [
        "--omit-tables", "accounts,merchants,loans,loan_repayments,account_balances",
        "--link-customers", "--date-style", "dmy2", "--split-datetime",
        "--omit-columns", ",".join(
            [f"transactions.{c}" for c in (*TRANSACTION_CODES, "merchant_id")]
        ),
        "--zero-spend-share", "0.7", "--dirty-rate", "0.02",
    ],
    # A holdings-style bank: customers, accounts and balances, no transactions at all.
    "no_transactions": [
        "--omit-tables", "transactions,merchants,loans,loan_repayments",
    ],
    # Month-first dates, transactions with a date and no time, no loans, no merchants table.
    "date_only_month_first": [
        "--omit-tables", "loans,loan_repayments,merchants",
        "--date-style", "mdy", "--date-only",
    ],
    # The smallest bank: one customer, one month.
    "one_customer_one_month": ["--customers", "1", "--months", "1"],
}


def option(args: list[str], name: str, default: str = "") -> str:
    return args[args.index(name) + 1] if name in args else default


def generate_shape(root: Path, args: list[str]) -> Bank:
    """A small bank (120 customers, 3 months unless the shape says otherwise) of this shape."""
    env = bank_env(root)
    sizes = ["--customers", option(args, "--customers", "120"), "--months",
             option(args, "--months", "3"), "--seed", "13"]
    rest = list(args)
    for name in ("--customers", "--months"):
        if name in rest:
            del rest[rest.index(name):rest.index(name) + 2]
    run_cli("generate", *sizes, "--out", str(root / "bank"), *rest, env=env)
    return Bank(root, root / "bank" / "raw", root / "bank" / "ground_truth",
                root / "bankmart.duckdb", root / "serving", env)


@pytest.fixture(scope="module")
def built_shapes(tmp_path_factory: pytest.TempPathFactory, workshop: Path):
    """Each shape generated and built once, on first use."""
    built: dict[str, tuple] = {}

    def build(name: str) -> tuple:
        if name not in built:
            bank = generate_shape(tmp_path_factory.mktemp(name), SHAPES[name])
            proc = build_in_workshop(workshop, bank.raw_dir, bank.duckdb_path, bank.env)
            built[name] = (name, bank, proc, duckdb.connect(str(bank.duckdb_path), read_only=True))
        return built[name]

    yield build
    for *_, con in built.values():
        con.close()


@pytest.fixture(params=list(SHAPES))
def shaped(request: pytest.FixtureRequest, built_shapes) -> tuple:
    return built_shapes(request.param)


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> object:
    return con.execute(sql, list(params)).fetchone()[0]


def availability(con: duckdb.DuckDBPyConnection, object_type: str) -> dict[tuple[str, str | None], bool]:
    rows = con.execute(
        "select table_name, column_name, carries_information from marts.data_availability "
        "where object_type = ?", [object_type]
    ).fetchall()
    return {(table, column): carries for table, column, carries in rows}


@pytest.mark.dbt
def test_every_shape_builds_green_and_says_what_it_lacks(shaped) -> None:
    name, bank, proc, con = shaped
    assert proc.returncode == 0
    absent = one(con, "select list(table_name order by table_name) from marts.data_availability "
                      "where object_type = 'raw_table' and not is_present")
    for table in [t for t in option(SHAPES[name], "--omit-tables").split(",") if t]:
        assert table in absent, (name, table, absent)
        assert f"{table}" in proc.stdout.split("Treated as absent")[1].split("\n")[0]
    # every customer is a customer of the marts, whatever else the bank lacks
    raw_customers = one(con, f"select count(*) from read_parquet('{bank.raw_dir}/customers/*.parquet')")
    assert one(con, "select count(*) from marts.dim_customer") == raw_customers - one(
        con, "select count(*) from quarantine.quarantined_rows where source_table = 'customers'")
    assert one(con, "select count(*) from marts.customer_features") == one(
        con, "select count(*) from marts.dim_customer")
    assert one(con, "select count(*) from marts.customer_features where observation_end_date is null") == 0
    kpis = con.execute("select alert_count, high_risk_alerts, customers from marts.mart_portfolio_kpis").fetchone()
    assert kpis[0] is not None and kpis[1] is not None and kpis[2] == one(
        con, "select count(*) from marts.dim_customer")
    # dim_date spans the bank's data, not centuries
    assert one(con, "select count(*) from marts.dim_date") < 366 * 40


@pytest.mark.dbt
def test_transactions_only_reads_day_first_two_digit_years_and_split_times(built_shapes) -> None:
    name, bank, _, con = built_shapes("transactions_only")
    orders = {(t, c): (order, decided) for t, c, order, decided in con.execute(
        "select table_name, column_name, date_order, decided_by from staging.base_core__date_orders"
    ).fetchall()}
    for key in [("customers", "birth_date"), ("customers", "joined_date"), ("transactions", "transaction_date")]:
        assert orders[key][0] == "dmy" and "first field above 12" in orders[key][1], key
    # two-digit birth years never land after the as-of date; transactions land in the window
    assert one(con, "select count(*) from staging.stg_core__customers where birth_date > current_date") == 0
    assert one(con, "select min(year(transaction_date)) from marts.fct_transactions") >= 2020
    # the unpadded HHMMSS time is kept: clean transactions have their time of day (but for the
    # dirty rows planted as ISO instants, which carry their time in the date column)
    assert one(con, "select count(*) filter (where transaction_at is null) * 1.0 / count(*) "
                    "from marts.fct_transactions") < 0.01
    # no accounts table: transactions are linked by customer, with no account
    assert one(con, "select count(account_key) from marts.fct_transactions") == 0
    raw = one(con, f"select count(*) from read_parquet('{bank.raw_dir}/transactions/**/*.parquet')")
    quarantined = one(con, "select count(*) from quarantine.quarantined_rows where source_table = 'transactions'")
    assert one(con, "select count(*) from marts.fct_transactions") == raw - quarantined > 0
    features = availability(con, "feature")
    for lacking in ("atm_share", "online_share", "cross_border_share", "discretionary_share",
                    "essential_share", "fraud_txn_count", "loan_count", "late_repayment_share"):
        assert features[("customer_features", lacking)] is False, lacking
    for carrying in ("total_spend", "frequency", "night_share", "age"):
        assert features[("customer_features", carrying)] is True, carrying
    columns = availability(con, "raw_column")
    for code in TRANSACTION_CODES:
        assert columns[("transactions", code)] is False, code
    # most customers never spend: they are customers with zero spend, not missing rows
    assert one(con, "select count(*) filter (where total_spend = 0) * 1.0 / count(*) "
                    "from marts.customer_features") > 0.5


@pytest.mark.dbt
def test_a_bad_optional_value_rejects_nothing(built_shapes) -> None:
    """The dirty transactions-only bank plants unparseable birth dates: the customers stay, with
    the date NULL and flagged, and every one of their clean transactions reaches the fact."""
    name, bank, _, con = built_shapes("transactions_only")
    flagged = [row[0] for row in con.execute(
        "select trim(source_row_key) from quarantine.data_quality_flags "
        "where source_table = 'customers' and column_name = 'birth_date'"
    ).fetchall()]
    assert flagged
    kept = one(con, "select count(*) from marts.dim_customer where list_contains(?, customer_id)", flagged)
    assert kept == len(flagged)
    assert one(con, "select count(*) from quarantine.quarantined_rows where source_table = 'transactions' "
                    "and reason_code = 'orphan_customer'") == 0


@pytest.mark.dbt
def test_a_bank_without_transactions_still_has_customers_facts(built_shapes) -> None:
    name, bank, _, con = built_shapes("no_transactions")
    assert one(con, "select count(*) from marts.fct_transactions") == 0
    assert one(con, "select count(*) from marts.fct_account_balances_monthly") > 0
    # tenure from the customer's own dates, not from transactions
    assert one(con, "select count(tenure_months) * 1.0 / count(*) from marts.dim_customer") > 0.9
    assert one(con, "select max(tenure_months) from marts.dim_customer") > 12
    kpis = con.execute("select txn_count, alert_count, active_customers from marts.mart_portfolio_kpis").fetchone()
    assert kpis == (0, 0, 0)
    assert availability(con, "raw_table")[("transactions", None)] is False


@pytest.mark.dbt
def test_month_first_date_only_transactions_have_no_time(built_shapes) -> None:
    name, bank, _, con = built_shapes("date_only_month_first")
    order, decided = con.execute(
        "select date_order, decided_by from staging.base_core__date_orders "
        "where table_name = 'transactions' and column_name = 'transaction_at'"
    ).fetchone()
    assert order == "mdy" and "second field above 12" in decided
    assert one(con, "select count(*) from marts.fct_transactions") > 0
    assert one(con, "select count(transaction_at) + count(hour_of_day) + count(is_night) "
                    "from marts.fct_transactions") == 0
    assert one(con, "select count(night_share) from marts.customer_features") == 0
    assert availability(con, "feature")[("customer_features", "night_share")] is False
    # no merchants table: the merchants transactions name are inferred members, not rejections
    assert one(con, "select count(*) from marts.dim_merchant where is_inferred") > 0
    assert one(con, "select count(*) from marts.fct_transactions as f anti join marts.dim_merchant as m "
                    "using (merchant_key)") == 0
    assert one(con, "select count(*) from quarantine.data_quality_flags where flag_code = 'unknown_merchant'") == 0


@pytest.mark.dbt
def test_every_transaction_quarantined_still_builds(tmp_path: Path, workshop: Path) -> None:
    bank = generate_shape(tmp_path, ["--customers", "60", "--months", "2"])
    for path in (bank.raw_dir / "transactions").rglob("*.parquet"):
        table = pq.read_table(path)
        table = table.set_column(table.schema.get_field_index("amount"), "amount",
                                 pc.multiply(pc.abs(table.column("amount")), -1.0))
        pq.write_table(table, path)
    build_in_workshop(workshop, bank.raw_dir, bank.duckdb_path, bank.env)
    with duckdb.connect(str(bank.duckdb_path), read_only=True) as con:
        assert one(con, "select count(*) from marts.fct_transactions") == 0
        assert one(con, "select count(*) from quarantine.quarantined_rows where source_table = 'transactions'") > 0
        assert one(con, "select count(*) from marts.customer_features") == 60
        assert one(con, "select txn_count from marts.mart_portfolio_kpis") == 0
