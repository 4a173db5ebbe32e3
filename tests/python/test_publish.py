"""`bankmart publish`: what reaches readers, when it does, and what a reader sees meanwhile.

Most tests publish a small hand-made warehouse (fast, and each can plant exactly the fault it
checks); the last ones publish the real small bank that conftest builds with dbt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from bankmart import invocations
from bankmart import publish as publish_module
from bankmart.errors import BankmartError
from bankmart.publish import files as publish_files
from bankmart.settings import Settings
from conftest import PROJECT_DIR, Bank, run_cli

# ---------------------------------------------------------------------------------------------
# A small hand-made warehouse, shaped like dbt's output
# ---------------------------------------------------------------------------------------------


def make_warehouse(path: Path, customers: int = 50, txns: int = 400) -> None:
    """Marts, reference, plus the schemas that must never be served (staging, quarantine)."""
    con = duckdb.connect(str(path))
    try:
        for schema in ("marts", "reference", "staging", "intermediate", "quarantine"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("drop table if exists marts.dim_customer")
        con.execute(
            f"create table marts.dim_customer as select i + 1 as customer_key, "
            f"'C' || lpad(i::varchar, 5, '0') as customer_id, 20 + i % 50 as age, ['Pune', 'Jaipur'][1 + i % 2] as city "
            f"from range({customers}) t(i)"
        )
        con.execute("comment on table marts.dim_customer is 'One row per customer.'")
        con.execute("comment on column marts.dim_customer.age is 'Age in years.'")
        con.execute("drop table if exists marts.fct_transactions")
        con.execute(
            f"create table marts.fct_transactions as select 'T' || i as transaction_id, "
            f"1 + i % {customers} as customer_key, "
            f"(i * 1.25)::decimal(18, 2) as amount, date '2025-01-01' + (i % 90)::int "
            f"as transaction_date from range({txns}) t(i)"
        )
        con.execute("create or replace view marts.v_city_counts as "
                    "select city, count(*) as customers from marts.dim_customer group by city")
        con.execute("create or replace table reference.channels as "
                    "select * from (values ('online', 'Online'), ('atm_withdrawal', 'ATM')) "
                    "t(channel, channel_label)")
        con.execute("create or replace table staging.stg_core__customers as "
                    "select 'C00001' as customer_id, 'Asha Rao' as full_name, "
                    "date '1990-01-01' as birth_date")
        con.execute("create or replace table intermediate.int_x as select 1 as x")
        con.execute(
            "create or replace table quarantine.quarantined_rows as select * from (values "
            "('customers', '7', 'bad_birth_date', '{\"full_name\": \"Asha Rao\"}'), "
            "('customers', '8', 'bad_birth_date', null), "
            "('transactions', null, 'negative_amount', null)) "
            "t(source_table, source_row_key, reason_code, raw_record)"
        )
    finally:
        con.close()


def record_build(
    warehouse: Path, *, status: str = "success", command: str = "build", **fields: object
) -> str:
    """What dbt's hooks (macros/dbt_invocations.sql) write at the end of a run: one row of
    meta.dbt_invocations and, for a build, the row counts and shapes it left. Returns the
    invocation id."""
    invocation_id = str(uuid.uuid4())
    row = {
        "invocation_id": invocation_id, "command": command,
        "invocation_command": f"dbt {command}", "selected": None, "excluded": None,
        "selector": None, "resource_types": None, "is_full_refresh": False, "is_empty": False,
        "is_sample": False, "vars": None, "selected_nodes": 10, "project_nodes": 10,
        "dbt_version": "1.11.16", "started_at": datetime.now(UTC).replace(tzinfo=None),
        "finished_at": None if status == "running" else datetime.now(UTC).replace(tzinfo=None),
        "status": status, "result_counts": '{"success": 4, "pass": 6}', "failed_nodes": None,
        "message": None,
    } | fields
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists meta")
        con.execute(
            "create table if not exists meta.dbt_invocations (invocation_seq integer, "
            "invocation_id varchar, command varchar, invocation_command varchar, "
            "selected varchar, excluded varchar, selector varchar, resource_types varchar, "
            "is_full_refresh boolean, is_empty boolean, is_sample boolean, vars varchar, "
            "selected_nodes integer, project_nodes integer, dbt_version varchar, "
            "started_at timestamp, finished_at timestamp, status varchar, "
            "result_counts varchar, failed_nodes varchar, message varchar)"
        )
        con.execute(
            "create table if not exists meta.dbt_invocation_relations (invocation_id varchar, "
            "schema_name varchar, relation_name varchar, relation_type varchar, "
            "row_count bigint, structure_md5 varchar)"
        )
        seq = con.execute(
            "select coalesce(max(invocation_seq), 0) + 1 from meta.dbt_invocations"
        ).fetchone()[0]
        con.execute(
            f"insert into meta.dbt_invocations by name select {seq} as invocation_seq, "
            + ", ".join(f"${name} as {name}" for name in row),
            row,
        )
        if command == "build":
            catalog = con.execute("select current_database()").fetchone()[0]
            con.executemany(
                "insert into meta.dbt_invocation_relations values (?, ?, ?, ?, ?, ?)",
                [[invocation_id, schema, name, kind, rows, structure]
                 for (schema, name), (kind, rows, structure)
                 in invocations.current_relations(
                     con, catalog, invocations.served_schemas(PROJECT_DIR)).items()],
            )
    finally:
        con.close()
    return invocation_id


def settings_for(root: Path) -> Settings:
    return Settings(
        project_dir=PROJECT_DIR,
        data_dir=root,
        raw_dir=root / "raw",
        duckdb_path=root / "bankmart.duckdb",
        serving_dir=root / "serving",
    )


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BANKMART_PROJECT_DIR=str(PROJECT_DIR),
        BANKMART_DUCKDB_PATH=str(root / "bankmart.duckdb"),
        BANKMART_SERVING_DIR=str(root / "serving"),
        DBT_TARGET_PATH=str(root / "target"),
    )
    return env


@pytest.fixture()
def warehouse(tmp_path: Path) -> Settings:
    """A green hand-made build, not yet published."""
    make_warehouse(tmp_path / "bankmart.duckdb")
    record_build(tmp_path / "bankmart.duckdb")
    return settings_for(tmp_path)


def do_publish(settings: Settings, **kwargs: object) -> publish_module.PublishResult:
    return publish_module.publish(settings, **kwargs)


def serving_tables(path: Path) -> dict[tuple[str, str], int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() order by 1, 2"
        ).fetchall()
        return {
            (s, t): con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in names
        }
    finally:
        con.close()


def folder_digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
    }


# ---------------------------------------------------------------------------------------------
# What is published
# ---------------------------------------------------------------------------------------------


def test_publish_serves_marts_and_reference_only(warehouse: Settings) -> None:
    do_publish(warehouse)
    tables = serving_tables(warehouse.serving_path)
    schemas = {schema for schema, _ in tables}
    assert schemas == {"marts", "reference", "meta"}
    source = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    try:
        for (schema, name), rows in tables.items():
            if schema == "meta":
                continue
            assert rows == source.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        # The view of the build is served as a table with its rows.
        assert ("marts", "v_city_counts") in tables
    finally:
        source.close()
    con = duckdb.connect(str(warehouse.serving_path), read_only=True)
    try:
        # No column of any served table carries a direct identifier.
        columns = {r[0] for r in con.execute("select column_name from duckdb_columns()").fetchall()}
        assert not columns & {"full_name", "birth_date", "raw_record"}
        # dbt's persisted descriptions survive.
        assert con.execute(
            "select comment from duckdb_columns() where table_name = 'dim_customer' "
            "and column_name = 'age'"
        ).fetchone()[0] == "Age in years."
        summary = con.execute(
            "select source_table, reason_code, quarantined_rows from meta.quarantine_summary "
            "order by 1, 2"
        ).fetchall()
        assert summary == [("customers", "bad_birth_date", 2), ("transactions", "negative_amount", 1)]
    finally:
        con.close()


def test_parquet_files_match_the_served_tables(warehouse: Settings) -> None:
    result = do_publish(warehouse)
    files = sorted(p.name for p in warehouse.parquet_dir.iterdir())
    assert files == sorted(t.parquet_name for t in result.tables)
    con = duckdb.connect(str(warehouse.serving_path), read_only=True)
    try:
        listed = con.execute(
            "select schema_name, table_name, row_count from meta.published_tables"
        ).fetchall()
        served = serving_tables(warehouse.serving_path)
        # meta.published_tables lists the data tables of this publish with their counts.
        assert {(s, t): n for s, t, n in listed} == {
            k: n for k, n in served.items() if k[0] != "meta"
        }
        assert {(t.schema, t.name) for t in result.tables} == set(served)
        for table in result.tables:
            schema, name = table.schema, table.name
            parquet = str(warehouse.parquet_dir / f"{schema}__{name}.parquet")
            table_columns = con.execute(f'describe "{schema}"."{name}"').fetchall()
            parquet_columns = con.execute("describe select * from read_parquet(?)", [parquet]).fetchall()
            assert [c[:2] for c in parquet_columns] == [c[:2] for c in table_columns], parquet
            assert con.execute("select count(*) from read_parquet(?)", [parquet]).fetchone()[0] == served[(schema, name)]
            # Same rows, not just the same count.
            assert con.execute(
                f'select count(*) from (select * from "{schema}"."{name}" '
                f"except all select * from read_parquet(?))",
                [parquet],
            ).fetchone()[0] == 0
    finally:
        con.close()


def test_metadata_records_the_build_and_keeps_history(warehouse: Settings) -> None:
    con = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
    try:
        invocation_id, finished_at = con.execute(
            "select invocation_id, finished_at from meta.dbt_invocations"
        ).fetchone()
    finally:
        con.close()
    first = do_publish(warehouse)
    second = do_publish(warehouse)
    con = duckdb.connect(str(warehouse.serving_path), read_only=True)
    try:
        log = con.execute("select * from meta.publish_log order by publish_id").df()
    finally:
        con.close()
    assert list(log["publish_id"]) == [1, 2]
    assert list(log["published_at"]) == [first.published_at, second.published_at]
    assert log["build_finished_at"].iloc[-1] == finished_at
    assert log["dbt_invocation_id"].iloc[-1] == invocation_id
    assert log["dbt_command"].iloc[-1] == "build"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                          text=True).stdout.strip()
    assert log["git_revision"].iloc[-1] == (head or None)
    assert log["duckdb_version"].iloc[-1] == duckdb.__version__
    served = [t for t in second.tables if t.schema != "meta"]
    assert log["table_count"].iloc[-1] == len(served)
    assert log["total_rows"].iloc[-1] == sum(t.rows for t in served)


def _storage_number(path: Path) -> int:
    """The storage version number in a DuckDB file's main header (after checksum and magic)."""
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK", f"{path} is not a DuckDB file"
    return struct.unpack("<Q", header[12:20])[0]


