"""`bankmart bench`: for each size, generate (or reuse) a bank, build it with dbt, time one new
month built incrementally against that build (up to --incremental-max), build the like-for-like
variant (only the models behind what the references compute), run the pandas and polars
references on the same files, check they all agree, and write bench/results/report.{md,json}.

Everything is measured by the same process-tree sampler, one step after the other (never two at
once, so neither steals the other's cores or memory). The report is rewritten after every size,
so an interrupted 100M run still leaves the smaller sizes' figures, and sizes measured by an
earlier run that this run does not repeat are kept (``--fresh`` drops them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from bankmart.argtypes import positive_int
from bankmart.bench import agreement, data, dbt_run, explain, incremental, report
from bankmart.bench.monitor import GB, log_tail, run_measured
from bankmart.bench.sizes import format_size, parse_size, parse_sizes
from bankmart.errors import BankmartError
from bankmart.settings import Settings

DEFAULT_SIZES = "1M,10M,100M"
#: Largest size the incremental build is measured at by default: the target is set at 10M, and
#: at 100M the extra from-scratch build of 23 months would add a quarter of an hour.
DEFAULT_INCREMENTAL_MAX = "10M"
#: DuckDB memory budget per size when neither --memory-limit nor BANKMART_MEMORY_LIMIT is set:
#: the project default (profiles.yml) up to 10M transactions, where the targets allow 4 GB in
#: all; above it 9GB, which keeps the whole process tree (dbt and the Python models besides
#: DuckDB's buffers) under the 12 GB allowed at 100M: a 10GB budget peaked at 12.1 GB.
DEFAULT_MEMORY_LIMIT = "3GB"
LARGE_BANK_MEMORY_LIMIT = "9GB"
LARGE_BANK_TRANSACTIONS = 10_000_000
#: The reference pipelines, each run as its own measured process: name -> module.
REFERENCES = {"pandas": "bankmart.bench.pandas_ref", "polars": "bankmart.bench.polars_ref"}
#: The bankmart builds each reference is compared with: name -> field of a size's result.
BUILDS = {"full": "dbt", "like_for_like": "like_for_like"}


def memory_limit_for(size: int, requested: str | None) -> str:
    """The DuckDB memory_limit a size is built with: --memory-limit, else the environment,
    else the project default, raised for banks above 10M transactions."""
    if requested:
        return requested
    if os.environ.get("BANKMART_MEMORY_LIMIT"):
        return os.environ["BANKMART_MEMORY_LIMIT"]
    return LARGE_BANK_MEMORY_LIMIT if size > LARGE_BANK_TRANSACTIONS else DEFAULT_MEMORY_LIMIT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--transactions",
        default=DEFAULT_SIZES,
        help=f"comma-separated sizes in transactions, e.g. 20k,1M,10M (default {DEFAULT_SIZES})",
    )
    parser.add_argument("--out", type=Path, help="report folder (default <project>/bench/results)")
    parser.add_argument(
        "--data-dir", type=Path, help="where generated banks are cached (default $BANKMART_DATA_DIR/bench)"
    )
    for name in REFERENCES:
        parser.add_argument(f"--skip-{name}", action="store_true", help=f"do not run the {name} reference")
        parser.add_argument(
            f"--{name}-max",
            help=f"largest size to run the {name} reference on, e.g. 10M (default: every size; "
            f"above it {name} is reported as skipped)",
        )
    parser.add_argument(
        "--skip-like-for-like",
        action="store_true",
        help="do not build the like-for-like variant (only the models behind customer features, "
        "spend tiers and segments, no tests) beside the full build",
    )
    parser.add_argument(
        "--pandas-memory-gb",
        type=float,
        default=16.0,
        help="stop a reference (pandas or polars) when its process tree passes this RSS (default 16)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="stop a dbt build or reference run after this many seconds (default 3600)",
    )
    parser.add_argument("--repeat", type=positive_int, default=1, help="dbt builds per size (best wall kept)")
    parser.add_argument("--top", type=positive_int, default=10, help="slowest models/tests listed (default 10)")
    parser.add_argument(
        "--explain",
        type=int,
        default=3,
        help="EXPLAIN ANALYZE this many of the slowest SQL models after the build (default 3; 0 = off)",
    )
    parser.add_argument(
        "--incremental-max",
        default=DEFAULT_INCREMENTAL_MAX,
        help="largest size to measure one new month's incremental build at (default "
        f"{DEFAULT_INCREMENTAL_MAX}): all months but the newest are built from scratch, then the "
        "newest arrives and an incremental build is timed against the full build",
    )
    parser.add_argument("--skip-incremental", action="store_true", help="do not measure incremental builds")
    parser.add_argument("--fresh", action="store_true", help="drop sizes kept from an earlier report")
    parser.add_argument(
        "--memory-limit",
        help=f"DuckDB memory_limit for every size (default: $BANKMART_MEMORY_LIMIT, else "
        f"{DEFAULT_MEMORY_LIMIT} up to 10M transactions and {LARGE_BANK_MEMORY_LIMIT} above)",
    )


def progress(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} bench {message}", flush=True)


def machine_info() -> dict[str, Any]:
    versions = {}
    for package in ("dbt-core", "dbt-duckdb", "duckdb", "pandas", "polars", "scikit-learn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / GB, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def summarise_dbt(results: list[dbt_run.DbtResult], top: int) -> dict[str, Any]:
    """The best (fastest) of the repeats, with the per-node figures of that run; the peak is the
    highest of all repeats."""
    best = min(results, key=lambda r: (r.build.status != "ok", r.build.wall_seconds))
    peak = max(r.build.peak_rss_bytes for r in results)
    return {
        **best.summary(top),
        "peak_rss_bytes": peak,
        "peak_rss_gb": round(peak / GB, 3),
        "runs": [r.build.wall_seconds for r in results],
    }


def run_reference(
    name: str, bench: data.BenchData, out_dir: Path, args: argparse.Namespace, env: dict[str, str], label: str
) -> dict[str, Any]:
    """A reference (REFERENCES) in its own measured process; what happened is always reported."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    cap = int(args.pandas_memory_gb * GB)
    progress(f"[{label}] {name} reference (cap {args.pandas_memory_gb:g} GB, timeout {args.timeout:.0f} s)")
    measured = run_measured(
        [sys.executable, "-m", REFERENCES[name], str(bench.raw_dir), str(out_dir)],
        env=env,
        log_path=out_dir / f"{name}.log",
        memory_cap_bytes=cap,
        # Address-space limit a little above the RSS cap: a big allocation then fails inside
        # the reference with MemoryError (reported with its step) before the watchdog has to kill.
        address_space_bytes=int(cap * 1.25) + 2 * GB,
        timeout_seconds=args.timeout,
    )
    status_file = out_dir / "status.json"
    inner = json.loads(status_file.read_text()) if status_file.is_file() else {}
    result: dict[str, Any] = {
        "status": measured.status,
        "detail": measured.detail,
        "wall_seconds": measured.wall_seconds,
        "peak_rss_bytes": measured.peak_rss_bytes,
        "peak_rss_gb": round(measured.peak_rss_bytes / GB, 3),
        "cpu_seconds": measured.cpu_seconds,
        "load_average_before_after": list(measured.load_average),
        "steps": inner.get("steps", {}),
        "customers": inner.get("customers"),
        "transactions": inner.get("transactions"),
        "output": str(out_dir / "customers.parquet"),
        "log": measured.log_path,
    }
    if inner.get("status") == "MemoryError":
        result["status"] = "MemoryError"
        result["detail"] = f"MemoryError in step {inner.get('step')} after {measured.wall_seconds:.0f} s"
    elif measured.status == "failed":
        last = [line for line in log_tail(measured.log_path, 5).splitlines() if line.strip()]
        result["detail"] = f"{measured.detail}: {last[-1][:200] if last else 'no output'}"
    progress(
        f"[{label}] {name}: {result['status']} {result['detail']} in {measured.wall_seconds:.1f} s, "
        f"peak {result['peak_rss_gb']:.2f} GB"
    )
    return result


