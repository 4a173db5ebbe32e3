"""The project's own key tests find every duplicate, and only duplicates.

dbt's `unique` is overridden (macros/tests/duplicate_keys.sql) and `is_unique_combination` is
the project's: both look for repeated 8-byte hashes first (macros/repeated_hashes.sql), then
group only the rows with those hashes by the real key. The builds only ever show them passing,
so here they run through the real dbt (`dbt show --inline`, rendering the project's macros) on
relations with known duplicates: NULL keys, composite keys, one duplicate among 200,000 keys and
a relation without any.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, PROJECT_DIR, bank_env

ROWS = "(select * from (values (1, 10), (1, 10), (2, 20), (null, 30), (null, 31)) as t(k, v))"
# name: (macro call rendered by dbt, its key as text, its count column)
CASES = {
    "unique_ignores_nulls": (f"default__test_unique('{ROWS}', 'k')", "unique_field", "n_records"),
    "nulls_count_as_one_key": (f"duplicate_keys('{ROWS}', ['k'])", "k", "occurrences"),
    "composite_key": (
        "duplicate_keys('(select * from (values (1, 10), (1, 10), (1, 11), (2, 10)) as t(k, v))', ['k', 'v'])",
        "k || '|' || v", "occurrences",
    ),
    "one_among_many": (
        "duplicate_keys('(select range as k from range(200000) union all select 123456)', ['k'])",
        "k", "occurrences",
    ),
    "no_duplicates": ("duplicate_keys('(select range as k from range(1000))', ['k'])", "k", "occurrences"),
}


def _rows_sql() -> str:
    """One query over every case: (case, key as text, number of rows carrying it)."""
    return "\nunion all\n".join(
        f"select '{name}' as case_name, cast({key} as varchar) as key_value, "
        f"cast({count} as bigint) as n from ({{{{ {call} }}}}) as found"
        for name, (call, key, count) in CASES.items()
    )


@pytest.mark.dbt
def test_key_tests_report_exactly_the_duplicated_keys(tmp_path: Path) -> None:
    env = bank_env(tmp_path)
    proc = subprocess.run(
        [str(BIN / "dbt"), "show", "--quiet", "--output", "json", "--limit", "100",
         "--inline", _rows_sql(), "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    rows = json.loads(proc.stdout[proc.stdout.index("{"):])["show"]
    found: dict[str, set[tuple[str | None, int]]] = {name: set() for name in CASES}
    for row in rows:
        found[row["case_name"]].add((row["key_value"], row["n"]))
    assert found == {
        "unique_ignores_nulls": {("1", 2)},
        "nulls_count_as_one_key": {("1", 2), (None, 2)},
        "composite_key": {("1|10", 2)},
        "one_among_many": {("123456", 2)},
        "no_duplicates": set(),
    }