@pytest.mark.parametrize("version", ["v1.4.0", "v1.1.0"])
def test_serving_file_has_the_requested_storage_version(
    warehouse: Settings, tmp_path: Path, version: str
) -> None:
    do_publish(warehouse, storage_version=version)
    reference = tmp_path / f"reference-{version}.duckdb"
    con = duckdb.connect()
    con.execute(f"attach '{reference}' as ref (storage_version '{version}')")
    con.execute("create table ref.t as select 1 as x")
    con.close()
    assert _storage_number(warehouse.serving_path) == _storage_number(reference)
    con = duckdb.connect(str(warehouse.serving_path), read_only=True)
    try:
        assert con.execute("select storage_version from meta.publish_log").fetchone()[0] == version
    finally:
        con.close()


def test_storage_versions_differ_in_the_header(tmp_path: Path) -> None:
    """Guards the test above: the header number does tell the formats apart."""
    numbers = []
    for version in ("v1.1.0", "v1.4.0"):
        con = duckdb.connect()
        con.execute(f"attach '{tmp_path / version}.duckdb' as ref (storage_version '{version}')")
        con.execute("create table ref.t as select 1 as x")
        con.close()
        numbers.append(_storage_number(tmp_path / f"{version}.duckdb"))
    assert numbers[0] < numbers[1]


