"""The dbt unit tests: each cleaning rule, flag and mart formula on fixed rows.

`bankmart build` leaves them out (dbt advises running unit tests in development and CI, not
on every production build, and they cost more fixed time than the small bank's whole data),
so this is where they run: `dbt test --select test_type:unit` on a copy of the small bank's
warehouse (its relations give the fixtures their column types; the copy keeps the run out of
the shared warehouse's record of dbt runs, which other tests read).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import BIN, PROJECT_DIR, Bank


def test_every_dbt_unit_test_passes(built_bank: Bank, tmp_path: Path) -> None:
    shutil.copy(built_bank.duckdb_path, tmp_path / "bankmart.duckdb")
    env = built_bank.env | {
        "BANKMART_DUCKDB_PATH": str(tmp_path / "bankmart.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    proc = subprocess.run(
        [str(BIN / "dbt"), "test", "--select", "test_type:unit"],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-8000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    ran = {r["unique_id"] for r in results if r["status"] == "pass"}
    defined = set(manifest["unit_tests"])
    # Every unit test the project defines ran and passed: none silently deselected.
    assert defined, "the project defines no dbt unit tests"
    assert ran == defined, sorted(defined ^ ran)