def reference_result(
    name: str, size: int, bench: data.BenchData, size_out: Path, args: argparse.Namespace,
    env: dict[str, str], label: str,
) -> dict[str, Any]:
    """Run a reference at this size, or say why it was skipped (--skip-<name>, --<name>-max)."""
    largest = getattr(args, f"{name}_max")
    if getattr(args, f"skip_{name}"):
        return {"status": "skipped", "detail": f"--skip-{name}"}
    if largest and size > parse_size(largest, f"--{name}-max"):
        return {"status": "skipped", "detail": f"above --{name}-max {largest}"}
    return run_reference(name, bench, size_out / name, args, env, label)


def run_like_for_like(
    bench: data.BenchData, settings: Settings, args: argparse.Namespace, memory_limit: str, label: str
) -> tuple[dict[str, Any], dbt_run.Workspace | None]:
    """The like-for-like variant: a fresh warehouse holding only what the references compute,
    built (and measured) exactly as the full build is."""
    if args.skip_like_for_like:
        return {"status": "skipped", "detail": "--skip-like-for-like"}, None
    workspace = dbt_run.Workspace(
        bench.root / "like_for_like", bench.raw_dir, settings.project_dir, memory_limit=memory_limit
    )
    runs = []
    for attempt in range(args.repeat):
        progress(f"[{label}] like-for-like dbt build {attempt + 1}/{args.repeat} into {workspace.duckdb_path}")
        built = dbt_run.run_build(
            workspace, timeout_seconds=args.timeout, progress=progress, label=f"{label} like-for-like",
            build_args=dbt_run.LIKE_FOR_LIKE_ARGS,
        )
        runs.append(built)
        progress(
            f"[{label}] like-for-like dbt build: {built.build.status} in {built.build.wall_seconds:.1f} s, "
            f"peak {built.build.peak_rss_bytes / GB:.2f} GB, {len(built.nodes)} nodes"
        )
    summary = summarise_dbt(runs, args.top)
    summary["selection"] = " ".join(dbt_run.LIKE_FOR_LIKE_ARGS)
    summary["node_types"] = _node_types(runs[-1].nodes)
    return summary, workspace