def test_bad_storage_version_is_a_user_error(warehouse: Settings) -> None:
    proc = run_cli("publish", "--storage-version", "1.4", env=env_for(warehouse.data_dir),
                   check=False)
    assert proc.returncode == 2
    assert "--storage-version" in proc.stderr and "Traceback" not in proc.stderr
    assert not warehouse.serving_path.exists()


# ---------------------------------------------------------------------------------------------
# When nothing may be published
# ---------------------------------------------------------------------------------------------


def test_failed_build_does_not_publish(warehouse: Settings) -> None:
    env = env_for(warehouse.data_dir)
    run_cli("publish", env=env)
    before = folder_digest(warehouse.serving_dir / "parquet")
    served_before = hashlib.sha256(warehouse.serving_path.read_bytes()).hexdigest()

    make_warehouse(warehouse.duckdb_path, customers=60)  # the failed build changed the tables
    record_build(warehouse.duckdb_path, status="failed",
                 result_counts='{"success": 3, "error": 1, "skipped": 2, "pass": 4}',
                 failed_nodes="model.bankmart.node_1 (error)\ntest.bankmart.t_2 (skipped)")
    proc = run_cli("publish", env=env, check=False)
    assert proc.returncode == 2
    assert "failed: model.bankmart.node_1 (error), test.bankmart.t_2 (skipped) and 1 more" in (
        proc.stderr)
    assert "Traceback" not in proc.stderr
    assert hashlib.sha256(warehouse.serving_path.read_bytes()).hexdigest() == served_before
    assert folder_digest(warehouse.serving_dir / "parquet") == before


