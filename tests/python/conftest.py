"""Shared fixtures: one small generated bank with dirty rows, built once per test session.

Everything is real: the generator writes Parquet, `bankmart build` runs dbt against a fresh
DuckDB file in a temporary folder. dbt's target/ and logs/ go there too, so tests never
touch the developer's own warehouse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Small enough for CI, large enough that every persona, channel and dirty-row kind appears.
SMALL_BANK = {"customers": 400, "months": 6, "seed": 7, "dirty_rate": 0.02}


@dataclass(frozen=True)
class Bank:
    root: Path
    raw_dir: Path
    ground_truth_dir: Path
    duckdb_path: Path
    serving_dir: Path
    env: dict[str, str]


def bank_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BANKMART_PROJECT_DIR=str(PROJECT_DIR),
        BANKMART_DATA_DIR=str(root),
        BANKMART_RAW_DIR=str(root / "bank" / "raw"),
        BANKMART_DUCKDB_PATH=str(root / "bankmart.duckdb"),
        BANKMART_SERVING_DIR=str(root / "serving"),
        DBT_TARGET_PATH=str(root / "target"),
        DBT_LOG_PATH=str(root / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def run_cli(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed `bankmart` command as a user would, capturing its output."""
    proc = subprocess.run(
        [str(BIN / "bankmart"), *args], env=env, cwd=PROJECT_DIR, capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"bankmart {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def generate_bank(root: Path, **overrides: object) -> Bank:
    params = {**SMALL_BANK, **overrides}
    env = bank_env(root)
    run_cli(
        "generate",
        "--customers", str(params["customers"]),
        "--months", str(params["months"]),
        "--seed", str(params["seed"]),
        "--dirty-rate", str(params["dirty_rate"]),
        "--out", str(root / "bank"),
        env=env,
    )
    return Bank(
        root=root,
        raw_dir=root / "bank" / "raw",
        ground_truth_dir=root / "bank" / "ground_truth",
        duckdb_path=root / "bankmart.duckdb",
        serving_dir=root / "serving",
        env=env,
    )


@pytest.fixture(scope="session")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    """Raw files of a small dirty bank (not built)."""
    return generate_bank(tmp_path_factory.mktemp("small_bank"))


@pytest.fixture(scope="session")
def built_bank(small_bank: Bank) -> Bank:
    """The small bank after a full `bankmart build` (all models and dbt tests green)."""
    run_cli("build", env=small_bank.env)
    return small_bank


@pytest.fixture(scope="session")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per test process where build_in_workshop() builds banks (see there)."""
    return tmp_path_factory.mktemp("workshop")


def build_in_workshop(workshop: Path, raw_dir: Path, duckdb_path: Path, env: dict[str, str],
                      *args: str) -> subprocess.CompletedProcess:
    """`bankmart build` of a bank that will not be built again, at the paths every bank built
    here had: its raw folder and warehouse (if any) are moved into `workshop` for the build and
    back after it. dbt parses the project from scratch (13 to 22 s under test load) whenever the
    warehouse path, the raw folder or the target/ folder is new, and reuses its parse (3 to 5 s)
    otherwise; so the first bank of a test process pays for the parse and the next ones do not.
    The warehouse then names the workshop's raw files in its source_file_name columns, and a
    later build at the bank's own paths starts afresh: only for banks built once."""
    shop_raw = workshop / "bank" / "raw"
    shop_duckdb = workshop / "bankmart.duckdb"
    shop_raw.parent.mkdir(parents=True, exist_ok=True)
    raw_dir.rename(shop_raw)
    move_warehouse(duckdb_path, shop_duckdb)
    try:
        return run_cli("build", *args, env=env | {
            "BANKMART_RAW_DIR": str(shop_raw),
            "BANKMART_DUCKDB_PATH": str(shop_duckdb),
            "DBT_TARGET_PATH": str(workshop / "target"),
        })
    finally:
        shop_raw.rename(raw_dir)
        move_warehouse(shop_duckdb, duckdb_path)


def move_warehouse(source: Path, destination: Path) -> None:
    """A DuckDB file and its write-ahead log, where they exist."""
    for suffix in ("", ".wal"):
        path = source.with_name(source.name + suffix)
        if path.exists():
            path.rename(destination.with_name(destination.name + suffix))


#: `make test` runs pytest on two worker processes (pytest-xdist, `--dist loadfile`: each test
#: file runs whole on one worker, so its module fixtures are built once). With
#: `--no-loadscope-reorder` the workers take the files in collection order (xdist would order
#: them by test count), so the longest go first: a long file started last would leave the
#: other worker idle at the end. Measured with `--durations`: each of these holds dbt builds of
#: 1.5 to 5 minutes. test_spark.py goes last: its Spark build (10 to 20 minutes) runs in the
#: background from the start of the session (spark_build_in_background), beside the other
#: files on both workers, and the file itself only compares what it built.
LONGEST_FILES_FIRST = (
    "test_hostile_inputs.py",
    "test_bank_shapes.py",
    "test_imported_banks.py",
    "test_staging.py",
    "test_bench.py",
    "test_incremental.py",
)
LAST_FILES = ("test_spark.py",)


def in_xdist_worker() -> bool:
    return "PYTEST_XDIST_WORKER" in os.environ


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker, the longest files first (LONGEST_FILES_FIRST), then the rest in
    their usual order, LAST_FILES last; a plain `pytest` run keeps the usual order."""
    if not in_xdist_worker():
        return
    rank = {name: index for index, name in enumerate(LONGEST_FILES_FIRST)}
    last = {name: len(rank) + 1 + index for index, name in enumerate(LAST_FILES)}
    items.sort(key=lambda item: last.get(item.path.name, rank.get(item.path.name, len(rank))))


@pytest.fixture(scope="session", autouse=True)
def spark_build_in_background(request: pytest.FixtureRequest) -> Iterator[object]:
    """When Spark tests are collected, the small bank's Spark build (tests/python/spark_build.py)
    starts with the session and runs beside the other tests; test_spark.py waits for it. A
    plain `pytest` run starts it in its own folder; under pytest-xdist the first worker (gw0)
    starts it in a folder all workers know (spark_build.shared_root) and, at its end, lets it
    finish for the worker whose test_spark.py may still be reading it (the small bank is the
    same on every worker: the generator is deterministic); test_spark.py starts it there itself
    when gw0 has not (a selection that gives gw0 no test). None when no Spark test runs, or in
    another worker."""
    spark_tests = any(item.get_closest_marker("spark") for item in request.session.items)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not spark_tests or worker not in (None, "gw0"):
        yield None
        return
    from spark_build import shared_root, start, start_once

    bank = request.getfixturevalue("small_bank")
    factory = request.getfixturevalue("tmp_path_factory")
    if worker:
        build = start_once(bank.raw_dir, bank.env, shared_root(factory))
    else:
        build = start(bank.raw_dir, bank.env, factory.mktemp("spark_build"))
    yield build
    if worker:
        build.finish()
    else:
        build.stop()


def ml_meta(model: str, key: str, **overrides: object) -> dict:
    """An ML model's parameters as the build uses them (python_models/ml/_ml__models.yml), with
    some overridden: tests run the functions on the project's own settings."""
    from bankmart.ml.config import model_meta

    return {**model_meta(model)[key], **overrides}
