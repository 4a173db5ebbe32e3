"""The dbt unit tests: each cleaning rule, flag and mart formula on fixed rows.

`bankmart build` leaves them out (dbt advises running unit tests in development and CI, not
on every production build, and they cost more fixed time than the small bank's whole data),
so this is where they run: `dbt test --select test_type:unit` on the small bank's warehouse,
whose relations give the fixtures their column types.
"""

from __future__ import annotations

import json
import subprocess

from conftest import BIN, PROJECT_DIR, Bank


def test_every_dbt_unit_test_passes(built_bank: Bank) -> None:
    proc = subprocess.run(
        [str(BIN / "dbt"), "test", "--select", "test_type:unit"],
        env=built_bank.env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-8000:]
    results = json.loads((built_bank.root / "target" / "run_results.json").read_text())["results"]
    manifest = json.loads((built_bank.root / "target" / "manifest.json").read_text())
    ran = {r["unique_id"] for r in results if r["status"] == "pass"}
    defined = set(manifest["unit_tests"])
    # Every unit test the project defines ran and passed: none silently deselected.
    assert defined, "the project defines no dbt unit tests"
    assert ran == defined, sorted(defined ^ ran)
