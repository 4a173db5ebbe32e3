"""The synthetic bank generator: determinism, schema, layout, realism and planted dirty rows.

Most banks here are generated in-process (fast, small); the dirty bank is conftest's
`small_bank`, written by the real `bankmart generate` command. Every check reads the files
back with DuckDB or pyarrow, the way dbt and the ML code will.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from bankmart.errors import BankmartError
from bankmart.generate import BankSpec, bank, customers_for_transactions, generate
from bankmart.generate import reference as ref
from bankmart.generate.dirty import KINDS
from bankmart.generate.personas import RISK_PATTERNS
from bankmart.generate.writer import GENERATED_TABLES
from bankmart.raw_schema import GROUND_TRUTH_COLUMNS, PARTITIONED_TABLES, RAW_TABLES, arrow_schema


def _quiet(_: str) -> None:
    pass


def _generate(out: Path, **spec: object) -> Path:
    generate(BankSpec(**spec), out, progress=_quiet)
    return out


def _connect(bank_dir: Path) -> duckdb.DuckDBPyConnection:
    """Views named like the raw tables (plus ground_truth) over a bank folder."""
    con = duckdb.connect()
    for table in GENERATED_TABLES:
        con.execute(
            f"create view {table} as select * from read_parquet("
            f"'{bank_dir}/raw/{table}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
        )
    con.execute(
        f"create view ground_truth as select * from read_parquet('{bank_dir}/ground_truth/*.parquet')"
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def _manifest(bank_dir: Path) -> dict:
    return json.loads((bank_dir / "raw" / "_manifest.json").read_text())


@pytest.fixture(scope="module")
def clean_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough for realism statistics (about 75k transactions), no dirty rows."""
    return _generate(tmp_path_factory.mktemp("clean") / "bank", customers=1500, months=12, seed=11)


@pytest.fixture(scope="module")
def clean(clean_bank: Path) -> duckdb.DuckDBPyConnection:
    return _connect(clean_bank)


# ------------------------------------------------------------------------------ determinism