def _node_types(nodes: list[dbt_run.NodeTiming]) -> dict[str, int]:
    """How many nodes of each kind a build ran: what the like-for-like variant leaves out shows."""
    counts: dict[str, int] = {}
    for node in nodes:
        kind = f"{node.language} {node.resource_type}" if node.resource_type == "model" else node.resource_type
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def bench_size(size: int, args: argparse.Namespace, settings: Settings, out_dir: Path, data_dir: Path) -> dict[str, Any]:
    label = format_size(size)
    size_out = out_dir / label
    size_out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["BANKMART_PROJECT_DIR"] = str(settings.project_dir)
    bench = data.ensure_data(size, data_dir, env, size_out, progress)
    result: dict[str, Any] = {
        "label": label,
        "transactions": size,
        "customers": bench.row_counts.get("customers"),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {
            "root": str(bench.root),
            "generated": bench.generated,
            "generation_seconds": bench.generation.wall_seconds if bench.generation else None,
            "generation_peak_rss_gb": round(bench.generation.peak_rss_bytes / GB, 3) if bench.generation else None,
            "row_counts": bench.row_counts,
            "dirty_rate": data.DIRTY_RATE,
        },
    }

    memory_limit = memory_limit_for(size, args.memory_limit)
    result["memory_limit"] = memory_limit
    workspace = dbt_run.Workspace(
        bench.root / "warehouse", bench.raw_dir, settings.project_dir, memory_limit=memory_limit
    )
    runs = []
    for attempt in range(args.repeat):
        progress(f"[{label}] dbt build {attempt + 1}/{args.repeat} into {workspace.duckdb_path}")
        built = dbt_run.run_build(workspace, timeout_seconds=args.timeout, progress=progress, label=label)
        runs.append(built)
        failed = built.failures()
        progress(
            f"[{label}] dbt build: {built.build.status} in {built.build.wall_seconds:.1f} s, "
            f"peak {built.build.peak_rss_bytes / GB:.2f} GB, {len(built.nodes)} nodes"
            + (f", {len(failed)} failed: {', '.join(n.name for n in failed[:5])}" if failed else "")
        )
    result["dbt"] = summarise_dbt(runs, args.top)
    results_file = workspace.target_path / "run_results.json"
    if results_file.is_file():
        shutil.copy(results_file, size_out / "run_results.json")
    if result["customers"] is None and workspace.duckdb_path.is_file():
        result["customers"] = _count_customers(workspace.duckdb_path)

    if args.explain > 0 and workspace.duckdb_path.is_file():
        sql_models = [
            n["name"] for n in sorted(result["dbt"]["top_models"], key=lambda n: -n["seconds"])
            if n["language"] == "sql" and n["status"] == "success" and n["materialized"] not in ("seed", "view", "ephemeral")
        ][: args.explain]
        compiled = explain.compiled_sql(workspace.target_path, sql_models)
        if compiled:
            progress(f"[{label}] EXPLAIN ANALYZE {', '.join(compiled)}")
            result["explain"] = explain.explain_models(
                workspace.duckdb_path, compiled, size_out / "explain", memory_limit=memory_limit
            )

    result["incremental"] = run_incremental(size, args, settings, bench, workspace, result, memory_limit, label)
    result["like_for_like"], like_workspace = run_like_for_like(bench, settings, args, memory_limit, label)

    for name in REFERENCES:
        result[name] = reference_result(name, size, bench, size_out, args, env, label)

    ratios: dict[str, Any] = {}
    dbt_wall = result["dbt"]["wall_seconds"]
    if result["pandas"]["status"] == "ok" and result["dbt"]["status"] == "ok":
        ratios["speedup"] = round(result["pandas"]["wall_seconds"] / dbt_wall, 3)
        ratios["memory"] = round(result["dbt"]["peak_rss_bytes"] / result["pandas"]["peak_rss_bytes"], 3)
    elif result["pandas"]["status"] not in ("ok", "skipped"):
        ratios["speedup_note"] = f"pandas {result['pandas']['status']}"
    ratios.update(report.peer_ratios(result))
    result["ratios"] = ratios

    warehouses = {"full": workspace.duckdb_path}
    if like_workspace is not None:
        warehouses["like_for_like"] = like_workspace.duckdb_path
    result["agreements"] = agreements(result, warehouses)
    # The original field: the full build against pandas, which the summary table shows.
    result["agreement"] = result["agreements"]["full_vs_pandas"]
    progress(f"[{label}] agreement: {json.dumps(result['agreements'], default=str)[:600]}")
    result["targets"] = report.judge_targets(result)
    return result


