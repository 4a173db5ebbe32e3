"""Incremental builds (issue 5 section 3) give exactly the tables of a full refresh.

A small dirty bank is built with its last month of transactions and of balances held back; then
the last month arrives together with an extra delivery file of late and dirty transactions (an
exact copy and a conflicting copy of already-loaded ids, a valid row for an id whose loaded row
was quarantined, bad amounts, an orphan account, an empty id, rows dated months back) and one of
balances (an exact and a conflicting copy of loaded account-months, an unknown account), and an
incremental build runs. A full refresh of the same final raw folder into another DuckDB file is
the reference: every staging, marts, ml and quarantine table must match it row for row, except
the bookkeeping column loaded_at (when the build that wrote a row started).

Doubles are compared to 1e-9 relative: DuckDB sums doubles in parallel, in no fixed order, so
two full refreshes of the same files already differ in the last bits of sums (customer_features
and everything computed from it).

The risk classifier outputs (ml.ml_risk_classifiers and the marts over it) are compared on their
keys only: python_models/ml/ml_risk_classifiers.py fetches its training set without an ORDER BY,
so two full refreshes of the same files already draw different train/test splits there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import BIN, PROJECT_DIR, bank_env, generate_bank

# Outputs of the risk classifiers: not reproducible between two full refreshes (see above).
ROW_ORDER_DEPENDENT = {
    ("ml", "ml_risk_classifiers"): ["model", "customer_id"],
    ("marts", "customer_risk_predictions"): ["customer_id", "model"],
    ("marts", "risk_feature_importances"): ["model", "feature"],
    ("marts", "risk_model_metrics"): ["model", "metric"],
}
BOOKKEEPING_COLUMNS = {"loaded_at"}
# staging holds the only stored copy of each transaction and balance (the facts are views)
COMPARED_SCHEMAS = ("staging", "marts", "ml", "quarantine")


def dbt(env: dict[str, str], *args: str) -> None:
    """Run the real dbt of this venv in the project, failing the test with dbt's output."""
    proc = subprocess.run(
        [str(BIN / "dbt"), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-8000:]}")


def build_models(env: dict[str, str], *extra: str) -> None:
    """Seeds and models without the data tests: this file tests contents, the suite tests rules."""
    dbt(env, "build", "--exclude-resource-type", "test", "unit_test", *extra)