def _digest(bank_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(bank_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(bank_dir.rglob("*"))
        if p.is_file()
    }


def test_same_parameters_give_identical_files(tmp_path: Path) -> None:
    params = dict(customers=250, months=4, seed=5, dirty_rate=0.05)
    first = _digest(_generate(tmp_path / "a", **params))
    second = _digest(_generate(tmp_path / "b", **params))
    assert first == second
    assert any(name.startswith("raw/transactions/txn_month=") for name in first)


def test_different_seed_gives_different_bank(tmp_path: Path) -> None:
    a = _connect(_generate(tmp_path / "a", customers=200, months=3, seed=1))
    b = _connect(_generate(tmp_path / "b", customers=200, months=3, seed=2))
    amounts_a = a.execute("select amount from transactions order by transaction_id").fetchnumpy()
    amounts_b = b.execute("select amount from transactions order by transaction_id").fetchnumpy()
    assert not np.array_equal(amounts_a["amount"][:100], amounts_b["amount"][:100])
    personas = "select persona from ground_truth order by customer_id"
    assert a.execute(personas).fetchall() != b.execute(personas).fetchall()


def test_chunks_depend_only_on_their_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With small chunks: ids run on across chunks, and a chunk's customers do not depend on
    how many customers come after them."""
    monkeypatch.setattr(bank, "CHUNK_CUSTOMERS", 120)
    big = _connect(_generate(tmp_path / "big", customers=300, months=3, seed=9))
    small = _connect(_generate(tmp_path / "small", customers=120, months=3, seed=9))
    ids = [r[0] for r in big.execute("select customer_id from customers order by 1").fetchall()]
    assert ids == [f"C{i:07d}" for i in range(1, 301)]
    assert _one(big, "select count(distinct transaction_id) = count(*) from transactions")
    assert _one(big, "select count(distinct account_id) = count(*) from accounts")
    parts = {p.name for p in (tmp_path / "big" / "raw" / "customers").iterdir()}
    assert parts == {"part-00000.parquet", "part-00001.parquet", "part-00002.parquet"}
    first_chunk = "select * from customers where customer_id <= 'C0000120' order by customer_id"
    assert big.execute(first_chunk).fetchall() == small.execute(first_chunk).fetchall()
    assert _one(big, "select count(*) from ground_truth") == 300


def test_clean_rows_do_not_depend_on_the_dirty_rate(tmp_path: Path) -> None:
    clean = _connect(_generate(tmp_path / "clean", customers=200, months=3, seed=4))
    dirty = _connect(_generate(tmp_path / "dirty", customers=200, months=3, seed=4, dirty_rate=0.1))
    query = "select distinct transaction_id from transactions where transaction_id < 'T9' order by 1"
    assert clean.execute(query).fetchall() == dirty.execute(query).fetchall()
    query = "select distinct account_id from accounts where account_id < 'A8' order by 1"
    assert clean.execute(query).fetchall() == dirty.execute(query).fetchall()


# ------------------------------------------------------------------------------ schema & layout


def _follows_the_contract(path: Path, table: str) -> bool:
    """A raw file carries columns of the contract only, in contract order, with its types."""
    schema = pq.read_schema(path).remove_metadata()
    return schema == arrow_schema(table, only=schema.names)


def test_every_file_matches_the_raw_contract(clean_bank: Path, small_bank) -> None:
    for bank_dir in (clean_bank, small_bank.raw_dir.parent):
        assert sorted(p.name for p in (bank_dir / "raw").iterdir() if p.is_dir()) == sorted(GENERATED_TABLES)
        for table in GENERATED_TABLES:
            files = sorted((bank_dir / "raw" / table).rglob("*.parquet"))
            assert files, f"no files for {table}"
            for path in files:
                assert _follows_the_contract(path, table), path
        truth = pq.read_schema(bank_dir / "ground_truth" / "customers.parquet")
        assert truth.names == [c.name for c in GROUND_TRUTH_COLUMNS]


def test_transactions_and_balances_are_hive_partitioned_by_month(clean_bank: Path, clean) -> None:
    manifest = _manifest(clean_bank)
    for table, key in PARTITIONED_TABLES.items():
        months = sorted(p.name for p in (clean_bank / "raw" / table).iterdir())
        assert months[0] == f"{key}={manifest['parameters']['start_month']}"
        assert months[-1] == f"{key}={manifest['parameters']['end_month']}"
        assert len(months) == 12
    mismatched = _one(
        clean, "select count(*) from transactions where left(transaction_at, 7) <> txn_month"
    )
    assert mismatched == 0
    mismatched = _one(
        clean, "select count(*) from account_balances where balance_month <> balance_period"
    )
    assert mismatched == 0
    others = [t for t in GENERATED_TABLES if t not in PARTITIONED_TABLES]
    for table in others:
        assert all(p.suffix == ".parquet" for p in (clean_bank / "raw" / table).iterdir())


def test_default_window_ends_in_october_2026(clean_bank: Path) -> None:
    params = _manifest(clean_bank)["parameters"]
    assert (params["start_month"], params["end_month"]) == ("2025-11", "2026-10")


def test_manifest_counts_match_the_files(clean_bank: Path, small_bank) -> None:
    for bank_dir in (clean_bank, small_bank.raw_dir.parent):
        manifest = _manifest(bank_dir)
        for table in GENERATED_TABLES:
            files = list((bank_dir / "raw" / table).rglob("*.parquet"))
            rows = sum(pq.read_metadata(p).num_rows for p in files)
            assert manifest["row_counts"][table] == rows, table
            assert manifest["file_counts"][table] == len(files), table
        truth_rows = pq.read_metadata(bank_dir / "ground_truth" / "customers.parquet").num_rows
        assert manifest["ground_truth"]["customers"] == truth_rows
        assert manifest["parameters"]["customers"] == truth_rows


def test_interrupted_run_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "bank"

    def stop(line: str) -> None:
        if "chunk 1/" in line:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(BankSpec(customers=50, months=2), out, progress=stop)
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    out = _generate(tmp_path / "bank", customers=30, months=2, seed=1)
    before = _digest(out)
    with pytest.raises(BankmartError, match="already exists"):
        generate(BankSpec(customers=40, months=2), out, progress=_quiet)
    assert _digest(out) == before
    generate(BankSpec(customers=40, months=2), out, force=True, progress=_quiet)
    assert _manifest(out)["parameters"]["customers"] == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank"]


def test_a_tiny_bank_still_has_a_file_per_table(tmp_path: Path) -> None:
    """One customer, one month: some tables are empty, but a table the generator makes is
    written (present and empty), so the warehouse tells it from a table the bank lacks."""
    bank_dir = _generate(tmp_path / "bank", customers=1, months=1, seed=3, dirty_rate=0.5)
    for table in GENERATED_TABLES:
        files = list((bank_dir / "raw" / table).rglob("*.parquet"))
        assert files, table
        assert all(_follows_the_contract(p, table) for p in files)
    assert not list((bank_dir / "raw" / "transactions").glob("*.parquet"))


def test_transactions_target_sizes_the_bank(tmp_path: Path) -> None:
    assert customers_for_transactions(1_000_000, 24) == 10_000
    assert customers_for_transactions(10_000_000, 24) == 100_000
    months = 6
    customers = customers_for_transactions(30_000, months)
    con = _connect(_generate(tmp_path / "bank", customers=customers, months=months, seed=3))
    assert 0.85 * 30_000 < _one(con, "select count(*) from transactions") < 1.15 * 30_000


# ------------------------------------------------------------------------------ realism


def test_every_code_appears(clean) -> None:
    def values(sql: str) -> set:
        return {r[0] for r in clean.execute(sql).fetchall()}

    assert values("select distinct persona from ground_truth") == set(ref.PERSONAS)
    assert values("select distinct channel from transactions") == set(ref.CHANNELS)
    assert values("select distinct payment_type from transactions") == set(ref.PAYMENT_TYPES)
    assert values("select distinct category from merchants") == set(ref.MERCHANT_CATEGORIES)
    assert values("select distinct category from transactions where category is not null") == set(
        ref.CATEGORIES
    )
    assert values("select distinct account_type from accounts") == set(ref.ACCOUNT_TYPES)
    assert values("select distinct risk_pattern from ground_truth where is_planted_risk = 1") == set(
        RISK_PATTERNS
    )
    assert values("select distinct occupation from customers") == set(ref.OCCUPATION_NAMES)
    assert values("select distinct loyalty_class from customers") == set(ref.LOYALTY_CLASSES)
    assert len(values("select distinct city from customers")) >= 28


def test_every_column_is_populated(clean) -> None:
    """Every column the generator writes carries values (it leaves out only what it never
    makes: derived_columns, and the transactions' customer_id and split date and time)."""
    for table in GENERATED_TABLES:
        written = {r[0] for r in clean.execute(f"describe {table}").fetchall()}
        for column in RAW_TABLES[table]:
            if column.name not in written:
                assert column.name == "derived_columns" or not column.required, (table, column.name)
                continue
            filled = _one(clean, f"select count({column.name}) from {table}")
            assert filled > 0, f"{table}.{column.name} is never filled"
            if column.required:
                assert filled == _one(clean, f"select count(*) from {table}"), column.name


def test_amounts_are_positive_inr_and_right_skewed(clean) -> None:
    assert _one(clean, "select min(amount) > 0 and max(amount) < 1e7 from transactions")
    rows = clean.execute(
        "select category, avg(amount), median(amount) from transactions group by 1"
    ).fetchall()
    for category, mean, median in rows:
        assert mean > median, category
    assert _one(clean, "select avg(amount) > 1.5 * median(amount) from transactions")


def test_channels_payment_types_and_accounts_are_consistent(clean) -> None:
    joined = "transactions t join accounts a using (account_id)"
    inconsistent = {
        "atm": "t.channel = 'atm_withdrawal' and (t.payment_type <> 'debit_card' "
        "or t.category <> 'cash' or t.merchant_id is not null)",
        "transfer": "t.channel = 'transfer' and (t.payment_type <> 'net_banking' "
        "or t.category <> 'transfers' or t.merchant_id is not null)",
        "upi": "t.channel = 'instant_payment' and t.payment_type <> 'instant_payment'",
        "credit": "(t.payment_type = 'credit_card') <> (a.account_type = 'credit_card')",
        "account": "a.account_type not in ('current', 'savings', 'credit_card', 'foreign_currency')",
        "merchant": "t.channel in ('card_present', 'online', 'instant_payment') and t.merchant_id is null",
        "currency": "(t.country_code = 'IN') <> (t.currency = 'INR')",
        "before_open": "t.transaction_at::timestamp < a.opened_date::date",
    }
    for name, condition in inconsistent.items():
        assert _one(clean, f"select count(*) from {joined} where {condition}") == 0, name
    merchant_mismatch = _one(
        clean,
        "select count(*) from transactions t join merchants m using (merchant_id) "
        "where t.country_code <> m.country_code or t.category <> m.category",
    )
    assert merchant_mismatch == 0


def test_merchants_carry_valid_mcc_codes(clean) -> None:
    mcc_category = {mcc: cat for cat, codes in ref.CATEGORY_MCCS.items() for mcc in codes}
    rows = clean.execute("select mcc, category, country_code from merchants").fetchall()
    assert 1000 < len(rows) < 10_000
    assert all(mcc_category[mcc] == category for mcc, category, _ in rows)
    foreign = sum(country != "IN" for _, _, country in rows)
    assert 0.03 < foreign / len(rows) < 0.15


def test_cross_border_night_and_fraud_shares(clean) -> None:
    cross_border = _one(clean, "select avg((country_code <> 'IN')::int) from transactions")
    assert 0.005 < cross_border < 0.1
    night = _one(
        clean,
        "select avg((hour(transaction_at::timestamp) >= 22 "
        "or hour(transaction_at::timestamp) < 6)::int) from transactions",
    )
    assert 0.02 < night < 0.2
    fraud_rate = _one(clean, "select avg(is_fraud) from transactions")
    assert 0.001 <= fraud_rate <= 0.003
    # Unknown labels only in the last month, and only a few.
    pending = clean.execute(
        "select txn_month, count(*) from transactions where is_fraud is null group by 1"
    ).fetchall()
    assert len(pending) == 1 and pending[0][0] == "2026-10"
    # Fraud is concentrated: most fraud rows belong to a few customers.
    top = _one(
        clean,
        """
        with per_customer as (
            select a.customer_id, sum(t.is_fraud) as n
            from transactions t join accounts a using (account_id)
            group by 1 having sum(t.is_fraud) > 0
        )
        select sum(n) filter (where n >= 3) / sum(n) from per_customer
        """,
    )
    assert top > 0.5


def test_seasonality_festive_months_are_busier(tmp_path: Path) -> None:
    con = _connect(_generate(tmp_path / "bank", customers=600, months=24, seed=2))
    monthly = dict(
        con.execute(
            "select right(txn_month, 2), count(*) / count(distinct txn_month) "
            "from transactions group by 1"
        ).fetchall()
    )
    assert (monthly["10"] + monthly["11"]) / 2 > 1.1 * (monthly["01"] + monthly["02"]) / 2


def test_demographics_are_plausible(clean) -> None:
    age_min, age_max = clean.execute("select min(age), max(age) from customers").fetchone()
    assert age_min >= 18 and age_max <= 80
    median_income = _one(clean, "select median(monthly_income) from customers")
    assert 35_000 < median_income < 75_000
    assert _one(clean, "select min(monthly_income) >= 10000 from customers")
    # Risk weighting rises with income, loyalty with tenure and income.
    by_risk = [
        r[0]
        for r in clean.execute(
            "select median(monthly_income) from customers group by risk_weighting order by risk_weighting"
        ).fetchall()
    ]
    assert by_risk == sorted(by_risk) and len(by_risk) == 5
    by_loyalty = dict(
        clean.execute(
            "select loyalty_class, median(monthly_income) from customers group by 1"
        ).fetchall()
    )
    assert by_loyalty["Jade"] < by_loyalty["Silver"] < by_loyalty["Gold"] < by_loyalty["Platinum"]
    tenure = _one(clean, "select max(date_diff('day', joined_date::date, date '2026-10-31')) / 365.25 from customers")
    assert 10 < tenure <= 20.01
    metros = _one(
        clean,
        "select avg((city in ('Mumbai', 'Delhi NCR', 'Bengaluru'))::int) from customers",
    )
    assert metros > 0.2


def test_personas_differ_but_overlap(clean) -> None:
    shares = clean.execute(
        """
        select g.persona, a.customer_id,
            avg((t.channel = 'atm_withdrawal')::int) as atm,
            avg((t.channel in ('online', 'instant_payment'))::int) as digital,
            avg((t.country_code <> 'IN')::int) as abroad
        from transactions t join accounts a using (account_id) join ground_truth g using (customer_id)
        group by all
        """
    ).df()
    medians = shares.groupby("persona")[["atm", "digital", "abroad"]].median()
    assert medians["atm"].idxmax() == "cash_heavy"
    assert medians["digital"].idxmax() == "digital_spender"
    assert medians["abroad"].idxmax() == "cross_border_lifestyle"
    # ...but not separable on one feature: the ATM shares of cash-heavy customers and
    # microloan borrowers overlap.
    cash = shares[shares.persona == "cash_heavy"]["atm"]
    micro = shares[shares.persona == "microloan_borrower"]["atm"]
    assert cash.quantile(0.1) < micro.quantile(0.9)
    loans = dict(
        clean.execute(
            "select g.persona, count(l.loan_id) / count(distinct g.customer_id) "
            "from ground_truth g left join loans l using (customer_id) group by 1"
        ).fetchall()
    )
    assert max(loans, key=loans.get) == "microloan_borrower"


def test_ground_truth_covers_every_customer_with_some_planted_risk(clean) -> None:
    missing = _one(
        clean,
        "select count(*) from customers c anti join ground_truth g using (customer_id)",
    )
    assert missing == 0
    assert _one(clean, "select count(*) from ground_truth") == _one(
        clean, "select count(*) from customers"
    )
    share = _one(clean, "select avg(is_planted_risk) from ground_truth")
    assert 0.025 < share < 0.06
    assert _one(
        clean,
        "select count(*) from ground_truth where (is_planted_risk = 1) <> (risk_pattern is not null)",
    ) == 0


def test_planted_risk_is_detectable_but_noisy(clean) -> None:
    per_customer = clean.execute(
        """
        with t as (
            select a.customer_id, t.*
            from transactions t join accounts a using (account_id)
        ),
        spend as (
            select customer_id,
                sum(amount) filter (where txn_month >= '2026-08') / 3 as recent,
                sum(amount) filter (where txn_month < '2026-08') / 9 as earlier,
                sum(amount) filter (where txn_month >= '2026-08' and channel = 'atm_withdrawal') / 3 as atm_recent,
                coalesce(sum(is_fraud), 0) as frauds
            from t group by 1
        ),
        late as (
            select l.customer_id, avg((r.paid_date > l.due_date)::int) as late_share
            from loans l join loan_repayments r using (loan_id) group by 1
        )
        select g.customer_id, coalesce(g.risk_pattern, 'none') as pattern,
            recent / nullif(earlier, 0) as spend_ratio, atm_recent, frauds, late_share
        from ground_truth g left join spend using (customer_id) left join late using (customer_id)
        """
    ).df()
    groups = per_customer.groupby("pattern")
    normal = groups.get_group("none")
    spike = groups.get_group("spend_spike")
    assert spike.spend_ratio.median() > 1.5 * normal.spend_ratio.median()
    assert groups.get_group("cash_out").atm_recent.median() > 2 * normal.atm_recent.median()
    assert groups.get_group("fraud_victim").frauds.min() >= 1
    late_repayers = groups.get_group("late_repayer")
    assert late_repayers.late_share.median() > 2 * normal.late_share.dropna().median()
    # Noisy: some ordinary customers have fraud or spend like a spike, and some spikes are mild.
    assert (normal.frauds > 0).sum() > 0
    assert (normal.spend_ratio > spike.spend_ratio.quantile(0.25)).sum() > 0


def test_loans_repayments_and_balances_are_coherent(clean) -> None:
    terms = clean.execute(
        "select min(due_date::date - disbursed_date::date), max(due_date::date - disbursed_date::date) from loans"
    ).fetchone()
    assert terms == (30, 180)
    on_time = _one(
        clean,
        "select avg((r.paid_date <= l.due_date)::int) from loan_repayments r join loans l using (loan_id)",
    )
    assert 0.6 < on_time < 0.98
    assert _one(
        clean,
        "select count(*) from loan_repayments r join loans l using (loan_id) where r.paid_date <= l.disbursed_date",
    ) == 0
    signs = dict(
        clean.execute(
            "select a.account_type, (min(b.balance) >= 0)::int * 1 + (max(b.balance) <= 0)::int * 2 "
            "from account_balances b join accounts a using (account_id) group by 1"
        ).fetchall()
    )
    assert signs["credit_card"] == 2 and signs["loan"] == 2  # never positive: money owed
    assert signs["savings"] == 1 and signs["deposit"] == 1  # never negative
    months = _one(clean, "select count(distinct balance_month) from account_balances")
    assert months == 12


def test_referential_integrity_of_a_clean_bank(clean) -> None:
    orphans = {
        "transactions->accounts": "select count(*) from transactions anti join accounts using (account_id)",
        "transactions->merchants": "select count(*) from transactions t where merchant_id is not null "
        "and not exists (select 1 from merchants m where m.merchant_id = t.merchant_id)",
        "accounts->customers": "select count(*) from accounts anti join customers using (customer_id)",
        "loans->customers": "select count(*) from loans anti join customers using (customer_id)",
        "loans->accounts": "select count(*) from loans l where account_id is not null "
        "and not exists (select 1 from accounts a where a.account_id = l.account_id and a.account_type = 'loan')",
        "repayments->loans": "select count(*) from loan_repayments anti join loans using (loan_id)",
        "balances->accounts": "select count(*) from account_balances anti join accounts using (account_id)",
    }
    for name, sql in orphans.items():
        assert _one(clean, sql) == 0, name
    for table, key in [("customers", "customer_id"), ("accounts", "account_id"),
                       ("merchants", "merchant_id"), ("transactions", "transaction_id"),
                       ("loans", "loan_id"), ("loan_repayments", "repayment_id")]:
        assert _one(clean, f"select count(distinct {key}) = count(*) from {table}"), table


# ------------------------------------------------------------------------------ dirty rows

_CITY_LIST = ", ".join(f"'{c}'" for c in ref.CITY_NAMES + ref.COUNTRY_CITIES)
_CHANNELS = ", ".join(f"'{c}'" for c in ref.CHANNELS)
_CURRENCIES = ", ".join(f"'{c}'" for c in ["INR", *ref.COUNTRY_CURRENCIES])


def _noisy(column: str, case: str = "lower") -> str:
    """A non-NULL value that differs from its trimmed, case-normalised self."""
    return f"({column} is not null and {column} <> {case}(trim({column})))"


# Independent detectors: each counts, from the raw files alone, the rows of one planted kind.
DETECTORS: dict[str, dict[str, str]] = {
    "customers": {
        "null_key": "select count(*) from customers where customer_id is null",
        "sentinel_birth_date": "select count(*) from customers where birth_date in ('1800-01-01', '1/1/1800')",
        "unparseable_birth_date": "select count(*) from customers "
        "where birth_date in ('not a date', '31/02/1990', '1990-13-01')",
        "city_noise": f"select count(*) from customers where city not in ({_CITY_LIST})",
        "code_noise": "select count(*) from customers where gender not in ('Male', 'Female', 'Other') "
        "or marital_status not in ('Single', 'Married', 'Divorced', 'Widowed') or country_code <> 'IN'",
    },
    "accounts": {
        "null_key": "select count(*) from accounts where account_id is null",
        "orphan_customer": "select count(*) from accounts a where not exists "
        "(select 1 from customers c where c.customer_id = a.customer_id)",
        "code_noise": "select count(*) from accounts where "
        + " or ".join([_noisy("account_type"), _noisy("currency", "upper"), _noisy("status")]),
    },
    "merchants": {
        "null_key": "select count(*) from merchants where merchant_id is null",
        "city_noise": f"select count(*) from merchants where city not in ({_CITY_LIST})",
        "code_noise": "select count(*) from merchants where "
        + " or ".join([_noisy("category"), _noisy("country_code", "upper")]),
    },
    "transactions": {
        "duplicate_exact": "select count(*) - (select count(*) from (select distinct * from transactions)) "
        "from transactions",
        "duplicate_conflict": "select coalesce(sum(n - 1), 0) from (select transaction_id, count(*) as n "
        "from (select distinct * from transactions) where transaction_id is not null group by 1)",
        "orphan_account": "select count(*) from transactions t where account_id is not null and not exists "
        "(select 1 from accounts a where a.account_id = regexp_replace(t.account_id, '[\\x{200B}\\x{00A0}]', '', 'g'))",
        "null_key": "select count(*) from transactions where transaction_id is null or account_id is null",
        "unparseable_timestamp": "select count(*) from transactions "
        "where try_strptime(transaction_at, '%Y-%m-%d %H:%M:%S') is null and transaction_at not like '%+05:30'",
        "future_timestamp": "select count(*) from transactions "
        "where try_strptime(transaction_at, '%Y-%m-%d %H:%M:%S') >= timestamp '2026-11-01'",
        "zero_amount": "select count(*) from transactions where amount = 0",
        "negative_amount": "select count(*) from transactions where amount < 0",
        "absurd_amount": "select count(*) from transactions where amount >= 1e11 and isfinite(amount)",
        "not_a_number": "select count(*) from transactions where not isfinite(amount)",
        "below_minor_unit": "select count(*) from transactions where amount > 0 and amount < 0.005",
        "ancient_timestamp": "select count(*) from transactions "
        "where try_strptime(transaction_at, '%Y-%m-%d %H:%M:%S') < timestamp '2015-01-01'",
        "long_id": "select count(*) from transactions where length(transaction_id) > 64",
        "fraud_out_of_domain": "select count(*) from transactions where is_fraud not in (0, 1)",
        "overprecise_amount": "select count(*) from transactions "
        "where isfinite(amount) and amount >= 0.005 and amount <> round(amount, 2)",
        "invisible_id": "select count(*) from transactions where regexp_matches(account_id, '[\\x{200B}\\x{00A0}]')",
        "offset_timestamp": "select count(*) from transactions where transaction_at like '%+05:30'",
        "unknown_channel": f"select count(*) from transactions where lower(trim(channel)) not in ({_CHANNELS})",
        "unknown_currency": f"select count(*) from transactions where upper(trim(currency)) not in ({_CURRENCIES})",
        "code_noise": f"select count(*) from transactions where lower(trim(channel)) in ({_CHANNELS}) "
        f"and upper(trim(currency)) in ({_CURRENCIES}) and ("
        + " or ".join([_noisy("channel"), _noisy("payment_type"), _noisy("currency", "upper"),
                       _noisy("country_code", "upper"), _noisy("category")])
        + ")",
    },
    "loans": {
        "null_key": "select count(*) from loans where loan_id is null",
        "orphan_customer": "select count(*) from loans l where not exists "
        "(select 1 from customers c where c.customer_id = l.customer_id)",
        "unparseable_date": "select count(*) from loans where try_strptime(disbursed_date, '%Y-%m-%d') is null",
        "non_positive_amount": "select count(*) from loans where principal_amount <= 0",
    },
    "loan_repayments": {
        "null_key": "select count(*) from loan_repayments where repayment_id is null",
        "orphan_loan": "select count(*) from loan_repayments r where not exists "
        "(select 1 from loans l where l.loan_id = r.loan_id)",
        "unparseable_date": "select count(*) from loan_repayments where try_strptime(paid_date, '%Y-%m-%d') is null",
        "non_positive_amount": "select count(*) from loan_repayments where amount <= 0",
    },
    "account_balances": {
        "null_key": "select count(*) from account_balances where account_id is null",
        "orphan_account": "select count(*) from account_balances b where account_id is not null and not exists "
        "(select 1 from accounts a where a.account_id = b.account_id)",
        "unparseable_month": "select count(*) from account_balances "
        "where try_strptime(balance_month || '-01', '%Y-%m-%d') is null",
    },
}


def test_detectors_cover_every_dirty_kind() -> None:
    assert {t: set(d) for t, d in DETECTORS.items()} == {t: {k.name for k in kinds} for t, kinds in KINDS.items()}


def test_every_dirty_kind_is_planted_and_counted(small_bank) -> None:
    bank_dir = small_bank.raw_dir.parent
    con = _connect(bank_dir)
    planted = _manifest(bank_dir)["dirty_rows"]
    for table, detectors in DETECTORS.items():
        for kind, sql in detectors.items():
            found = _one(con, sql)
            assert planted[table][kind] >= 1, f"{table}.{kind} not planted"
            assert found == planted[table][kind], f"{table}.{kind}: {found} in files, manifest says {planted[table][kind]}"
    rows = _manifest(bank_dir)["row_counts"]
    for table, kinds in planted.items():
        assert sum(kinds.values()) < 0.1 * rows[table] + len(kinds), table


def test_dirty_rate_is_roughly_the_share_of_rows(tmp_path: Path) -> None:
    bank_dir = _generate(tmp_path / "bank", customers=300, months=6, seed=8, dirty_rate=0.1)
    manifest = _manifest(bank_dir)
    total = sum(manifest["dirty_rows"]["transactions"].values())
    assert 0.07 < total / manifest["row_counts"]["transactions"] < 0.13


def test_a_clean_bank_has_no_dirty_rows(clean_bank: Path, clean) -> None:
    manifest = _manifest(clean_bank)
    assert all(n == 0 for kinds in manifest["dirty_rows"].values() for n in kinds.values())
    for table, detectors in DETECTORS.items():
        for kind, sql in detectors.items():
            assert _one(clean, sql) == 0, f"{table}.{kind}"


def _seed(name: str) -> list[dict[str, str]]:
    import csv

    with (Path(__file__).resolve().parents[2] / "seeds" / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_generator_codes_are_the_seeds_codes() -> None:
    """The seeds define the code lists; the generator (and the ML tests' synthetic customers)
    may only use codes the seeds know, with each MCC in the seed's category."""
    from bankmart.ml import synthetic

    categories = _seed("merchant_categories")
    category_of_mcc = {row["mcc"]: row["category"] for row in categories}
    assert set(ref.CATEGORIES) == {row["category"] for row in categories}
    for category, mccs in ref.CATEGORY_MCCS.items():
        assert {category_of_mcc.get(mcc) for mcc in mccs} == {category}, category
    channels = {row["channel"] for row in _seed("channels")}
    assert set(ref.CHANNELS) == channels == set(synthetic.CHANNELS)
    purchases = {row["category"] for row in categories if row["in_purchase_mix"] == "true"}
    assert set(synthetic.PURCHASES) == purchases
    assert set(ref.PAYMENT_TYPES) <= {row["payment_type"] for row in _seed("payment_types")}
    assert set(ref.ACCOUNT_TYPES) <= {row["account_type"] for row in _seed("account_types")}
