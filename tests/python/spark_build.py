"""The small bank built on the local Spark in two loads, run in the background from the start of
the test session (conftest.spark_build_in_background) so that the JVM works while the DuckDB
tests run: it is the longest single step of `make test`.

The build reads a hard-linked copy of the small bank's raw files (it holds the last month of
transactions and balances back for its first load, which must not touch the folder the other
tests read). Run as a script: `python spark_build.py <raw copy> <root>`; it writes its output to
<root>/spark_build.log and exits with the first failing build's code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: The raw tables loaded file by file, and the incremental models.
INCREMENTAL_TABLES = ("transactions", "account_balances")
INCREMENTAL_MODELS = (
    "base_core__transactions",
    "base_core__account_balances",
    "customer_monthly_features",
)

BIN = Path(sys.executable).parent
PROJECT_DIR = Path(__file__).resolve().parents[2]


def last_month_folder(raw_dir: Path, table: str) -> Path:
    return sorted(p for p in (raw_dir / table).iterdir() if p.is_dir())[-1]


def spark_env(base_env: dict[str, str], raw_dir: Path, root: Path) -> dict[str, str]:
    return {
        **base_env,
        "BANKMART_RAW_DIR": str(raw_dir),
        "BANKMART_SPARK_DIR": str(root / "spark"),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
    }


def build(raw_dir: Path, root: Path) -> int:
    """First load without the last month (the incremental models and what they read, no tests),
    then everything with it: the incremental models load only the last month's files."""
    env = spark_env(dict(os.environ), raw_dir, root)
    first = [
        "build", "--target", "spark", "--select", *(f"+{model}" for model in INCREMENTAL_MODELS),
        "--", "--exclude-resource-type", "test",
    ]
    last_months = [last_month_folder(raw_dir, table) for table in INCREMENTAL_TABLES]
    held_back = root / "held_back"
    with open(root / "spark_build.log", "w", encoding="utf-8") as log:
        for folder in last_months:
            shutil.move(folder, held_back / folder.parent.name / folder.name)
        try:
            code = subprocess.run(
                [str(BIN / "bankmart"), *first], env=env, cwd=PROJECT_DIR, stdout=log, stderr=log
            ).returncode
        finally:
            for folder in last_months:
                shutil.move(held_back / folder.parent.name / folder.name, folder)
        if code != 0:
            return code
        return subprocess.run(
            [str(BIN / "bankmart"), "build", "--target", "spark"],
            env=env, cwd=PROJECT_DIR, stdout=log, stderr=log,
        ).returncode


@dataclass
class SparkBuild:
    """The background build: its process, raw copy and folders."""

    process: subprocess.Popen
    raw_dir: Path
    root: Path

    @property
    def spark_dir(self) -> Path:
        return self.root / "spark"

    def wait(self) -> None:
        """Waits for the build; fails with the end of its output when it failed."""
        code = self.process.wait()
        if code != 0:
            output = (self.root / "spark_build.log").read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"the Spark build exited {code}\n{output[-8000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start(raw_dir: Path, base_env: dict[str, str], root: Path) -> SparkBuild:
    """Copies the raw files (hard links) and starts the two-load Spark build in the background."""
    copy = root / "raw"
    shutil.copytree(raw_dir, copy, copy_function=os.link)
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(copy), str(root)],
        env=base_env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return SparkBuild(process=process, raw_dir=copy, root=root)


if __name__ == "__main__":
    sys.exit(build(Path(sys.argv[1]), Path(sys.argv[2])))
