"""The small bank built on the local Spark in two loads, run in the background from the start of
the test session (conftest.spark_build_in_background) so that the JVM works while the DuckDB
tests run: it is the longest single step of `make test`. Under pytest-xdist one worker starts
it in a folder every worker knows (shared_root) and test_spark.py, wherever it runs, waits for
the exit code the script leaves there.

The build reads a hard-linked copy of the small bank's raw files, <root>/raw, made the way the
benchmark stages one new month (bankmart.bench.incremental): first without the newest month of
the month-partitioned tables, which are linked in for the second load; the folder the other
tests read is never touched. Run as a script: `python spark_build.py <raw> <root>`; it writes its
output to <root>/spark_build.log and exits with the first failing build's code, which it also
writes to <root>/exit_code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bankmart.bench.incremental import link_tree, newest_partitions

#: The incremental models (the first load builds them and what they read).
INCREMENTAL_MODELS = (
    "base_core__transactions",
    "base_core__account_balances",
    "customer_monthly_features",
)

if TYPE_CHECKING:
    import pytest

BIN = Path(sys.executable).parent
PROJECT_DIR = Path(__file__).resolve().parents[2]

#: How long a test waits for a build another process started (it takes 10 to 20 minutes on two
#: cores beside the other tests).
WAIT_SECONDS = 3600


def raw_copy(root: Path) -> Path:
    return root / "raw"


def exit_file(root: Path) -> Path:
    """Where the script leaves its exit code for a process that did not start it."""
    return root / "exit_code"


def spark_env(base_env: dict[str, str], raw_dir: Path, root: Path) -> dict[str, str]:
    return {
        **base_env,
        "BANKMART_RAW_DIR": str(raw_dir),
        "BANKMART_SPARK_DIR": str(root / "spark"),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
    }


def build(raw_dir: Path, root: Path) -> int:
    """First load without the newest month (the incremental models and what they read, no
    tests), then everything with it: the incremental models load only the newest month's files."""
    copy = raw_copy(root)
    env = spark_env(dict(os.environ), copy, root)
    first = [
        "build", "--target", "spark", "--select", *(f"+{model}" for model in INCREMENTAL_MODELS),
        "--", "--exclude-resource-type", "test",
    ]
    with open(root / "spark_build.log", "w", encoding="utf-8") as log:
        _, newest = newest_partitions(raw_dir)
        link_tree(raw_dir, copy, skip=newest)
        code = subprocess.run(
            [str(BIN / "bankmart"), *first], env=env, cwd=PROJECT_DIR, stdout=log, stderr=log
        ).returncode
        if code != 0:
            return code
        for folder in newest:
            link_tree(folder, copy / folder.relative_to(raw_dir))
        return subprocess.run(
            [str(BIN / "bankmart"), "build", "--target", "spark"],
            env=env, cwd=PROJECT_DIR, stdout=log, stderr=log,
        ).returncode


@dataclass
class SparkBuild:
    """The background build: its process (None when another pytest-xdist worker started it),
    raw copy and folders."""

    process: subprocess.Popen | None
    raw_dir: Path
    root: Path

    @property
    def spark_dir(self) -> Path:
        return self.root / "spark"

    def wait(self) -> None:
        """Waits for the build; fails with the end of its output when it failed."""
        if self.process is not None:
            code = self.process.wait()
        else:
            deadline = time.monotonic() + WAIT_SECONDS
            while not exit_file(self.root).exists():
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"the Spark build in {self.root} did not finish in {WAIT_SECONDS} s"
                    )
                time.sleep(2)
            code = int(exit_file(self.root).read_text())
        if code != 0:
            output = (self.root / "spark_build.log").read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"the Spark build exited {code}\n{output[-8000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def finish(self) -> None:
        """Lets a build that other workers' tests wait for run to its end (killed after
        WAIT_SECONDS)."""
        if self.process is not None:
            try:
                self.process.wait(WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.stop()


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the build every pytest-xdist worker of this session uses (beside the
    workers' own temporary folders)."""
    return tmp_path_factory.getbasetemp().parent / "spark_build"


def start_once(raw_dir: Path, base_env: dict[str, str], root: Path) -> SparkBuild:
    """Starts the build in root unless another process already has: the first to create root
    (an atomic mkdir) starts it, the others wait on what it leaves there."""
    try:
        root.mkdir(parents=True)
    except FileExistsError:
        return SparkBuild(process=None, raw_dir=raw_copy(root), root=root)
    return start(raw_dir, base_env, root)


def start(raw_dir: Path, base_env: dict[str, str], root: Path) -> SparkBuild:
    """Starts the two-load Spark build in the background (it links its own copy of raw_dir)
    in root, a new or empty folder."""
    root.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(raw_dir), str(root)],
        env=base_env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return SparkBuild(process=process, raw_dir=raw_copy(root), root=root)


def main(raw_dir: Path, root: Path) -> int:
    code = 1
    try:
        code = build(raw_dir, root)
    finally:
        exit_file(root).write_text(str(code))
    return code


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