# Each case: the runs recorded after the green build of the `warehouse` fixture, and what the
# refusal must say (None: published).
RECORDS = {
    "killed build": ([dict(status="running")], "never finished"),
    "failed run": ([dict(command="run", status="failed", failed_nodes="model.x (error)")],
                   "failed: model.x (error)"),
    "green dbt run": ([dict(command="run")], "not a complete `dbt build`"),
    "green dbt seed": ([dict(command="seed")], "not a complete `dbt build`"),
    "select": ([dict(selected="staging", selected_nodes=4)], "partial (--select staging; 4 of"),
    "exclude": ([dict(excluded="tag:ml", selected_nodes=9)], "partial (--exclude tag:ml"),
    "selector": ([dict(selector="nightly", selected_nodes=9)], "partial (--selector nightly"),
    "resource type": ([dict(resource_types="--resource-type model", selected_nodes=4)],
                      "--resource-type model"),
    "resource types, one of them whole": (
        [dict(resource_types="--exclude-resource-type unit_test --exclude-resource-type seed",
              selected_nodes=9)], "--exclude-resource-type seed"),
    "unit tests left out": ([dict(resource_types="--exclude-resource-type unit_test")], None),
    "empty": ([dict(is_empty=True)], "--empty"),
    "test failed after": ([dict(command="test", status="failed", failed_nodes="test.y (fail)")],
                          "after the build and failed: test.y (fail)"),
    "test killed after": ([dict(command="test", status="running")],
                          "after the build and never finished"),
    "test passed after": ([dict(command="test")], None),
    "killed build, then green build": ([dict(status="running"), dict()], None),
}


@pytest.mark.parametrize("case", list(RECORDS))
def test_only_a_whole_green_complete_last_build_is_published(
    warehouse: Settings, case: str
) -> None:
    later, refusal = RECORDS[case]
    for fields in later:
        record_build(warehouse.duckdb_path, **fields)
    if refusal is None:
        do_publish(warehouse)
        assert warehouse.serving_path.exists()
        return
    with pytest.raises(BankmartError) as info:
        do_publish(warehouse)
    assert refusal in str(info.value)
    assert "bankmart build" in str(info.value) and "Nothing was published" in str(info.value)
    assert not warehouse.serving_path.exists()


