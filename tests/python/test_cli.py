"""The `bankmart` command as a user runs it: the installed script, in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import bank_env, run_cli


def test_top_level_help_lists_generate(tmp_path: Path) -> None:
    proc = run_cli("--help", env=bank_env(tmp_path))
    assert "generate" in proc.stdout
    assert "deterministic synthetic bank" in proc.stdout


def test_generate_help_lists_every_option(tmp_path: Path) -> None:
    proc = run_cli("generate", "--help", env=bank_env(tmp_path))
    for option in ("--customers", "--transactions", "--months", "--seed", "--start-month",
                   "--dirty-rate", "--out", "--force"):
        assert option in proc.stdout, option
    assert "2026-10" in proc.stdout  # the fixed default window end is documented


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--customers", "0"], "--customers"),
        (["--customers", "lots"], "--customers"),
        (["--months", "0"], "--months"),
        (["--dirty-rate", "1"], "--dirty-rate"),
        (["--start-month", "2025-13"], "--start-month"),
        (["--seed", "-1"], "--seed"),
        (["--customers", "10", "--transactions", "1000"], "--transactions"),
    ],
)
def test_bad_values_exit_2_naming_the_option(tmp_path: Path, args: list[str], option: str) -> None:
    out = tmp_path / "bank"
    proc = run_cli("generate", *args, "--out", str(out), env=bank_env(tmp_path), check=False)
    assert proc.returncode == 2, proc.stderr
    assert option in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_generate_writes_a_bank_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    out = tmp_path / "bank"
    env = bank_env(tmp_path)
    proc = run_cli("generate", "--customers", "60", "--months", "3", "--start-month", "2023-01",
                   "--seed", "3", "--out", str(out), env=env)
    # Progress on stderr, summary of row counts on stdout.
    assert "chunk 1/1" in proc.stderr
    manifest = json.loads((out / "raw" / "_manifest.json").read_text())
    for table, count in manifest["row_counts"].items():
        assert table in proc.stdout and f"{count:,}" in proc.stdout
    assert (manifest["parameters"]["start_month"], manifest["parameters"]["end_month"]) == (
        "2023-01",
        "2023-03",
    )
    partitions = sorted(p.name for p in (out / "raw" / "transactions").iterdir())
    assert partitions == ["txn_month=2023-01", "txn_month=2023-02", "txn_month=2023-03"]
    assert (out / "ground_truth" / "customers.parquet").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    again = run_cli("generate", "--customers", "70", "--out", str(out), env=env, check=False)
    assert again.returncode == 2
    assert "--out" in again.stderr and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert json.loads((out / "raw" / "_manifest.json").read_text()) == manifest

    run_cli("generate", "--customers", "70", "--months", "2", "--out", str(out), "--force", env=env)
    replaced = json.loads((out / "raw" / "_manifest.json").read_text())
    assert replaced["parameters"]["customers"] == 70
    assert replaced["parameters"]["end_month"] == "2026-10"


def test_out_pointing_at_a_raw_folder_is_refused(tmp_path: Path) -> None:
    proc = run_cli("generate", "--customers", "5", "--out", str(tmp_path / "demo" / "raw"),
                   env=bank_env(tmp_path), check=False)
    assert proc.returncode == 2
    assert "--out" in proc.stderr and str(tmp_path / "demo") in proc.stderr
    assert not (tmp_path / "demo").exists()


def test_transactions_option_sizes_the_bank(tmp_path: Path) -> None:
    out = tmp_path / "bank"
    run_cli("generate", "--transactions", "5000", "--months", "6", "--out", str(out),
            env=bank_env(tmp_path))
    manifest = json.loads((out / "raw" / "_manifest.json").read_text())
    assert manifest["parameters"]["transactions"] == 5000
    assert manifest["parameters"]["customers"] == 200
    assert 4000 < manifest["row_counts"]["transactions"] < 6000


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--transactions", "ten"], "--transactions"),
        (["--pandas-max", "lots"], "--pandas-max"),
        (["--polars-max", "1.5"], "--polars-max"),
        (["--incremental-max", "0"], "--incremental-max"),
    ],
)
def test_bench_bad_sizes_exit_2_naming_the_option(tmp_path: Path, args: list[str], option: str) -> None:
    out = tmp_path / "results"
    proc = run_cli("bench", *args, "--out", str(out), "--data-dir", str(tmp_path / "data"),
                   env=bank_env(tmp_path), check=False)
    assert proc.returncode == 2, proc.stderr
    assert option in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "data").exists()


def test_spark_build_takes_the_as_of_date_from_the_manifest(tmp_path: Path) -> None:
    """Spark's file listing hides _manifest.json, so `bankmart build --target spark` passes its
    as-of date as var as_of_timestamp, unless the user set one; other vars are kept."""
    from bankmart.build import spark_vars
    from bankmart.errors import BankmartError

    raw = tmp_path / "raw"
    raw.mkdir()
    assert spark_vars(raw, None) is None
    (raw / "_manifest.json").write_text(json.dumps({"as_of_date": "2026-10-31"}))
    assert json.loads(spark_vars(raw, None)) == {"as_of_timestamp": "2026-10-31 23:59:59.999999"}
    assert json.loads(spark_vars(raw, "raw_format: csv")) == {
        "raw_format": "csv",
        "as_of_timestamp": "2026-10-31 23:59:59.999999",
    }
    assert json.loads(spark_vars(raw, "as_of_timestamp: '2025-01-01 12:00:00'")) == {
        "as_of_timestamp": "2025-01-01 12:00:00"
    }
    (raw / "_manifest.json").write_text(json.dumps({"as_of_date": "not a date"}))
    assert spark_vars(raw, None) is None
    with pytest.raises(BankmartError, match="--vars must be a YAML mapping"):
        spark_vars(raw, "[1, 2]")


def test_publishing_a_spark_build_that_does_not_exist_says_so(tmp_path: Path) -> None:
    """`bankmart publish --target spark` before any Spark build: a message naming the folder
    and the command to run, no traceback, nothing written to the serving folder."""
    env = {**bank_env(tmp_path), "BANKMART_SPARK_DIR": str(tmp_path / "no_spark_here")}
    proc = run_cli("publish", "--target", "spark", env=env, check=False)
    assert proc.returncode != 0
    assert "no Spark build in" in proc.stderr and "bankmart build --target spark" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "serving" / "bankmart.duckdb").exists()


def test_build_summary_warns_of_a_table_that_lost_most_rows_to_quarantine(tmp_path: Path) -> None:
    """A green build whose transactions are nearly all quarantined (a whole column in another
    format, say) is called out with its main reason; a table that lost a few rows is not."""
    import duckdb

    from bankmart.build import summarise

    path = tmp_path / "bankmart.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema quarantine")
        con.execute(
            "create table marts.data_availability as select *, true as is_present, "
            "true as carries_information from (values "
            "('raw_table', 'transactions', null, 10, 4), ('raw_table', 'customers', null, 10, 9), "
            "('raw_column', 'transactions', 'amount', 4, 4)) "
            "as t(object_type, table_name, column_name, rows, values_present)"
        )
        con.execute(
            "create table quarantine.quarantined_rows as select * from (values "
            "('transactions', 'unparseable_number'), ('transactions', 'unparseable_number'), "
            "('transactions', 'unparseable_number'), ('transactions', 'orphan_account'), "
            "('transactions', 'future_dated'), ('transactions', 'unparseable_number'), "
            "('transactions', 'unparseable_number'), ('customers', 'missing_key')) "
            "as t(source_table, reason_code)"
        )
    warnings = [line for line in summarise(path).splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(
        "WARNING: transactions: 6 of 10 raw rows (60%) are quarantined, 5 as unparseable_number"
    )
    assert "csv_decimal_separator" in warnings[0]


@pytest.mark.parametrize(
    ("name", "value", "passed"),
    [("BANKMART_RAW_FORMAT", " CSV ", "csv"), ("BANKMART_CSV_ENCODING", "Latin1", "latin-1")],
)
def test_dbt_sees_the_raw_settings_as_a_plain_dbt_run_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, passed: str
) -> None:
    """Unset, they stay unset for dbt (so `dbt build` and `bankmart build` share dbt's parse:
    dbt re-parses when a variable its parse read changes); set, dbt gets the checked value."""
    from bankmart.settings import load_settings

    for key, path in bank_env(tmp_path).items():
        monkeypatch.setenv(key, path)
    monkeypatch.delenv(name, raising=False)
    assert name not in load_settings().dbt_env()
    monkeypatch.setenv(name, value)
    assert load_settings().dbt_env()[name] == passed