def agreements(result: dict[str, Any], warehouses: dict[str, Path]) -> dict[str, Any]:
    """Every bankmart build against every reference that finished, and the references against
    each other."""
    found: dict[str, Any] = {}
    for build, field in BUILDS.items():
        for name in REFERENCES:
            key = f"{build}_vs_{name}"
            if result[name]["status"] != "ok":
                found[key] = {"status": "skipped", "reason": f"{name} {result[name]['status']}"}
            elif build not in warehouses:
                found[key] = {"status": "skipped", "reason": f"{build} build {result[field]['status']}"}
            else:
                found[key] = agreement.compare(warehouses[build], Path(result[name]["output"]), name)
    first, second = REFERENCES
    if result[first]["status"] == "ok" and result[second]["status"] == "ok":
        found["references"] = agreement.compare_references(
            Path(result[first]["output"]), Path(result[second]["output"]), (first, second)
        )
    else:
        found["references"] = {"status": "skipped", "reason": "a reference did not finish"}
    return found


def run_incremental(
    size: int, args: argparse.Namespace, settings: Settings, bench: data.BenchData,
    workspace: dbt_run.Workspace, result: dict[str, Any], memory_limit: str, label: str,
) -> dict[str, Any]:
    """One new month's incremental build against this size's full build, or why it was not run."""
    if args.skip_incremental:
        return {"status": "skipped", "detail": "--skip-incremental"}
    if size > parse_size(args.incremental_max, "--incremental-max"):
        return {"status": "skipped", "detail": f"above --incremental-max {args.incremental_max}"}
    if result["dbt"]["status"] != "ok" or result["dbt"]["failures"]:
        return {"status": "skipped", "detail": "the full build did not pass"}
    try:
        return incremental.measure(
            bench.raw_dir, bench.root / "incremental", settings.project_dir, result["dbt"],
            workspace.duckdb_path, memory_limit=memory_limit, timeout_seconds=args.timeout,
            top=args.top, progress=progress, label=label,
        )
    except BankmartError as error:
        return {"status": "error", "detail": str(error)}