def test_missing_build_or_record_does_not_publish(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    proc = run_cli("publish", env=env, check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "make run" in proc.stderr
    make_warehouse(tmp_path / "bankmart.duckdb")
    proc = run_cli("publish", env=env, check=False)
    assert proc.returncode == 2 and "meta.dbt_invocations is missing" in proc.stderr
    assert "bankmart build" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "serving" / "bankmart.duckdb").exists()


@pytest.mark.parametrize("change", ["delete rows", "add a column", "drop a table", "add a view"])
def test_warehouse_changed_after_the_build_does_not_publish(
    warehouse: Settings, change: str
) -> None:
    sql, says = {
        "delete rows": ("delete from marts.fct_transactions where amount > 100",
                        r"marts\.fct_transactions holds \d+ rows where the build left 400"),
        "add a column": ("alter table marts.dim_customer add column note varchar",
                         "marts.dim_customer has other columns"),
        "drop a table": ("drop table reference.channels", "reference.channels is gone"),
        "add a view": ("create view marts.v_new as select 1 as x", "marts.v_new was added"),
    }[change]
    con = duckdb.connect(str(warehouse.duckdb_path))
    con.execute(sql)
    con.close()
    with pytest.raises(BankmartError, match=says) as info:
        do_publish(warehouse)
    assert "was changed after `dbt build`" in str(info.value)
    assert not warehouse.serving_path.exists()


def test_failures_stored_by_dbt_test_do_not_block_publishing(warehouse: Settings) -> None:
    """`dbt test --store-failures` after the build writes tables to dbt_test__audit: never
    served, so publish still takes the build (any other table written after it is refused)."""
    con = duckdb.connect(str(warehouse.duckdb_path))
    con.execute("create schema dbt_test__audit")
    con.execute("create table dbt_test__audit.unique_dim_customer_customer_id as select 1 as n")
    con.close()
    do_publish(warehouse)
    assert warehouse.serving_path.exists()


def test_marts_that_disagree_on_counts_are_not_published(warehouse: Settings) -> None:
    """The var mart_count_invariants (dbt_project.yml) checked again at publish time."""
    con = duckdb.connect(str(warehouse.duckdb_path))
    con.execute("create table marts.customer_features as select customer_id "
                "from marts.dim_customer limit 49")
    con.close()
    record_build(warehouse.duckdb_path)
    with pytest.raises(BankmartError, match="disagree: customers: marts.dim_customer count"
                       r"\(\*\) = 50, marts.customer_features count\(\*\) = 49"):
        do_publish(warehouse)
    assert not warehouse.serving_path.exists()


def test_a_fact_served_from_a_view_is_counted_against_the_marts(warehouse: Settings) -> None:
    """In a real build fct_transactions is a view (over the stored transactions): the count
    check at publish time covers it as well as the tables."""
    con = duckdb.connect(str(warehouse.duckdb_path))
    con.execute("create table staging.stored_transactions as select * from marts.fct_transactions")
    con.execute("drop table marts.fct_transactions")
    con.execute("create view marts.fct_transactions as select * from staging.stored_transactions")
    con.execute("create table marts.customer_monthly_features as "
                "select 'transactions' as activity_source, 399 as txn_count")
    con.close()
    record_build(warehouse.duckdb_path)
    with pytest.raises(BankmartError, match=r"disagree: transactions: marts.fct_transactions "
                       r"count\(\*\) = 400, marts.customer_monthly_features sum"):
        do_publish(warehouse)
    assert not warehouse.serving_path.exists()


def test_direct_identifiers_in_a_mart_are_refused(warehouse: Settings) -> None:
    con = duckdb.connect(str(warehouse.duckdb_path))
    con.execute("create table marts.leaky as select 'C1' as customer_id, 'Asha' as full_name")
    con.close()
    record_build(warehouse.duckdb_path)
    with pytest.raises(BankmartError, match=r"marts\.leaky\.full_name"):
        do_publish(warehouse)
    assert not warehouse.serving_path.exists()


# ---------------------------------------------------------------------------------------------
# The swap
# ---------------------------------------------------------------------------------------------


def test_reader_open_during_publish_sees_old_or_new_never_half(warehouse: Settings) -> None:
    do_publish(warehouse)
    held = duckdb.connect(str(warehouse.serving_path), read_only=True)
    old_customers = held.execute("select count(*) from marts.dim_customer").fetchone()[0]

    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    first_read = threading.Event()

    def reader() -> None:
        """Reconnects in a loop: each snapshot must be one whole version."""
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                # A fresh in-memory database attaching the file, as the dashboard does:
                # duckdb.connect(path) would reuse the process's cached instance of the old
                # file while `held` keeps it open.
                con = duckdb.connect()
                con.execute(f"attach '{warehouse.serving_path}' as serving (read_only)")
                con.execute("use serving")
                try:
                    publish_id = con.execute("select max(publish_id) from meta.publish_log").fetchone()[0]
                    listed = con.execute(
                        "select row_count from meta.published_tables "
                        "where schema_name = 'marts' and table_name = 'dim_customer'"
                    ).fetchone()[0]
                    actual = con.execute("select count(*) from marts.dim_customer").fetchone()[0]
                finally:
                    con.close()
                assert listed == actual, f"publish {publish_id}: listed {listed}, found {actual}"
                seen.append((publish_id, actual))
                first_read.set()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                first_read.set()
                return

    make_warehouse(warehouse.duckdb_path, customers=80, txns=20000)
    record_build(warehouse.duckdb_path)
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert first_read.wait(30)
        do_publish(warehouse)
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert {pid for pid, _ in seen} <= {1, 2}
    assert all(rows == {1: old_customers, 2: 80}[pid] for pid, rows in seen)
    assert seen[0] == (1, old_customers) and seen[-1] == (2, 80)
    # The connection held across the swap still reads the whole old version.
    assert held.execute("select count(*) from marts.dim_customer").fetchone()[0] == old_customers
    assert held.execute("select max(publish_id) from meta.publish_log").fetchone()[0] == 1
    held.close()


def _failing_replace(target_name: str):
    real_replace = os.replace

    def replace(src: os.PathLike, dst: os.PathLike) -> None:
        if Path(dst).name == target_name:
            raise PermissionError(13, "The process cannot access the file because it is being "
                                      "used by another process", str(dst))
        real_replace(src, dst)

    return replace


@pytest.mark.parametrize("locked", ["bankmart.duckdb", "previous-parquet"])
def test_swap_that_cannot_happen_keeps_the_previous_version(
    warehouse: Settings, monkeypatch: pytest.MonkeyPatch, locked: str
) -> None:
    """What Windows does when Power BI holds the file: replace fails. Simulated here."""
    do_publish(warehouse)
    served_before = hashlib.sha256(warehouse.serving_path.read_bytes()).hexdigest()
    parquet_before = folder_digest(warehouse.parquet_dir)
    make_warehouse(warehouse.duckdb_path, customers=70)
    record_build(warehouse.duckdb_path)

    if locked == "bankmart.duckdb":
        monkeypatch.setattr(publish_files.os, "replace", _failing_replace("bankmart.duckdb"))
        match = "cannot replace the serving file"
    else:
        real_replace = os.replace

        def replace(src: os.PathLike, dst: os.PathLike) -> None:
            if Path(src).name == "parquet":  # moving the old folder aside fails
                raise PermissionError(13, "in use", str(src))
            real_replace(src, dst)

        monkeypatch.setattr(publish_files.os, "replace", replace)
        match = "cannot replace the Parquet folder"
    with pytest.raises(BankmartError, match=match) as info:
        do_publish(warehouse)
    assert "previous version is intact" in str(info.value)
    assert hashlib.sha256(warehouse.serving_path.read_bytes()).hexdigest() == served_before
    assert folder_digest(warehouse.parquet_dir) == parquet_before
    leftovers = [p.name for p in warehouse.serving_dir.iterdir() if p.name.startswith(".p")]
    assert leftovers == [".publish.lock"], leftovers


def test_leftovers_of_a_dead_publish_are_removed(warehouse: Settings) -> None:
    """A publish killed half-way leaves its temporary files; the next one removes them, even
    when the dead publish's PID now belongs to another process (here: this test's parent)."""
    warehouse.serving_dir.mkdir(parents=True)
    dead_pid = 2**22 + 12345  # above Linux's default pid_max
    stale = warehouse.serving_dir / f".publishing-{dead_pid}-1-bankmart.duckdb"
    stale.write_bytes(b"half a file")
    reused = warehouse.serving_dir / f".publishing-{os.getppid()}-1-bankmart.duckdb"
    reused.write_bytes(b"half a file of a publish whose PID was reused")
    (warehouse.serving_dir / f".publishing-{os.getppid()}-1-bankmart.duckdb.wal").write_bytes(b"x")
    (warehouse.serving_dir / f".previous-{os.getppid()}-1-parquet").mkdir()
    do_publish(warehouse)
    left = sorted(p.name for p in warehouse.serving_dir.iterdir() if p.name.startswith("."))
    assert left == [".publish.lock"]
    assert serving_tables(warehouse.serving_path)[("marts", "dim_customer")] == 50


# ---------------------------------------------------------------------------------------------
# The real small bank (dbt)
# ---------------------------------------------------------------------------------------------


@pytest.mark.dbt
def test_publish_real_bank(built_bank: Bank) -> None:
    proc = run_cli("publish", env=built_bank.env)
    assert "bankmart publish:" in proc.stdout
    serving = built_bank.serving_dir / "bankmart.duckdb"
    build = duckdb.connect(str(built_bank.duckdb_path), read_only=True)
    try:
        expected = {
            (s, t)
            for s, t in build.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where schema_name in ('marts', 'reference') "
                # a served view (the semantic layer's base) is published as a table
                "union select schema_name, view_name from duckdb_views() "
                "where schema_name in ('marts', 'reference') and not internal"
            ).fetchall()
        }
    finally:
        build.close()
    tables = serving_tables(serving)
    assert {k for k in tables if k[0] != "meta"} == expected
    assert ("marts", "fct_transactions") in tables and tables[("marts", "fct_transactions")] > 0
    for schema, name in tables:
        assert (built_bank.serving_dir / "parquet" / f"{schema}__{name}.parquet").is_file()


