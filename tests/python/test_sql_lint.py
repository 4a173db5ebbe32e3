"""sqlfluff on every model and singular data test, with the project's .sqlfluff (dbt templater,
DuckDB dialect): `make sqlfluff` on the developer's warehouse, here on the small bank's.

The dbt templater compiles each model as `dbt build` would, and some macros read the warehouse
(star_except() lists a relation's columns, raw_source() the raw files), so the lint needs a
built warehouse: a copy of the small bank's, under the same file name (its views name the
catalog `bankmart`), so the shared one is never opened by another dbt process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, PROJECT_DIR, Bank

LINTED_FOLDERS = ("models", "tests")


def sql_files() -> list[str]:
    """The SQL files the lint must cover: models and singular tests (generic tests are macros,
    which the dbt templater skips; .sqlfluffignore leaves them out)."""
    files = []
    for folder in LINTED_FOLDERS:
        for path in (PROJECT_DIR / folder).rglob("*.sql"):
            relative = path.relative_to(PROJECT_DIR)
            if relative.parts[:2] != ("tests", "generic"):
                files.append(relative.as_posix())
    return sorted(files)


@pytest.mark.dbt
def test_sql_passes_sqlfluff(built_bank: Bank, tmp_path: Path) -> None:
    shutil.copy(built_bank.duckdb_path, tmp_path / "bankmart.duckdb")
    # The dbt templater writes its manifest and compiled SQL to the project's target/ unless
    # told otherwise (it does not read DBT_TARGET_PATH).
    extra_config = tmp_path / "sqlfluff.cfg"
    extra_config.write_text(f"[sqlfluff:templater:dbt]\ntarget_path = {tmp_path / 'target'}\n")
    env = built_bank.env | {
        "BANKMART_DUCKDB_PATH": str(tmp_path / "bankmart.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    proc = subprocess.run(
        [
            str(BIN / "sqlfluff"), "lint", *LINTED_FOLDERS,
            "--config", str(extra_config),
            "--processes", "2", "--format", "json", "--nocolor", "--disable-progress-bar",
        ],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"sqlfluff exited {proc.returncode} without results\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
        )
    violations = [
        f"{result['filepath']}:{v['start_line_no']}:{v['start_line_pos']}: {v['code']} {v['description']}"
        for result in results
        for v in result["violations"]
    ]
    assert not violations, (
        f"{len(violations)} sqlfluff violations (run `make sqlfluff` on a built warehouse):\n"
        + "\n".join(violations)
    )
    assert proc.returncode == 0, proc.stderr[-8000:]
    # Every file was linted: a model that fails to compile is skipped with only a warning.
    assert sorted(result["filepath"] for result in results) == sql_files(), proc.stderr[-8000:]
