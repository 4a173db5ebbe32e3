"""The staging layer: raw contract in dbt, the raw pre-flight check, quarantine bookkeeping.

dbt's own tests check each staging model; these check what only a whole build can show: that
the sources YAML and the macro copy of the contract are rendered from raw_schema.py, that a
broken raw folder stops `bankmart build` before any model runs (and leaves the last warehouse as
it was) while a table the bank does not have is read as empty, that every raw row ends up clean
or quarantined exactly once, and that each kind of dirty row the generator plants lands under
the reason code or data-quality flag meant for it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from bankmart import contract
from bankmart.generate.writer import GENERATED_TABLES
from bankmart.raw_schema import RAW_TABLES
from bankmart.settings import load_settings
from conftest import BIN, PROJECT_DIR, Bank, bank_env, build_in_workshop, generate_bank, run_cli

SOURCES_YML = PROJECT_DIR / "models" / "staging" / "core" / "_core__sources.yml"

# Build only the staging layer: the failure cases never get further, and it is quicker.
STAGING_ONLY = ["--", "--select", "path:seeds", "staging", "quarantine",
                "--indirect-selection", "cautious"]

# A model starting to build: the pre-flight check must stop the run before the first one.
MODEL_STARTED = re.compile(r"START sql (table|view) model")

# Dirty-row kinds the generator plants for staging to quarantine -> the reason code staging
# must give them. A new quarantine kind must be added here, so nobody forgets to check it.
REASON_FOR_KIND = {
    "null_key": "missing_key",
    "duplicate_exact": "duplicate_row",
    "duplicate_conflict": "duplicate_id",
    "orphan_customer": "orphan_customer",
    "orphan_account": "orphan_account",
    "orphan_loan": "orphan_loan",
    "unparseable_timestamp": "unparseable_timestamp",
    "unparseable_date": "unparseable_date",
    "unparseable_month": "unparseable_date",
    "future_timestamp": "future_dated",
    "ancient_timestamp": "outside_data_window",
    "zero_amount": "non_positive_amount",
    "negative_amount": "non_positive_amount",
    "non_positive_amount": "non_positive_amount",
    "absurd_amount": "absurd_amount",
    "not_a_number": "not_a_number",
    "below_minor_unit": "below_minor_unit",
    "long_id": "value_too_long",
}

# Dirty kinds staging keeps, flagging one value -> (column, flag) in quarantine.data_quality_flags.
FLAG_FOR_KIND = {
    "sentinel_birth_date": ("birth_date", "placeholder_date"),
    "unparseable_birth_date": ("birth_date", "unparseable_date"),
    "unknown_channel": ("channel", "unknown_code"),
    "unknown_currency": ("currency", "unknown_code"),
    "fraud_out_of_domain": ("is_fraud", "out_of_domain"),
    "overprecise_amount": ("amount", "rounded_amount"),
}

# The staging contract of the team brief: column names and DuckDB types of every stg view.
_FLAGS = {"dq_flags": "VARCHAR", "derived_columns": "VARCHAR"}
STAGING_CONTRACT = {
    "stg_core__customers": {
        "customer_id": "VARCHAR", "full_name": "VARCHAR", "birth_date": "DATE",
        "age": "INTEGER", "age_group": "VARCHAR", "gender": "VARCHAR",
        "marital_status": "VARCHAR", "city": "VARCHAR", "region": "VARCHAR",
        "country_code": "VARCHAR", "occupation": "VARCHAR", "monthly_income": "DECIMAL(18,2)",
        "joined_date": "DATE", "loyalty_class": "VARCHAR", "fee_structure": "VARCHAR",
        "relationship_type": "VARCHAR", "nationality": "VARCHAR", "risk_weighting": "INTEGER",
        "has_sentinel_birth_date": "BOOLEAN", **_FLAGS,
    },
    "stg_core__accounts": {
        "account_id": "VARCHAR", "customer_id": "VARCHAR", "account_type": "VARCHAR",
        "opened_date": "DATE", "closed_date": "DATE", "currency": "VARCHAR",
        "credit_limit": "DECIMAL(18,2)", "status": "VARCHAR", "is_open": "BOOLEAN", **_FLAGS,
    },
    "stg_core__merchants": {
        "merchant_id": "VARCHAR", "merchant_name": "VARCHAR", "mcc": "VARCHAR",
        "category": "VARCHAR", "city": "VARCHAR", "country_code": "VARCHAR", **_FLAGS,
    },
    "stg_core__transactions": {
        "transaction_id": "VARCHAR", "account_id": "VARCHAR", "customer_id": "VARCHAR",
        "merchant_id": "VARCHAR", "transaction_date": "DATE",
        "transaction_at": "TIMESTAMP", "amount": "DECIMAL(18,2)", "currency": "VARCHAR",
        "channel": "VARCHAR", "payment_type": "VARCHAR", "category": "VARCHAR",
        "country_code": "VARCHAR", "is_fraud": "BOOLEAN", "txn_month": "DATE", **_FLAGS,
        "account_type": "VARCHAR", "home_country_code": "VARCHAR", "merchant_category": "VARCHAR",
        "loaded_at": "TIMESTAMP",
    },
    "stg_core__loans": {
        "loan_id": "VARCHAR", "customer_id": "VARCHAR", "account_id": "VARCHAR",
        "disbursed_date": "DATE", "principal_amount": "DECIMAL(18,2)", "due_date": "DATE",
        "interest_rate": "DOUBLE", **_FLAGS,
    },
    "stg_core__loan_repayments": {
        "repayment_id": "VARCHAR", "loan_id": "VARCHAR", "paid_date": "DATE",
        "amount": "DECIMAL(18,2)", **_FLAGS,
    },
    "stg_core__account_balances": {
        "account_id": "VARCHAR", "balance_month": "DATE", "balance": "DECIMAL(18,2)", **_FLAGS,
        "customer_id": "VARCHAR", "account_type": "VARCHAR", "loaded_at": "TIMESTAMP",
    },
    "stg_core__customer_holdings": {
        "customer_id": "VARCHAR", "snapshot_date": "DATE", "product": "VARCHAR",
        "balance": "DECIMAL(18,2)", "quantity": "DOUBLE", **_FLAGS,
    },
    "stg_core__monthly_spend": {
        "customer_id": "VARCHAR", "spend_month": "DATE", "category": "VARCHAR",
        "payment_type": "VARCHAR", "channel": "VARCHAR", "amount": "DECIMAL(18,2)",
        "transaction_count": "BIGINT", **_FLAGS,
    },
}

# The id column of each raw table (account_balances: the first of its two key columns).
ID_COLUMN = {
    "customers": "customer_id",
    "accounts": "account_id",
    "merchants": "merchant_id",
    "transactions": "transaction_id",
    "loans": "loan_id",
    "loan_repayments": "repayment_id",
}


def raw_glob(raw_dir: Path, table: str, ext: str = "parquet") -> str:
    return f"{raw_dir}/{table}/**/*.{ext}"


def output(proc) -> str:
    return proc.stdout + proc.stderr


def quarantine_counts(duckdb_path: Path) -> dict[tuple[str, str], int]:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select source_table, reason_code, count(*) from quarantine.quarantined_rows group by all"
        ).fetchall()
    return {(table, reason): count for table, reason, count in rows}


# ------------------------------------------------------------------------ the raw contract


def test_the_dbt_copies_of_the_raw_contract_are_rendered_from_raw_schema() -> None:
    """The sources YAML and the raw_contract() macro are generated (`bankmart contract`):
    committed files that drift from raw_schema.py fail here."""
    for relative, text in contract.rendered_files().items():
        assert (PROJECT_DIR / relative).read_text() == text, (
            f"{relative} differs from src/bankmart/raw_schema.py: run `bankmart contract --write`"
        )
    sources = yaml.safe_load(SOURCES_YML.read_text())["sources"][0]
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in sources["tables"]}
    assert declared == {t: [c.name for c in cols] for t, cols in RAW_TABLES.items()}


def test_bankmart_contract_reports_and_rewrites_a_stale_copy(tmp_path: Path) -> None:
    settings = load_settings()
    project = tmp_path / "project"
    for relative in contract.rendered_files():
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings.project_dir / relative, target)
    stale = project / contract.MACRO_PATH
    stale.write_text(stale.read_text().replace("'transaction_id'", "'txn_id'"))
    stale_settings = dataclasses.replace(settings, project_dir=project)
    check, write = (argparse.Namespace(write=False), argparse.Namespace(write=True))
    assert contract.run(check, stale_settings) == 1
    assert contract.run(write, stale_settings) == 0
    assert contract.run(check, stale_settings) == 0
    assert stale.read_text() == contract.render_macro()


def test_every_source_table_is_reconciled_against_staging_and_quarantine() -> None:
    core = yaml.safe_load(SOURCES_YML.read_text())["sources"][0]
    for table in core["tables"]:
        tests = [t["raw_rows_reconcile"]["arguments"] for t in table.get("data_tests", [])
                 if isinstance(t, dict) and "raw_rows_reconcile" in t]
        assert tests == [{
            "base_model": f"ref('base_core__{table['name']}')",
            "quarantine_model": "ref('quarantined_rows')",
            "source_table": table["name"],
        }], table["name"]


# ------------------------------------------------------------------- the small dirty bank


@pytest.fixture(scope="module")
def con(built_bank: Bank) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(built_bank.duckdb_path), read_only=True)
    yield connection
    connection.close()


@pytest.mark.dbt
def test_staging_views_have_the_contract_columns_and_types(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for model, columns in STAGING_CONTRACT.items():
        got = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where schema_name = 'staging' and table_name = ? order by column_index",
            [model],
        ).fetchall()
        assert dict(got) == columns, model
        assert [name for name, _ in got] == list(columns), f"{model}: column order"


def assert_every_raw_row_clean_or_quarantined_once(
    raw_dir: Path, con: duckdb.DuckDBPyConnection
) -> dict[str, tuple[int, int]]:
    """raw = clean + quarantined for every generated table, with some of each table
    quarantined; and "never both": a row quarantined for anything but being a duplicate has an
    id that no clean row carries. Returns {table: (raw rows, quarantined rows)}."""
    counts: dict[str, tuple[int, int]] = {}
    for table in GENERATED_TABLES:
        raw = con.execute(
            f"select count(*) from read_parquet('{raw_glob(raw_dir, table)}')"
        ).fetchone()[0]
        clean = con.execute(f"select count(*) from staging.stg_core__{table}").fetchone()[0]
        quarantined = con.execute(
            "select count(*) from quarantine.quarantined_rows where source_table = ?", [table]
        ).fetchone()[0]
        assert raw == clean + quarantined, (table, raw, clean, quarantined)
        assert quarantined > 0, f"{table}: the dirty bank should have quarantined rows"
        counts[table] = (raw, quarantined)
    for table, id_column in ID_COLUMN.items():
        leaked = con.execute(
            f"""
            select count(*)
            from quarantine.quarantined_rows as q
            inner join staging.stg_core__{table} as s
                on trim(q.source_row_key) = s.{id_column}
            where q.source_table = '{table}'
                and q.reason_code not in ('duplicate_row', 'duplicate_id')
            """
        ).fetchone()[0]
        assert leaked == 0, table
    return counts


def assert_planted_rows_quarantined_under_their_reasons(raw_dir: Path, duckdb_path: Path) -> None:
    """The rows the generator planted for quarantine (its _manifest.json), counted by reason
    code, are exactly the quarantined rows: planted rows are extra copies of clean rows, so
    nothing else may be quarantined."""
    manifest = json.loads((raw_dir / "_manifest.json").read_text())
    expected: dict[tuple[str, str], int] = {}
    for table, kinds in manifest["dirty_rows"].items():
        for kind, count in kinds.items():
            handling = manifest["dirty_kinds"][table][kind]["handling"]
            if handling != "quarantine":
                continue
            assert kind in REASON_FOR_KIND, f"new dirty kind {table}.{kind}: map it to a reason"
            key = (table, REASON_FOR_KIND[kind])
            expected[key] = expected.get(key, 0) + count
    assert all(count > 0 for count in expected.values()), "every kind should be planted"
    assert quarantine_counts(duckdb_path) == expected


@pytest.mark.dbt
def test_every_raw_row_is_clean_or_quarantined_exactly_once(
    built_bank: Bank, con: duckdb.DuckDBPyConnection
) -> None:
    assert_every_raw_row_clean_or_quarantined_once(built_bank.raw_dir, con)


@pytest.mark.dbt
def test_each_planted_dirty_kind_lands_under_its_reason_code(built_bank: Bank) -> None:
    assert_planted_rows_quarantined_under_their_reasons(built_bank.raw_dir, built_bank.duckdb_path)


@pytest.mark.dbt
def test_a_fifth_of_the_rows_dirty_still_reconciles(
    tmp_path_factory: pytest.TempPathFactory, workshop: Path
) -> None:
    """Issue 10's bar: with a fifth of every table's rows planted dirty (--dirty-rate 0.2, ten
    times the small bank's), the build is green, raw = clean + quarantined for every table, and
    each planted row is quarantined under its own reason. A 120-customer bank over 3 months,
    built in the workshop (conftest.build_in_workshop): dbt reuses the parse of a bank built
    there before by the same test process, if any."""
    bank = generate_bank(tmp_path_factory.mktemp("fifth_dirty"), customers=120, months=3,
                         dirty_rate=0.2)
    build_in_workshop(workshop, bank.raw_dir, bank.duckdb_path, bank.env)
    with duckdb.connect(str(bank.duckdb_path), read_only=True) as con:
        raw, quarantined = assert_every_raw_row_clean_or_quarantined_once(bank.raw_dir, con)["transactions"]
    assert quarantined / raw > 0.1, f"only {quarantined / raw:.1%} of the transactions quarantined"
    assert_planted_rows_quarantined_under_their_reasons(bank.raw_dir, bank.duckdb_path)


@pytest.mark.dbt
def test_each_planted_flag_kind_is_kept_and_flagged(
    built_bank: Bank, con: duckdb.DuckDBPyConnection
) -> None:
    """Bad optional values are flagged on rows that stay: the value is NULL or rounded, the row
    (and its customer's accounts and transactions) is not rejected."""
    manifest = json.loads((built_bank.raw_dir / "_manifest.json").read_text())
    expected: dict[tuple[str, str, str], int] = {}
    for table, kinds in manifest["dirty_rows"].items():
        for kind, count in kinds.items():
            if manifest["dirty_kinds"][table][kind]["handling"] != "flag":
                continue
            assert kind in FLAG_FOR_KIND, f"new dirty kind {table}.{kind}: map it to a flag"
            column, flag = FLAG_FOR_KIND[kind]
            expected[(table, column, flag)] = expected.get((table, column, flag), 0) + count
    flagged = {
        (table, column, flag): count
        for table, column, flag, count in con.execute(
            "select source_table, column_name, flag_code, count(*) "
            "from quarantine.data_quality_flags group by all"
        ).fetchall()
    }
    assert flagged == expected
    # The flagged customers are clean customers, with their accounts.
    orphaned = con.execute(
        "select count(*) from quarantine.data_quality_flags as f "
        "inner join staging.stg_core__customers as c on trim(f.source_row_key) = c.customer_id "
        "where f.source_table = 'customers' and c.birth_date is not null"
    ).fetchone()[0]
    assert orphaned == 0, "a flagged birth date must be NULL on the kept customer"
    kept = con.execute(
        "select count(*) from quarantine.data_quality_flags as f "
        "inner join staging.stg_core__customers as c on trim(f.source_row_key) = c.customer_id "
        "where f.source_table = 'customers'"
    ).fetchone()[0]
    assert kept == sum(n for (t, _, _), n in expected.items() if t == "customers") > 0


@pytest.mark.dbt
def test_cosmetic_noise_is_normalised_and_sentinels_are_flagged(
    built_bank: Bank, con: duckdb.DuckDBPyConnection
) -> None:
    manifest = json.loads((built_bank.raw_dir / "_manifest.json").read_text())
    flagged = con.execute(
        "select count(*) from staging.stg_core__customers where has_sentinel_birth_date"
    ).fetchone()[0]
    assert flagged == manifest["dirty_rows"]["customers"]["sentinel_birth_date"]
    # Noisy cities ('  mumbai ', 'DELHI  NCR') all come out as a canonical seed city.
    for model in ("stg_core__customers", "stg_core__merchants"):
        unknown = con.execute(
            f"select count(*) from staging.{model} as m "
            "anti join reference.cities as c on m.city = c.city"
        ).fetchone()[0]
        assert unknown == 0, model
    raw_noisy = con.execute(
        f"select count(*) from read_parquet('{raw_glob(built_bank.raw_dir, 'customers')}') "
        "where city <> trim(city) or city <> upper(left(city, 1)) || substr(city, 2) "
        "or gender not in ('Male', 'Female', 'Other')"
    ).fetchone()[0]
    assert raw_noisy > 0, "the dirty bank should carry noisy cities and codes"


@pytest.mark.dbt
def test_quarantined_rows_keep_the_original_raw_values(
    built_bank: Bank, con: duckdb.DuckDBPyConnection
) -> None:
    written = {
        r[0] for r in con.execute(
            f"describe select * from read_parquet('{raw_glob(built_bank.raw_dir, 'transactions')}')"
        ).fetchall()
    }
    columns = [c.name for c in RAW_TABLES["transactions"] if c.name in written]
    absent = {c.name: None for c in RAW_TABLES["transactions"] if c.name not in written}
    raw = {
        row[0]: {**dict(zip(columns, row, strict=True)), **absent}
        for row in con.execute(
            f"select {', '.join(columns)} "
            f"from read_parquet('{raw_glob(built_bank.raw_dir, 'transactions')}') "
            "where transaction_id in (select source_row_key from quarantine.quarantined_rows "
            "where source_table = 'transactions' and reason_code not like 'duplicate%')"
        ).fetchall()
    }
    records = con.execute(
        "select source_row_key, raw_record from quarantine.quarantined_rows "
        "where source_table = 'transactions' and source_row_key is not null "
        "and reason_code not like 'duplicate%'"
    ).fetchall()
    assert len(records) > 10
    for key, record in records:
        got, want = json.loads(record), raw[key]
        # NaN and infinity do not survive JSON as numbers: compare them as text
        if isinstance(want["amount"], float) and not math.isfinite(want["amount"]):
            got["amount"], want["amount"] = str(got["amount"]).lower(), str(want["amount"]).lower()
        assert got == want, key


@pytest.mark.dbt
def test_the_first_of_several_rows_with_one_id_is_kept(
    built_bank: Bank, con: duckdb.DuckDBPyConnection
) -> None:
    """A conflicting copy planted after the original must not replace it."""
    mismatched = con.execute(
        f"""
        with raw as (
            select transaction_id, amount, filename, file_row_number
            from read_parquet('{raw_glob(built_bank.raw_dir, 'transactions')}',
                              filename = true, file_row_number = true)
        ),
        first_rows as (
            select transaction_id, arg_min(amount, (filename, file_row_number)) as amount
            from raw
            where transaction_id in (
                select source_row_key from quarantine.quarantined_rows
                where reason_code = 'duplicate_id'
            )
            group by transaction_id
        )
        select count(*) filter (where s.amount <> cast(f.amount as decimal(18, 2))), count(*)
        from first_rows as f
        inner join staging.stg_core__transactions as s using (transaction_id)
        """
    ).fetchone()
    assert mismatched[1] > 0
    assert mismatched[0] == 0


# ------------------------------------------------------------ broken raw folders fail fast


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every test below: the paths (and so dbt's profile and target/) stay the
    same from test to test, which lets dbt reuse its parse instead of starting afresh."""
    return tmp_path_factory.mktemp("staging_scratch")


@pytest.fixture()
def broken_bank(built_bank: Bank, scratch_root: Path) -> Bank:
    """A fresh copy of the small bank's raw files and of its built warehouse, free to break."""
    raw = scratch_root / "bank" / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.copytree(built_bank.raw_dir, raw)
    warehouse = scratch_root / "bankmart.duckdb"
    shutil.copy(built_bank.duckdb_path, warehouse)
    return Bank(scratch_root, raw, scratch_root / "bank" / "ground_truth", warehouse,
                scratch_root / "serving", bank_env(scratch_root))


def warehouse_snapshot(duckdb_path: Path) -> dict[str, int]:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('staging', 'quarantine', 'marts')"
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }


def assert_fails_before_any_model(bank: Bank, *expected: str) -> None:
    before = warehouse_snapshot(bank.duckdb_path)
    proc = run_cli("build", env=bank.env, check=False)
    text = output(proc)
    assert proc.returncode != 0, text[-3000:]
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in output:\n{text[-3000:]}"
    assert not MODEL_STARTED.search(text), "a model started although the raw check failed"
    assert "Traceback" not in text
    after = warehouse_snapshot(bank.duckdb_path)
    assert before and after == before, "the warehouse built before must stay as it was"


@pytest.mark.dbt
def test_missing_raw_folder_names_the_folder_and_the_fix(broken_bank: Bank) -> None:
    shutil.rmtree(broken_bank.raw_dir)
    assert_fails_before_any_model(
        broken_bank, str(broken_bank.raw_dir), "make generate", "BANKMART_RAW_DIR"
    )
    # `bankmart build` checks the folder itself; plain `dbt build` gets the same advice from
    # the on-run-start check.
    proc = subprocess.run(
        [str(BIN / "dbt"), "build", "--select", "staging"],
        env={**broken_bank.env, "DBT_PROFILES_DIR": str(PROJECT_DIR)},
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    assert proc.returncode != 0
    assert f"the raw folder {broken_bank.raw_dir} does not exist" in output(proc)
    assert "make generate" in output(proc) and "BANKMART_RAW_DIR" in output(proc)
    assert not MODEL_STARTED.search(output(proc))


@pytest.mark.dbt
def test_missing_customers_folder_names_the_table_and_folder(broken_bank: Bank) -> None:
    shutil.rmtree(broken_bank.raw_dir / "customers")
    assert_fails_before_any_model(
        broken_bank, "raw table customers", f"{broken_bank.raw_dir}/customers", "Every bank needs"
    )


@pytest.mark.dbt
def test_a_folder_of_the_other_format_names_the_setting(broken_bank: Bank) -> None:
    folder = broken_bank.raw_dir / "merchants"
    with duckdb.connect() as con:
        for path in folder.glob("*.parquet"):
            con.execute(f"copy (select * from read_parquet('{path}')) to '{path.with_suffix('.csv')}'")
            path.unlink()
    assert_fails_before_any_model(
        broken_bank, "raw table merchants", "holds .csv files but no .parquet files",
        "BANKMART_RAW_FORMAT=csv",
    )


@pytest.mark.dbt
def test_a_table_the_bank_does_not_have_is_read_as_empty(broken_bank: Bank) -> None:
    """No loans folder: the build says loans is absent and builds the loan models empty,
    instead of demanding a header-only file."""
    shutil.rmtree(broken_bank.raw_dir / "loans")
    proc = run_cli("build", *STAGING_ONLY, env=broken_bank.env)
    assert "Treated as absent" in output(proc) and "loans" in output(proc).split("Treated as absent")[1]
    with duckdb.connect(str(broken_bank.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_core__loans").fetchone()[0] == 0
        # every repayment now belongs to a loan that is not there, and says so
        assert con.execute(
            "select count(*) from staging.stg_core__loan_repayments"
        ).fetchone()[0] == 0
        orphans = con.execute(
            "select count(*), count(*) filter (where reason_detail like '%is not in loans') "
            "from quarantine.quarantined_rows "
            "where source_table = 'loan_repayments' and reason_code = 'orphan_loan'"
        ).fetchone()
        assert orphans[0] > 100 and orphans[0] == orphans[1]


@pytest.mark.dbt
def test_file_without_a_required_column_names_table_file_and_column(broken_bank: Bank) -> None:
    victim = sorted((broken_bank.raw_dir / "transactions").rglob("*.parquet"))[-1]
    pq.write_table(pq.read_table(victim).drop_columns(["amount"]), victim)
    assert_fails_before_any_model(
        broken_bank,
        "raw table transactions",
        f"missing amount in {victim}",
        "every file needs: transaction_id, amount, account_id or customer_id, "
        "transaction_at or transaction_date",
    )


@pytest.mark.dbt
def test_corrupt_parquet_file_names_table_and_file(broken_bank: Bank) -> None:
    victim = sorted((broken_bank.raw_dir / "merchants").rglob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # truncated copy
    assert_fails_before_any_model(
        broken_bank, "raw table merchants", str(victim), "not a readable Parquet file"
    )


@pytest.mark.dbt
def test_the_raw_check_copes_with_thousands_of_files(broken_bank: Bank) -> None:
    """Real extracts land as many small files: the check must still name the one bad file
    (a UNION ALL branch per file once broke DuckDB's expression depth past ~1,000 files)."""
    month = sorted((broken_bank.raw_dir / "transactions").glob("txn_month=*"))[0]
    rows = pq.read_table(next(month.glob("*.parquet")))
    for old in month.glob("*.parquet"):
        old.unlink()
    for i in range(1200):
        pq.write_table(rows.slice(i % rows.num_rows, 1), month / f"part-{i:05d}.parquet")
    victim = month / "part-01199.parquet"
    pq.write_table(pq.read_table(victim).drop_columns(["transaction_at"]), victim)
    assert_fails_before_any_model(
        broken_bank, "raw table transactions",
        f"missing one of transaction_at, transaction_date in {victim}",
    )


# ----------------------------------------------------- optional columns and other formats


@pytest.mark.dbt
def test_files_without_optional_columns_still_build(built_bank: Bank, broken_bank: Bank) -> None:
    raw, env = broken_bank.raw_dir, broken_bank.env
    # One transactions partition without merchant_id and category; customers without
    # nationality and age in every file (the column then exists nowhere).
    partition = sorted((raw / "transactions").rglob("*.parquet"))[0]
    pq.write_table(pq.read_table(partition).drop_columns(["merchant_id", "category"]), partition)
    for path in (raw / "customers").rglob("*.parquet"):
        pq.write_table(pq.read_table(path).drop_columns(["nationality", "age"]), path)

    run_cli("build", *STAGING_ONLY, env=env)

    with duckdb.connect(str(broken_bank.duckdb_path), read_only=True) as con:
        partition_month = partition.parent.name.split("=")[1]
        merchants, categories, rows = con.execute(
            "select count(merchant_id), count(category), count(*) "
            "from staging.stg_core__transactions where strftime(txn_month, '%Y-%m') = ?",
            [partition_month],
        ).fetchone()
        assert rows > 0 and merchants == 0 and categories == 0
        assert con.execute(
            "select count(nationality) from staging.stg_core__customers"
        ).fetchone()[0] == 0
    assert quarantine_counts(broken_bank.duckdb_path) == quarantine_counts(built_bank.duckdb_path)


#: The CSV writing options of some tables (COPY options): exports in circulation use other
#: delimiters than the comma, and some quote every value. The reader detects each file's dialect.
CSV_DIALECTS = {
    "customers": ", delimiter ';'",
    "accounts": ", delimiter '\\t'",
    "transactions": ", delimiter '|'",
    "merchants": ", force_quote *",
}


@pytest.mark.dbt
def test_csv_raw_files_build_the_same_staging_as_parquet(
    built_bank: Bank, broken_bank: Bank
) -> None:
    """CSV is read as text and typed by the same staging code, whatever the dialect a bank's
    export uses: here comma, semicolon, tab and pipe delimiters, and every value quoted, one
    dialect per table (CSV_DIALECTS), numbers with a decimal comma (var csv_decimal_separator);
    empty files are no rows. CSV readers give no row numbers, so among conflicting
    rows with one transaction_id the kept one may differ: those ids are left out of the
    comparison."""
    raw = broken_bank.raw_dir
    shutil.rmtree(raw)
    with duckdb.connect() as con:
        for table in GENERATED_TABLES:
            dialect = CSV_DIALECTS.get(table, "")
            for parquet in sorted((built_bank.raw_dir / table).rglob("*.parquet")):
                target = raw / parquet.relative_to(built_bank.raw_dir).with_suffix(".csv")
                target.parent.mkdir(parents=True, exist_ok=True)
                # numbers with a decimal comma, as a continental European export writes them
                columns = ", ".join(
                    f"replace(cast({name} as varchar), '.', ',') as {name}"
                    if kind in ("DOUBLE", "FLOAT") or kind.startswith("DECIMAL") else name
                    for name, kind in con.execute(
                        f"select column_name, column_type from (describe select * from "
                        f"read_parquet('{parquet}', hive_partitioning = false))"
                    ).fetchall()
                )
                con.execute(
                    f"copy (select {columns} from read_parquet('{parquet}', "
                    f"hive_partitioning = false)) to '{target}' (header true{dialect})"
                )
    shutil.copy(built_bank.raw_dir / "_manifest.json", raw / "_manifest.json")
    # An export of a month without activity may be an empty file, with or without a byte-order
    # mark: read as no rows.
    (raw / "transactions" / "txn_month=2020-01").mkdir()
    (raw / "transactions" / "txn_month=2020-01" / "part-00000.csv").write_bytes(b"")
    (raw / "loans" / "part-00001.csv").write_bytes(b"\xef\xbb\xbf\r\n")
    env = {**broken_bank.env, "BANKMART_RAW_FORMAT": "csv"}

    built = run_cli("build", "--vars", "{csv_decimal_separator: ','}", *STAGING_ONLY, env=env)
    assert "Empty files, read as no rows: 2" in built.stdout

    assert quarantine_counts(broken_bank.duckdb_path) == quarantine_counts(built_bank.duckdb_path)
    with (
        duckdb.connect(str(broken_bank.duckdb_path), read_only=True) as from_csv,
        duckdb.connect(str(built_bank.duckdb_path), read_only=True) as from_parquet,
    ):
        for model in STAGING_CONTRACT:
            query = f"select * from staging.{model} order by all"
            if model == "stg_core__account_balances":
                # loaded_at is when each build read the row: the two builds ran at different times
                query = f"select * exclude (loaded_at) from staging.{model} order by all"
            if model == "stg_core__transactions":
                # loaded_at is when each build read the row: the two builds ran at different times
                query = (
                    f"select * exclude (loaded_at) from staging.{model} where transaction_id not in ("
                    "select source_row_key from quarantine.quarantined_rows "
                    "where reason_code = 'duplicate_id') order by all"
                )
            assert from_csv.execute(query).fetchall() == from_parquet.execute(query).fetchall(), model


@pytest.mark.dbt
def test_customers_in_empty_csv_files_stop_the_build_naming_them(broken_bank: Bank) -> None:
    shutil.rmtree(broken_bank.raw_dir)
    (broken_bank.raw_dir / "customers").mkdir(parents=True)
    (broken_bank.raw_dir / "customers" / "part-00000.csv").write_bytes(b"")
    env = {**broken_bank.env, "BANKMART_RAW_FORMAT": "csv"}
    refused = run_cli("build", *STAGING_ONLY, env=env, check=False)
    assert refused.returncode != 0
    assert "raw table customers: every file is empty (" in refused.stdout, refused.stdout[-3000:]
    assert "customers/part-00000.csv" in refused.stdout
    assert not MODEL_STARTED.search(refused.stdout)


@pytest.mark.dbt
def test_latin1_csv_files_are_read_in_the_encoding_set(broken_bank: Bank) -> None:
    """A Latin-1 (or Windows cp1252) export: read as UTF-8, the build stops at the raw check,
    before any model, naming the file and the setting that reads it; with
    BANKMART_CSV_ENCODING=latin-1 the names come out as written."""
    raw = broken_bank.raw_dir
    shutil.rmtree(raw)
    (raw / "customers").mkdir(parents=True)
    names = ["Zoë Fernandes", "José Rao", "Asha Rao"]
    lines = ["customer_id,full_name,city"] + [
        f'C{i},"{name}",Mumbai' for i, name in enumerate(names, start=1)
    ]
    (raw / "customers" / "part-00000.csv").write_bytes(
        ("\r\n".join(lines) + "\r\n").encode("latin-1")
    )
    env = {**broken_bank.env, "BANKMART_RAW_FORMAT": "csv"}

    refused = run_cli("build", *STAGING_ONLY, env=env, check=False)
    assert refused.returncode != 0
    assert "customers/part-00000.csv" in refused.stdout, refused.stdout[-3000:]
    assert "BANKMART_CSV_ENCODING=latin-1" in refused.stderr, refused.stderr
    assert not MODEL_STARTED.search(refused.stdout)

    run_cli("build", *STAGING_ONLY, env=env | {"BANKMART_CSV_ENCODING": "latin-1"})
    with duckdb.connect(str(broken_bank.duckdb_path), read_only=True) as con:
        assert con.execute(
            "select full_name from staging.stg_core__customers order by customer_id"
        ).fetchall() == [(name,) for name in names]


@pytest.mark.dbt
def test_reconciliation_follows_each_raw_row_not_only_the_counts(broken_bank: Bank) -> None:
    """One clean row lost and another doubled keeps raw = clean + quarantined in counts; the
    fingerprint reconciliation must still catch it (a count-only test would pass)."""
    with duckdb.connect(str(broken_bank.duckdb_path)) as con:
        kept, doubled = con.execute(
            "select transaction_id from staging.base_core__transactions "
            "where quarantine_reason is null order by transaction_id limit 2"
        ).fetchall()

        con.execute("delete from staging.base_core__transactions where transaction_id = ?", [kept[0]])
        con.execute(
            "insert into staging.base_core__transactions "
            "select * from staging.base_core__transactions where transaction_id = ?", [doubled[0]]
        )
    proc = subprocess.run(
        [str(BIN / "dbt"), "test", "--select", "source:core.transactions,test_name:raw_rows_reconcile"],
        env={**broken_bank.env, "DBT_PROFILES_DIR": str(PROJECT_DIR)},
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    assert proc.returncode == 1, output(proc)[-3000:]
    assert re.search(r"FAIL 1 source_raw_rows_reconcile_core_transactions", output(proc)), output(proc)[-3000:]


#: Raw date values written every way the profile must read, mostly around its short way for
#: year-first values (their first 10 characters): spaces (plain and no-break) before, after and
#: inside the first 10 characters, a bare month with and without text after it, day-first and
#: slashed year-first values, text.
PROFILED_DATES = [
    "2024-05-01 10:00:00", "2024-05-01T10:00", "2024-05-01", " 2024-05-01", "2024-05-01   ",
    "  2024-05-01 10:00  ", "2024-05-0 1", "2024-05-0 ", "2024-05-  ", "2024-05-\u00a0\u00a0",
    "\u00a02024-05-01", "\u00a0024-05-01x", "2024-05-01\u3000", "\t2024-05-01", "2024-13-01",
    "2024-05", "2024-05 10:00", " 2024-05 ", "2024/5/1", "2024/5/1 10:00", "21/10/2016",
    " 21/10/2016 10:00", "2/8/16", "10.21.2016", "xxxx-xx-xx", "0001-01-01", "", "   ", "abc",
    "ab24-05-0 1\u00e9",
]

#: What DuckDB's trim() removes from either end: Unicode space separators (a tab stays).
SPACES = "".join(ch for ch in map(chr, range(0x3001)) if unicodedata.category(ch) == "Zs")

_DAY_MONTH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]|$)", re.ASCII)
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.]\d{1,2}(?:[ T]|$)", re.ASCII)
_BARE_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$", re.ASCII)


def expected_profile(values: list[str]) -> dict[tuple, int]:
    """base_core__date_profile's rows for one column, from its documented rule: a value, its
    spaces trimmed, is cut after 10 characters when written ####-##-## (any characters at the
    #s), else at its first space; its date part then takes the first form that fits."""

    def number(text: str) -> int | None:
        try:
            return int(text)
        except ValueError:
            return None

    counts: dict[tuple, int] = {}
    for raw in values:
        value = raw.strip(SPACES)
        iso_shaped = len(value) >= 10 and value[4] == "-" and value[7] == "-"
        date = value[:10] if iso_shaped else value.split(" ")[0]
        if iso_shaped:
            row = ("ymd", date[:4], number(date[5:7]), None)
        elif match := _YEAR_FIRST.match(date):
            row = ("ymd", match[1], int(match[2]), None)
        elif len(date) == len(value) and (match := _BARE_MONTH.match(date)):
            row = ("ym", match[1], int(match[2]), None)
        elif match := _DAY_MONTH.match(date):
            row = ("dm", match[3], int(match[1]), int(match[2]))
        else:
            continue
        counts[row] = counts.get(row, 0) + 1
    return counts


@pytest.mark.dbt
def test_the_date_profile_reads_every_written_form(broken_bank: Bank) -> None:
    """The profile that decides day/month order and the data window, checked against its rule
    in Python on values written every way, the usual year-first ones among them."""
    partition = sorted((broken_bank.raw_dir / "transactions").rglob("*.parquet"))[0]
    table = pq.read_table(partition)
    planted = [PROFILED_DATES[i % len(PROFILED_DATES)] for i in range(table.num_rows)]
    column = table.schema.get_field_index("transaction_at")
    pq.write_table(table.set_column(column, "transaction_at", pa.array(planted, pa.string())), partition)

    run_cli("build", "--select", "base_core__date_profile", env=broken_bank.env)

    with duckdb.connect(str(broken_bank.duckdb_path), read_only=True) as con:
        values = [row[0] for row in con.execute(
            f"select transaction_at from read_parquet('{raw_glob(broken_bank.raw_dir, 'transactions')}', "
            "union_by_name = true) where transaction_at is not null"
        ).fetchall()]
        profiled = {
            (form, year, first, second): count
            for form, year, first, second, count in con.execute(
                "select form, year_text, first_field, second_field, value_count "
                "from staging.base_core__date_profile "
                "where table_name = 'transactions' and column_name = 'transaction_at'"
            ).fetchall()
        }
    expected = expected_profile(values)
    assert profiled == expected, (
        sorted(set(profiled.items()) ^ set(expected.items()), key=str)[:20]
    )
    # The planted forms are all there: day-first, bare months, slashed and shifted ISO values.
    assert {row[0] for row in expected} == {"ymd", "ym", "dm"}


#: Raw ids written every way the text rule must read ({i} makes each one unique): single
#: spaces inside, which plain ASCII text may keep without a regular expression, beside runs of
#: spaces, spaces at either end, control whitespace, Unicode spaces and invisible characters.
CLEANED_TEXTS = [
    "T{i}", "T {i}", "T a {i}", "T  {i}", " T{i}", "T{i} ", "  T {i}  ", "T\t{i}", "T\n{i}",
    "T\f{i}", "T\r{i}", "T\v{i}", "\v T{i}", "T \t {i}", "T\u00a0{i}", "T \u00a0{i}",
    "T\u3000\u3000{i}", "T\u2028{i}", "\u00a0T{i}\u00a0", "T\u200b{i}", "\u200bT {i}",
    "T\u00ad {i}\u2060", "T\ufeff {i}", "T\u00e9 {i}", "T\u00e9  {i}", "", " ", "  ", "\t",
    "\u200b", "\u00a0 ", "\v",
]

#: What the text rule counts as whitespace: space, tab, line feed, vertical tab, form feed,
#: carriage return, and Unicode's separators (\p{Z}).
WHITESPACE_RUN = re.compile(
    "[\t\n\v\f\r"
    + "".join(ch for ch in map(chr, range(0x3001)) if unicodedata.category(ch) in ("Zs", "Zl", "Zp"))
    + "]+"
)
INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def expected_clean_text(raw: str) -> str | None:
    """clean_text()'s documented rule: invisible characters removed, every run of whitespace
    one space, trimmed, NULL when empty."""
    return WHITESPACE_RUN.sub(" ", INVISIBLE.sub("", raw)).strip(" ") or None


@pytest.mark.dbt
def test_the_text_rule_cleans_every_written_form(broken_bank: Bank) -> None:
    """Staged ids against the text rule in Python, for values written every way: the plain
    ones take a short way through clean_text() that must give what the rule gives."""
    partition = sorted((broken_bank.raw_dir / "transactions").rglob("*.parquet"))[0]
    table = pq.read_table(partition)
    planted = [CLEANED_TEXTS[i % len(CLEANED_TEXTS)].format(i=i) for i in range(table.num_rows)]
    column = table.schema.get_field_index("transaction_id")
    pq.write_table(table.set_column(column, "transaction_id", pa.array(planted, pa.string())), partition)

    run_cli("build", "--select", "base_core__transactions", "quarantined_rows", "--full-refresh", env=broken_bank.env)

    with duckdb.connect(str(broken_bank.duckdb_path), read_only=True) as con:
        staged = con.execute(
            "select source_file_row_number, transaction_id from staging.base_core__transactions "
            "where source_file_name = ? order by source_file_row_number",
            [str(partition)],
        ).fetchall()
    assert [row for row, _ in staged] == list(range(len(planted)))
    wrong = [
        (raw, cleaned, expected_clean_text(raw))
        for raw, (_, cleaned) in zip(planted, staged, strict=True)
        if cleaned != expected_clean_text(raw)
    ]
    assert not wrong, wrong[:20]
    # Both ways through clean_text() were taken: plain ids, and ids that needed cleaning.
    assert any(raw == cleaned and " " in raw for raw, (_, cleaned) in zip(planted, staged, strict=True))
    assert any(raw != cleaned for raw, (_, cleaned) in zip(planted, staged, strict=True))