# ---------------------------------------------------------------------------------------------
# The Power BI kit against the real small bank
# ---------------------------------------------------------------------------------------------

POWERBI = PROJECT_DIR / "bi" / "powerbi"


@pytest.fixture(scope="module")
def real_serving(built_bank: Bank) -> Path:
    run_cli("publish", env=built_bank.env)
    return built_bank.serving_dir


def _served_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'marts'"
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    return columns


@pytest.mark.dbt
def test_powerbi_relationships_hold_on_the_served_tables(real_serving: Path) -> None:
    spec = json.loads((POWERBI / "relationships.json").read_text(encoding="utf-8"))
    con = duckdb.connect(str(real_serving / "bankmart.duckdb"), read_only=True)
    try:
        columns = _served_columns(con)
        for rel in spec["relationships"]:
            many, one = rel["from_table"], rel["to_table"]
            assert rel["from_column"] in columns.get(many, set()), rel
            assert rel["to_column"] in columns.get(one, set()), rel
            unique_sides = [(one, rel["to_column"])]
            if rel["cardinality"] == "one_to_one":
                unique_sides.append((many, rel["from_column"]))
            else:
                assert rel["cardinality"] == "many_to_one", rel
            for table, column in unique_sides:
                duplicates = con.execute(
                    f'select count(*) - count(distinct "{column}") from marts."{table}"'
                ).fetchone()[0]
                assert duplicates == 0, f"{table}.{column} is not unique: {rel}"
            orphans = con.execute(
                f'select count(*) from marts."{many}" where "{rel["from_column"]}" is not null '
                f'and "{rel["from_column"]}" not in (select "{rel["to_column"]}" from marts."{one}")'
            ).fetchone()[0]
            assert orphans == 0, f"{orphans} {many} rows find no {one}: {rel}"
        for table in spec["standalone_tables"]:
            assert table in columns, table
    finally:
        con.close()


