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

import jinja2
import pytest

from conftest import BIN, PROJECT_DIR, Bank

LINTED_FOLDERS = ("models", "tests")


def has_own_sql(path: Path) -> bool:
    """Whether a file holds any text outside its Jinja tags, i.e. SQL someone wrote there. A
    file that is one macro call renders only the macro's SQL, in which sqlfluff reports nothing
    (ignore_templated_areas), so .sqlfluffignore leaves such files out."""
    tokens = jinja2.Environment().lex(path.read_text(encoding="utf-8"))
    return any(kind == "data" and text.strip() for _, kind, text in tokens)


def candidate_files() -> list[Path]:
    """Models and singular tests (generic tests are macros, which the dbt templater skips;
    .sqlfluffignore leaves them out)."""
    return [
        path
        for folder in LINTED_FOLDERS
        for path in (PROJECT_DIR / folder).rglob("*.sql")
        if path.relative_to(PROJECT_DIR).parts[:2] != ("tests", "generic")
    ]


def sql_files(own_sql: bool = True) -> list[str]:
    """The SQL files the lint must cover (own_sql=True): the candidates with SQL of their own;
    or the others, which .sqlfluffignore lists (own_sql=False)."""
    return sorted(
        path.relative_to(PROJECT_DIR).as_posix()
        for path in candidate_files()
        if has_own_sql(path) == own_sql
    )


def test_only_files_without_sql_of_their_own_are_left_out() -> None:
    macro_only = sql_files(own_sql=False)
    assert macro_only, "the staging base models are one staging_base_model() call each"
    ignored = sorted(
        line.strip()
        for line in (PROJECT_DIR / ".sqlfluffignore").read_text(encoding="utf-8").splitlines()
        if line.strip().endswith(".sql")
    )
    assert ignored == macro_only


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
    # Every file with SQL of its own was linted: a model that fails to compile is skipped with
    # only a warning.
    assert sorted(result["filepath"] for result in results) == sql_files(), proc.stderr[-8000:]