def write_late_and_dirty_batch(raw_dir: Path, path: Path) -> dict[str, str]:
    """An extra delivery file of transactions, made of rows of the loaded months changed so that
    each planted case is known; returns the ids of the cases by name."""
    con = duckdb.connect()
    files = sorted(str(p) for p in (raw_dir / "transactions").glob("*/*.parquet"))
    months = sorted({Path(f).parent.name for f in files})
    first, second = (f for f in files if Path(f).parent.name in months[:2])
    rows = f"read_parquet(['{first}', '{second}'], hive_partitioning = false)"
    # The contract columns in file order, with the types the generator writes.
    schema = con.execute(f"describe select * from read_parquet('{first}', hive_partitioning = false)").fetchall()
    clean = con.execute(
        f"""
        select * from {rows}
        where amount > 0 and amount < 1000000 and transaction_id is not null
            and try_cast(transaction_at as timestamp) is not null
            and transaction_id in (select transaction_id from {rows} group by 1 having count(*) = 1)
        order by transaction_id
        """
    ).df()
    old_quarantined = con.execute(
        f"select * from {rows} where amount <= 0 and transaction_id is not null order by transaction_id limit 1"
    ).df()
    assert len(clean) > 40 and len(old_quarantined) == 1, "the small bank should have clean and dirty rows"

    second_month = months[1].split("=")[1]
    late = clean[clean["transaction_at"].str.startswith(second_month)].head(20).copy()
    late["transaction_id"] = [f"TLATE{i:04d}" for i in range(len(late))]
    exact_copy = clean.iloc[[0]].copy()
    conflicting_copy = clean.iloc[[1]].copy()
    conflicting_copy["amount"] = conflicting_copy["amount"] + 1
    revived = clean.iloc[[2]].copy()
    revived["transaction_id"] = old_quarantined["transaction_id"].iloc[0]
    negative = clean.iloc[[3]].copy()
    negative["transaction_id"], negative["amount"] = "TBADAMT1", -10.0
    absurd = clean.iloc[[4]].copy()
    absurd["transaction_id"], absurd["amount"] = "TBADAMT2", 9.9e12
    orphan = clean.iloc[[5]].copy()
    orphan["transaction_id"], orphan["account_id"] = "TORPHAN1", "A_NOT_AN_ACCOUNT"
    no_id = clean.iloc[[6]].copy()
    no_id["transaction_id"] = None
    batch = pd.concat([late, exact_copy, conflicting_copy, revived, negative, absurd, orphan, no_id])
    con.register("batch", batch)
    typed = ", ".join(f'cast("{name}" as {data_type}) as "{name}"' for name, data_type, *_ in schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy (select {typed} from batch) to '{path}' (format parquet)")
    con.close()
    return {
        "late": str(late["transaction_id"].iloc[0]),
        "exact_copy": str(exact_copy["transaction_id"].iloc[0]),
        "conflicting_copy": str(conflicting_copy["transaction_id"].iloc[0]),
        "revived": str(revived["transaction_id"].iloc[0]),
        "revived_was": str(old_quarantined["transaction_id"].iloc[0]),
    }


def write_late_balances(raw_dir: Path, path: Path) -> dict[str, str]:
    """An extra delivery file of balances: an exact copy and a conflicting copy (balance + 1) of
    account-months the first build loaded, and a row of an account the bank does not have."""
    con = duckdb.connect()
    [first] = sorted(str(p) for p in (raw_dir / "account_balances").glob("*/*.parquet"))[:1]
    rows = con.execute(
        f"""
        select * from read_parquet('{first}', hive_partitioning = false)
        where try_cast(balance as double) is not null and account_id is not null
            and (account_id, balance_month) in (
                select (account_id, balance_month)
                from read_parquet('{first}', hive_partitioning = false)
                group by all
                having count(*) = 1
            )
        order by account_id
        limit 3
        """
    ).df()
    assert len(rows) == 3, "the small bank should have clean balances"
    rows.loc[1, "balance"] = rows.loc[1, "balance"] + 1
    rows.loc[2, "account_id"] = "A_NOT_AN_ACCOUNT"
    con.register("batch", rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"copy (select * from batch) to '{path}' (format parquet)")
    con.close()
    return {
        "exact_copy": f"{rows.loc[0, 'account_id']}|{rows.loc[0, 'balance_month']}",
        "conflicting_copy": f"{rows.loc[1, 'account_id']}|{rows.loc[1, 'balance_month']}",
    }


def table_columns(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    rows = con.execute(
        f"""
        select schema_name, table_name, column_name, data_type
        from duckdb_columns()
        where database_name = '{database}' and schema_name in {COMPARED_SCHEMAS}
            -- tables only: a view (the semantic layer's customer_month_kpis) names the build
            -- file's own catalog, so it cannot be read under another alias, and it holds no rows
            -- of its own (the tables it reads are compared)
            and (schema_name, table_name) in (
                select (schema_name, table_name) from duckdb_tables() where database_name = '{database}'
            )
        order by schema_name, table_name, column_index
        """
    ).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault((schema, table), []).append((column, data_type))
    return tables


def differences(incremental: Path, reference: Path) -> dict[str, str]:
    """Every compared table whose rows differ, with what differs; empty when all match."""
    con = duckdb.connect()
    con.execute(f"attach '{incremental}' as incremental (read_only)")
    con.execute(f"attach '{reference}' as reference (read_only)")
    found = table_columns(con, "incremental")
    expected = table_columns(con, "reference")
    problems: dict[str, str] = {}
    if set(found) != set(expected):
        problems["tables"] = f"{sorted(set(found) ^ set(expected))} only on one side"
    for (schema, table), columns in expected.items():
        name = f"{schema}.{table}"
        if found.get((schema, table)) != columns:
            problems[name] = f"columns differ: {found.get((schema, table))} vs {columns}"
            continue
        compared = [(c, t) for c, t in columns if c not in BOOKKEEPING_COLUMNS]
        if (schema, table) in ROW_ORDER_DEPENDENT:
            compared = [(c, t) for c, t in compared if c in ROW_ORDER_DEPENDENT[(schema, table)]]
        select = ", ".join(f'"{c}"' for c, _ in compared)
        order = ", ".join(f'round("{c}", 6)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in compared)
        left = con.execute(f"select {select} from incremental.{schema}.{table} order by {order}").df()
        right = con.execute(f"select {select} from reference.{schema}.{table} order by {order}").df()
        if len(left) != len(right):
            problems[name] = f"{len(left)} rows vs {len(right)} in the full refresh"
            continue
        bad_columns = []
        for column, data_type in compared:
            a, b = left[column], right[column]
            if data_type in ("DOUBLE", "FLOAT"):
                same = np.isclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-12, equal_nan=True)
            else:
                same = ((a == b) | (a.isna() & b.isna())).to_numpy()
            if not same.all():
                bad_columns.append(f"{column} ({int((~same).sum())} rows)")
        if bad_columns:
            problems[name] = ", ".join(bad_columns)
    con.close()
    return problems


def compiled_base_sql(target: Path, model: str = "base_core__transactions") -> str:
    [path] = target.glob(f"compiled/bankmart/models/staging/core/base/{model}.sql")
    return path.read_text()


@pytest.fixture(scope="module")
def increment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A bank built with its last month held back, then built again incrementally with the last
    month and a late, dirty extra file; plus a full refresh of the final files for reference."""
    root = tmp_path_factory.mktemp("incremental")
    bank = generate_bank(root, customers=300, months=6, seed=11, dirty_rate=0.02)
    partitions = sorted((bank.raw_dir / "transactions").iterdir())
    balance_partitions = sorted((bank.raw_dir / "account_balances").iterdir())
    assert partitions[-1].name.split("=")[1] == balance_partitions[-1].name.split("=")[1]
    held_back = root / "held_back"
    for table, last in (("transactions", partitions[-1]), ("account_balances", balance_partitions[-1])):
        (held_back / table).mkdir(parents=True)
        shutil.move(last, held_back / table / last.name)

    build_models(bank.env)
    for table, last in (("transactions", partitions[-1]), ("account_balances", balance_partitions[-1])):
        shutil.move(held_back / table / last.name, last)
    extra_file = partitions[-1] / "part-99999.parquet"
    cases = write_late_and_dirty_batch(bank.raw_dir, extra_file)
    balance_cases = write_late_balances(bank.raw_dir, balance_partitions[-1] / "part-99999.parquet")
    build_models(bank.env)

    reference_env = bank_env(root / "reference")
    reference_env["BANKMART_RAW_DIR"] = str(bank.raw_dir)
    build_models(reference_env, "--full-refresh")
    return {
        "bank": bank,
        "cases": cases,
        "balance_cases": balance_cases,
        "new_balance_files": [str(p) for p in sorted(balance_partitions[-1].glob("*.parquet"))],
        "reference": Path(reference_env["BANKMART_DUCKDB_PATH"]),
        "new_files": [str(p) for p in sorted(partitions[-1].glob("*.parquet"))],
        "old_partitions": [p.name for p in partitions[:-1]],
    }


def test_incremental_build_equals_full_refresh(increment: dict[str, object]) -> None:
    bank = increment["bank"]
    assert differences(bank.duckdb_path, increment["reference"]) == {}


def test_incremental_build_read_only_the_new_files(increment: dict[str, object]) -> None:
    sql = compiled_base_sql(Path(increment["bank"].env["DBT_TARGET_PATH"]))
    read = re.findall(r"read_parquet\(\[([^\]]*)\]", sql)
    assert read, "the incremental build reads an explicit file list"
    for file_list in read:  # the duplicate-key pass and the row passes read the same new files
        assert re.findall(r"'([^']+)'", file_list) == increment["new_files"]
    assert "**" not in sql
    assert not any(partition in sql for partition in increment["old_partitions"])
    balances_sql = compiled_base_sql(Path(increment["bank"].env["DBT_TARGET_PATH"]), "base_core__account_balances")
    read = re.findall(r"read_parquet\(\[([^\]]*)\]", balances_sql)
    assert read and "**" not in balances_sql
    for file_list in read:
        assert re.findall(r"'([^']+)'", file_list) == increment["new_balance_files"]


def quarantine_reasons(con: duckdb.DuckDBPyConnection, source_table: str) -> dict[str, int]:
    """Quarantined rows of one raw table, as {'<source_row_key>:<reason_code>': rows}."""
    return dict(
        con.execute(
            """
            select source_row_key || ':' || reason_code, count(*)
            from quarantine.quarantined_rows
            where source_table = ?
            group by 1
            """,
            [source_table],
        ).fetchall()
    )


def load_batches(con: duckdb.DuckDBPyConnection, base_model: str) -> int:
    """How many builds wrote the rows of an incremental base model (distinct loaded_at)."""
    return con.execute(f"select count(distinct loaded_at) from staging.{base_model}").fetchone()[0]


def test_planted_cases_are_handled_as_a_full_refresh_would(increment: dict[str, object]) -> None:
    """The cases the extra file plants are really there (so the equality above covers them)."""
    cases = increment["cases"]
    con = duckdb.connect(str(increment["bank"].duckdb_path), read_only=True)
    reasons = quarantine_reasons(con, "transactions")
    late_in_facts = con.execute(
        "select count(*) from marts.fct_transactions where transaction_id like 'TLATE%'"
    ).fetchone()[0]
    revived_kept = con.execute(
        "select count(*) from marts.fct_transactions where transaction_id = ?", [cases["revived"]]
    ).fetchone()[0]
    batches = load_batches(con, "base_core__transactions")
    balance_reasons = quarantine_reasons(con, "account_balances")
    balance_batches = load_batches(con, "base_core__account_balances")
    con.close()
    balance_cases = increment["balance_cases"]
    assert balance_reasons.get(f"{balance_cases['exact_copy']}:duplicate_row") == 1
    assert balance_reasons.get(f"{balance_cases['conflicting_copy']}:duplicate_id") == 1
    assert balance_batches == 2, "the second build appended balances to the first"
    assert reasons.get(f"{cases['exact_copy']}:duplicate_row") == 1
    assert reasons.get(f"{cases['conflicting_copy']}:duplicate_id") == 1
    assert reasons.get(f"{cases['revived']}:duplicate_id") == 1, "the old invalid row loses to the new valid one"
    assert reasons.get("TBADAMT1:non_positive_amount") == 1
    assert reasons.get("TBADAMT2:absurd_amount") == 1
    assert reasons.get("TORPHAN1:orphan_account") == 1
    assert late_in_facts >= 10 and revived_kept == 1
    assert batches == 2, "the second build appended to the first instead of rebuilding"


def test_rows_lost_outside_the_new_batch_fail_the_incremental_build(
    increment: dict[str, object], tmp_path: Path
) -> None:
    """assert_facts_reconcile_with_last_build, on a copy of the incremental warehouse: an
    incremental build that lost nothing passes it; once rows an earlier build loaded vanish
    from the stored transactions, the next incremental build fails it."""
    env = dict(increment["bank"].env)
    env["BANKMART_DUCKDB_PATH"] = str(tmp_path / "bankmart.duckdb")
    env["DBT_TARGET_PATH"] = str(tmp_path / "target")
    env["DBT_LOG_PATH"] = str(tmp_path / "logs")
    shutil.copy(increment["bank"].duckdb_path, tmp_path / "bankmart.duckdb")

    def reconciliation() -> tuple[str, int]:
        subprocess.run(
            [str(BIN / "dbt"), "build", "--select", "base_core__transactions",
             "base_core__account_balances", "fct_transactions", "fct_account_balances_monthly",
             "assert_facts_reconcile_with_last_build", "--exclude-resource-type", "unit_test",
             "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
            env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
        )
        results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
        [result] = [r for r in results if ".assert_facts_reconcile_with_last_build" in r["unique_id"]]
        return result["status"], result["failures"]

    assert reconciliation() == ("pass", 0)
    with duckdb.connect(env["BANKMART_DUCKDB_PATH"]) as con:
        con.execute(
            "delete from staging.base_core__transactions where transaction_id in ("
            "select transaction_id from staging.base_core__transactions order by 1 limit 3)"
        )
    assert reconciliation() == ("fail", 1)


def test_out_of_order_file_reloads_and_still_matches(increment: dict[str, object]) -> None:
    """A file dropped into an old month's folder sorts before loaded files: the build reloads."""
    bank = increment["bank"]
    old_folder = bank.raw_dir / "transactions" / increment["old_partitions"][0]
    write_late_and_dirty_batch(bank.raw_dir, old_folder / "part-00001.parquet")
    build_models(bank.env)
    reference_env = bank_env(bank.root / "reference_2")
    reference_env["BANKMART_RAW_DIR"] = str(bank.raw_dir)
    build_models(reference_env, "--full-refresh")
    assert differences(bank.duckdb_path, Path(reference_env["BANKMART_DUCKDB_PATH"])) == {}
    sql = compiled_base_sql(Path(bank.env["DBT_TARGET_PATH"]))
    assert "**/*.parquet" in sql, "the reload reads every file"