def _count_customers(duckdb_path: Path) -> int | None:
    import duckdb

    try:
        con = duckdb.connect(str(duckdb_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("select count(*) from marts.dim_customer").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    sizes = parse_sizes(args.transactions)
    for name in REFERENCES:
        if getattr(args, f"{name}_max"):
            parse_size(getattr(args, f"{name}_max"), f"--{name}-max")
    parse_size(args.incremental_max, "--incremental-max")
    out_dir = (args.out or settings.project_dir / "bench" / "results").resolve()
    data_dir = (args.data_dir or settings.data_dir / "bench").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    progress(f"sizes {', '.join(format_size(s) for s in sizes)}; data in {data_dir}; report in {out_dir}")

    kept: list[dict[str, Any]] = []
    previous = out_dir / "report.json"
    if previous.is_file() and not args.fresh:
        try:
            kept = [s for s in json.loads(previous.read_text()).get("sizes", []) if s.get("transactions") not in sizes]
        except (OSError, json.JSONDecodeError, AttributeError):
            kept = []
    document: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "settings": {
            "threads": int(os.environ.get("BANKMART_THREADS", "2")),
            "memory_limit": args.memory_limit or os.environ.get("BANKMART_MEMORY_LIMIT") or (
                f"{DEFAULT_MEMORY_LIMIT} up to 10M transactions, {LARGE_BANK_MEMORY_LIMIT} above"
            ),
            "incremental_max": None if args.skip_incremental else args.incremental_max,
            "pandas_memory_cap_gb": args.pandas_memory_gb,
            "like_for_like": None if args.skip_like_for_like else " ".join(dbt_run.LIKE_FOR_LIKE_ARGS),
            "timeout_seconds": args.timeout,
            "repeat": args.repeat,
            "data_note": (
                "Benchmark banks are generated with --dirty-rate 0 (no planted dirty rows), so "
                "bankmart's quarantine and the references' obvious cleaning keep the same rows."
            ),
        },
        "sizes": list(kept),
    }
    failures = 0
    for size in sizes:
        result = bench_size(size, args, settings, out_dir, data_dir)
        failures += result["dbt"]["status"] != "ok" or result["like_for_like"]["status"] not in ("ok", "skipped")
        document["sizes"] = sorted(
            [s for s in document["sizes"] if s.get("transactions") != size] + [result],
            key=lambda s: s["transactions"],
        )
        json_path, md_path = report.write_reports(report.sanitize(document), out_dir)
        progress(f"[{format_size(size)}] report written: {md_path}")
    print(md_path.read_text())
    if failures:
        raise BankmartError(
            f"bench: a dbt build (full or like-for-like) failed at {failures} size(s); the report "
            f"lists the failed nodes and each size's dbt logs are under {data_dir}/<size>/warehouse/ "
            f"and {data_dir}/<size>/like_for_like/"
        )
    return 0
