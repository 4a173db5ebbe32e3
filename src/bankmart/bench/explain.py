"""Where a slow SQL model spends its time: DuckDB's EXPLAIN ANALYZE of its compiled query.

Run after the build against the built warehouse (so every ref resolves), with the profile's
thread count and memory limit. The JSON plan gives each operator's own time; the report lists
the hottest operators per model and the full JSON plan is kept beside the report.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import duckdb


def _operators(node: dict[str, Any], out: list[dict[str, Any]]) -> None:
    name = node.get("operator_name") or node.get("operator_type")
    if name and name != "EXPLAIN_ANALYZE":
        extra = node.get("extra_info") or {}
        out.append(
            {
                "operator": str(name).strip(),
                "seconds": float(node.get("operator_timing") or 0.0),
                "rows": int(node.get("operator_cardinality") or 0),
                "detail": _short_detail(extra),
            }
        )
    for child in node.get("children") or []:
        _operators(child, out)


def _short_detail(extra: dict[str, Any]) -> str:
    for key in ("Table", "Function", "Join Type", "Groups", "Aggregates", "Conditions"):
        if key in extra:
            value = extra[key]
            text = ", ".join(value) if isinstance(value, list) else str(value)
            return f"{key}: {text}"[:120]
    return ""


def explain_models(
    duckdb_path: Path,
    compiled: dict[str, str],
    out_dir: Path,
    *,
    memory_limit: str,
    top_operators: int = 5,
) -> list[dict[str, Any]]:
    """EXPLAIN ANALYZE each ``{model name: compiled SQL}``; returns per-model hot operators."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        con.execute(f"set threads = {int(os.environ.get('BANKMART_THREADS', '2'))}")
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set preserve_insertion_order = false")
        con.execute(f"set temp_directory = '{duckdb_path}.explain.tmp'")
        for name, sql in compiled.items():
            started = time.perf_counter()
            try:
                raw_plan = con.execute(f"explain (analyze, format json) {sql}").fetchall()[0][1]
            except duckdb.Error as exc:
                results.append({"model": name, "error": str(exc).splitlines()[0][:200]})
                continue
            seconds = time.perf_counter() - started
            (out_dir / f"{name}.json").write_text(raw_plan)
            json_plan = json.loads(raw_plan)
            ops: list[dict[str, Any]] = []
            _operators(json_plan, ops)
            total = sum(o["seconds"] for o in ops) or 1.0
            hot = sorted(ops, key=lambda o: o["seconds"], reverse=True)[:top_operators]
            for op in hot:
                op["share"] = round(op["seconds"] / total, 3)
                op["seconds"] = round(op["seconds"], 3)
            results.append(
                {
                    "model": name,
                    "query_seconds": round(seconds, 3),
                    "operator_seconds": round(total, 3),
                    "hot_operators": hot,
                    "plan_file": str(out_dir / f"{name}.json"),
                }
            )
    finally:
        con.close()
    return results


def compiled_sql(target_path: Path, names: list[str]) -> dict[str, str]:
    """Compiled SELECTs of the named SQL models, from run_results.json (dbt stores them there)."""
    path = target_path / "run_results.json"
    if not path.is_file():
        return {}
    by_name: dict[str, str] = {}
    for result in json.loads(path.read_text()).get("results", []):
        uid = result.get("unique_id", "")
        code = result.get("compiled_code")
        if uid.startswith("model.") and code:
            by_name[uid.split(".")[-1]] = code
    return {name: by_name[name] for name in names if name in by_name}
