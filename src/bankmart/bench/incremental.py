"""One new month on top of the others: the incremental build the scale issue sets a target for,
measured on the same generated bank as the full build.

The newest month of every month-partitioned raw table (transactions, account balances) is held
back: a copy of raw/ made of hard links (no data is copied) without those partitions is built
from scratch, the partitions are then linked in and a second `dbt build` (incremental) is
measured. Its wall time is divided by the full build of every month measured earlier in the
same run.

Both warehouses must then hold the same transactions and customer-months. Counts and amount
totals are compared here, which is cheap at any size; tests/python/test_incremental.py
compares every table row for row on a small dirty bank.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from bankmart.bench import dbt_run
from bankmart.errors import BankmartError
from bankmart.raw_schema import PARTITIONED_TABLES

#: Totals both warehouses must agree on: (name, query). Sums are rounded to cents, because
#: DuckDB sums doubles in parallel in no fixed order.
TOTALS = [
    ("fct_transactions rows", "select count(*) from marts.fct_transactions"),
    ("fct_transactions amount", "select round(sum(amount), 2) from marts.fct_transactions"),
    ("customer_monthly_features rows", "select count(*) from marts.customer_monthly_features"),
    ("customer_monthly_features total_spend",
     "select round(sum(total_spend), 2) from marts.customer_monthly_features"),
    ("fct_account_balances_monthly rows", "select count(*) from marts.fct_account_balances_monthly"),
    ("fct_account_balances_monthly balance",
     "select round(sum(balance), 2) from marts.fct_account_balances_monthly"),
    ("quarantined rows", "select count(*) from quarantine.quarantined_rows"),
]


def newest_partition(raw_dir: Path) -> Path:
    """The newest `txn_month=` folder of raw transactions; there must be an older one too."""
    months = sorted(p for p in (raw_dir / "transactions").glob("txn_month=*") if p.is_dir())
    if len(months) < 2:
        raise BankmartError(
            f"bench: the incremental measurement needs at least two monthly partitions "
            f"(txn_month=...) under {raw_dir / 'transactions'}; found {len(months)}"
        )
    return months[-1]


def newest_partitions(raw_dir: Path) -> tuple[str, list[Path]]:
    """The newest month (that of the newest transactions partition) and its folder in every
    month-partitioned raw table that has one: what arrives as "one new month"."""
    month = newest_partition(raw_dir).name.split("=", 1)[1]
    found = [raw_dir / table / f"{key}={month}" for table, key in sorted(PARTITIONED_TABLES.items())]
    return month, [folder for folder in found if folder.is_dir()]


def link_tree(source: Path, target: Path, skip: Sequence[Path] = ()) -> None:
    """Mirror ``source`` into ``target`` with hard links (copies where links are refused),
    leaving out the folders ``skip``."""
    for folder, subfolders, files in os.walk(source):
        here = Path(folder)
        if here in skip:
            subfolders[:] = []
            continue
        (target / here.relative_to(source)).mkdir(parents=True, exist_ok=True)
        for name in files:
            destination = target / here.relative_to(source) / name
            try:
                os.link(here / name, destination)
            except OSError:
                shutil.copy2(here / name, destination)


def read_totals(duckdb_path: Path) -> dict[str, Any]:
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        return {name: con.execute(sql).fetchone()[0] for name, sql in TOTALS}
    finally:
        con.close()


def _build_summary(result: dbt_run.DbtResult, top: int) -> dict[str, Any]:
    """The build's report figures, plus its slowest nodes of any kind."""
    return {
        **result.summary(top),
        "top_nodes": [n.to_json() for n in sorted(result.nodes, key=lambda n: -n.seconds)[:top]],
    }


def measure(
    raw_dir: Path,
    root: Path,
    project_dir: Path,
    full: dict[str, Any],
    full_duckdb_path: Path,
    *,
    memory_limit: str | None,
    timeout_seconds: float | None,
    top: int,
    progress: Any,
    label: str,
) -> dict[str, Any]:
    """Build all months but the newest from scratch, add the newest, build again (measured).

    ``full`` is the summary of the full build of every month (cli.summarise_dbt) and
    ``full_duckdb_path`` its warehouse, which the incremental result is checked against.
    """
    month, held_back = newest_partitions(raw_dir)
    if root.exists():
        shutil.rmtree(root)
    staged_raw = root / "raw"
    link_tree(raw_dir, staged_raw, skip=held_back)
    workspace = dbt_run.Workspace(root / "warehouse", staged_raw, project_dir, memory_limit=memory_limit)
    result: dict[str, Any] = {
        "new_partition": month,
        "new_folders": [str(folder.relative_to(raw_dir)) for folder in held_back],
    }

    progress(f"[{label}] incremental: building every month but {month} from scratch")
    first = dbt_run.run_build(workspace, timeout_seconds=timeout_seconds, progress=progress, label=label)
    result["first_build"] = _build_summary(first, top)
    shutil.copy(workspace.root / "dbt_build.log", workspace.root / "dbt_build_first.log")
    if first.build.status != "ok" or first.failures():
        result["status"] = "first build failed"
        return result

    for folder in held_back:
        link_tree(folder, staged_raw / folder.relative_to(raw_dir))
    progress(f"[{label}] incremental: {month} arrived ({', '.join(result['new_folders'])}); dbt build (incremental)")
    second = dbt_run.run_build(
        workspace, timeout_seconds=timeout_seconds, progress=progress, label=label, fresh=False
    )
    result["incremental_build"] = _build_summary(second, top)
    if second.build.status != "ok" or second.failures():
        result["status"] = "incremental build failed"
        return result

    result["ratio"] = round(second.build.wall_seconds / full["wall_seconds"], 4)
    if second.build.cpu_seconds and full.get("cpu_seconds"):
        result["cpu_ratio"] = round(second.build.cpu_seconds / full["cpu_seconds"], 4)
    incremental_totals, full_totals = read_totals(workspace.duckdb_path), read_totals(full_duckdb_path)
    result["totals"] = {"incremental": incremental_totals, "full": full_totals}
    result["matches_full_build"] = incremental_totals == full_totals
    result["status"] = "ok" if result["matches_full_build"] else "totals differ from the full build"
    progress(
        f"[{label}] incremental: {second.build.wall_seconds:.1f} s = {100 * result['ratio']:.1f} % of the "
        f"full build; totals {'match' if result['matches_full_build'] else 'DIFFER'}"
    )
    return result