def _dax_column_references(text: str) -> set[tuple[str, str]]:
    """table[column] references in DAX, without comments, strings and measure definitions."""
    code = re.sub(r"//[^\n]*", "", text)
    code = re.sub(r'"[^"]*"', '""', code)
    defined = set(re.findall(r"MEASURE\s+(\w+)\[([^\]]+)\]", code))
    return set(re.findall(r"\b(\w+)\[([^\]]+)\]", code)) - defined


@pytest.mark.dbt
def test_powerbi_dax_names_served_columns_and_current_thresholds(real_serving: Path) -> None:
    con = duckdb.connect(str(real_serving / "bankmart.duckdb"), read_only=True)
    try:
        columns = _served_columns(con)
        thresholds = con.execute(
            "select tier_name, upper_edge from marts.spend_tier_thresholds "
            "where customers > 0 order by tier_rank"
        ).fetchall()
    finally:
        con.close()
    measures = (POWERBI / "measures.dax").read_text(encoding="utf-8")
    references = _dax_column_references(measures)
    assert references, "measures.dax references no column"
    for table, column in references:
        assert column in columns.get(table, set()), f"measures.dax: {table}[{column}]"
    for name in ("Total Spend", "Active Customers", "Spend per Customer",
                 "Income Utilisation", "Fraud Rate", "Alert Count"):
        assert re.search(rf"MEASURE\s+\w+\[{name}\]", measures), name

    generated = (real_serving / "powerbi" / "spend_tier_measure.dax").read_text(encoding="utf-8")
    for table, column in _dax_column_references(generated):
        assert column in columns.get(table, set()), f"spend_tier_measure.dax: {table}[{column}]"
    rules = re.findall(r"_value <= ([0-9.]+), \"([^\"]+)\"", generated)
    assert [name for _, name in rules] == [name for name, _ in thresholds[:-1]]
    for (edge, _), (_, upper) in zip(rules, thresholds, strict=False):
        assert float(edge) == pytest.approx(upper)
    assert f'"{thresholds[-1][0]}"' in generated.split("_value <=")[-1]
