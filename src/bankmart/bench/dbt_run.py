"""The measured `dbt build`: a fresh DuckDB file per size, and where the time went per node.

dbt is run as a user runs it (the `dbt` executable beside this Python) with the same
environment pattern as the tests' ``bank_env``: every path absolute and private to this size,
so a benchmark never touches the developer's warehouse, target/ or logs/.

Fixed overhead is measured two ways, because both matter to a user waiting on a build:
``dbt parse`` timed on its own (a cold parse: fresh target/), and, inside the build, the time
from process start to the first node starting plus the time from the last node finishing to
process exit (start-up, on-run-start hooks, manifest writing, shut-down).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bankmart.bench.monitor import GB, Measurement, run_measured
from bankmart.build import WITHOUT_UNIT_TESTS, dbt_executable

#: The like-for-like build: only what the reference pipelines compute (customer features, spend
#: tiers, segments), i.e. those marts and every model and seed upstream of them, and no data
#: tests, since the references check nothing. Everything else of the full build (star schema
#: facts no reference needs, risk scores, BI marts, the semantic layer, every test) is left out.
LIKE_FOR_LIKE_SELECT = ("+customer_spend_tiers", "+customer_segments")
LIKE_FOR_LIKE_ARGS = (
    "--select", *LIKE_FOR_LIKE_SELECT,
    "--exclude-resource-type", "test",
    "--exclude-resource-type", "unit_test",
)


@dataclass
class Workspace:
    """Where one size's warehouse, target/ and logs/ live."""

    root: Path
    raw_dir: Path
    project_dir: Path
    memory_limit: str | None = None

    @property
    def duckdb_path(self) -> Path:
        return self.root / "bench.duckdb"

    @property
    def target_path(self) -> Path:
        return self.root / "target"

    @property
    def log_path(self) -> Path:
        return self.root / "logs"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            BANKMART_PROJECT_DIR=str(self.project_dir),
            BANKMART_RAW_DIR=str(self.raw_dir),
            BANKMART_DUCKDB_PATH=str(self.duckdb_path),
            BANKMART_SERVING_DIR=str(self.root / "serving"),
            DBT_PROFILES_DIR=str(self.project_dir),
            DBT_TARGET_PATH=str(self.target_path),
            DBT_LOG_PATH=str(self.log_path),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        if self.memory_limit:
            env["BANKMART_MEMORY_LIMIT"] = self.memory_limit
        return env

    def reset(self) -> None:
        """A fresh warehouse: delete the DuckDB file, its WAL and spill folder, and target/."""
        self.root.mkdir(parents=True, exist_ok=True)
        for suffix in ("", ".wal"):
            path = Path(str(self.duckdb_path) + suffix)
            if path.exists():
                path.unlink()
        for folder in (Path(str(self.duckdb_path) + ".tmp"), self.target_path, self.log_path):
            if folder.exists():
                shutil.rmtree(folder)


@dataclass
class NodeTiming:
    unique_id: str
    name: str
    resource_type: str
    language: str
    status: str
    seconds: float
    started: datetime | None
    completed: datetime | None
    materialized: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unique_id": self.unique_id,
            "resource_type": self.resource_type,
            "language": self.language,
            "materialized": self.materialized,
            "status": self.status,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class DbtResult:
    parse: Measurement | None
    build: Measurement
    nodes: list[NodeTiming] = field(default_factory=list)
    startup_seconds: float | None = None
    teardown_seconds: float | None = None
    dbt_elapsed_seconds: float | None = None
    nodes_from_log: bool = False
    running_at_stop: list[str] = field(default_factory=list)

    @property
    def overhead_seconds(self) -> float | None:
        """Build time spent outside any node: start-up before the first, shut-down after the last."""
        if self.startup_seconds is None or self.teardown_seconds is None:
            return None
        return self.startup_seconds + self.teardown_seconds

    def seconds_by(self, predicate: Any) -> float:
        return sum(n.seconds for n in self.nodes if predicate(n))

    @property
    def python_seconds(self) -> float:
        return self.seconds_by(lambda n: n.language == "python")

    @property
    def model_seconds(self) -> float:
        return self.seconds_by(lambda n: n.resource_type == "model")

    @property
    def test_seconds(self) -> float:
        return self.seconds_by(lambda n: n.resource_type in ("test", "unit_test"))

    @property
    def python_share_of_wall(self) -> float | None:
        wall = self.build.wall_seconds
        return self.python_seconds / wall if wall else None

    @property
    def python_running_seconds(self) -> float | None:
        """Wall seconds during which at least one Python model ran (overlaps counted once):
        python_seconds counts two models running side by side twice."""
        spans = sorted((n.started, n.completed) for n in self.nodes
                       if n.language == "python" and n.started and n.completed)
        if not spans:
            return None
        total, (start, end) = 0.0, spans[0]
        for span_start, span_end in spans[1:]:
            if span_start > end:
                total += (end - start).total_seconds()
                start, end = span_start, span_end
            else:
                end = max(end, span_end)
        return total + (end - start).total_seconds()

    @property
    def python_share_of_node_time(self) -> float | None:
        total = self.seconds_by(lambda n: True)
        return self.python_seconds / total if total else None

    def summary(self, top: int) -> dict[str, Any]:
        """This build's figures for the report: times, memory, overhead, Python share, the
        ``top`` slowest models and tests, and the failed nodes."""
        parse = self.parse
        return {
            "status": self.build.status,
            "detail": self.build.detail,
            "wall_seconds": self.build.wall_seconds,
            "peak_rss_bytes": self.build.peak_rss_bytes,
            "peak_rss_gb": round(self.build.peak_rss_bytes / GB, 3),
            "cpu_seconds": self.build.cpu_seconds,
            "load_average_before_after": list(self.build.load_average),
            "dbt_elapsed_seconds": self.dbt_elapsed_seconds,
            "parse_seconds": parse.wall_seconds if parse else None,
            "parse_peak_rss_gb": round(parse.peak_rss_bytes / GB, 3) if parse else None,
            "startup_seconds": _round(self.startup_seconds),
            "teardown_seconds": _round(self.teardown_seconds),
            "overhead_seconds": _round(self.overhead_seconds),
            "nodes": len(self.nodes),
            "model_seconds": round(self.model_seconds, 3),
            "test_seconds": round(self.test_seconds, 3),
            "python_seconds": round(self.python_seconds, 3),
            "python_models": [n.name for n in self.nodes if n.language == "python"],
            "python_share": _round(self.python_share_of_wall, 4),
            "python_share_of_node_time": _round(self.python_share_of_node_time, 4),
            "python_running_seconds": _round(self.python_running_seconds),
            "top_models": [n.to_json() for n in self.slowest(top, ("model", "seed", "snapshot"))],
            "top_tests": [n.to_json() for n in self.slowest(top, ("test", "unit_test"))],
            "failures": [n.to_json() for n in self.failures()],
            "nodes_from_log": self.nodes_from_log,
            "running_at_stop": self.running_at_stop,
            "memory_timeline": self.build.timeline,
            "log": self.build.log_path,
        }

    def failures(self) -> list[NodeTiming]:
        return [n for n in self.nodes if n.status not in ("success", "pass", "skipped", "skip", "warn", "no-op")]

    def slowest(self, n: int, resource_types: tuple[str, ...] = ("model",)) -> list[NodeTiming]:
        chosen = [x for x in self.nodes if x.resource_type in resource_types]
        return sorted(chosen, key=lambda x: x.seconds, reverse=True)[:n]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def read_nodes(target_path: Path) -> tuple[list[NodeTiming], float | None]:
    """Per-node timings from run_results.json, with language and materialization from manifest."""
    results_path = target_path / "run_results.json"
    if not results_path.is_file():
        return [], None
    results = json.loads(results_path.read_text())
    manifest_nodes: dict[str, Any] = {}
    manifest_path = target_path / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        manifest_nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    nodes = []
    for result in results.get("results", []):
        uid = result.get("unique_id", "")
        node = manifest_nodes.get(uid, {})
        timing = {t.get("name"): t for t in result.get("timing", [])}
        started = _parse_time((timing.get("compile") or timing.get("execute") or {}).get("started_at"))
        completed = _parse_time((timing.get("execute") or timing.get("compile") or {}).get("completed_at"))
        nodes.append(
            NodeTiming(
                unique_id=uid,
                name=node.get("name") or uid.split(".")[-1],
                resource_type=node.get("resource_type") or uid.split(".")[0],
                language=node.get("language") or "sql",
                status=str(result.get("status")),
                seconds=float(result.get("execution_time") or 0.0),
                started=started,
                completed=completed,
                materialized=(node.get("config") or {}).get("materialized", ""),
            )
        )
    return nodes, results.get("elapsed_time")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FINISHED = re.compile(
    r"\d+ of \d+ (?P<status>OK created|OK loaded|PASS|FAIL \d+|ERROR creating|ERROR|WARN \d+)\s+"
    r"(?P<what>.+?)\s+(?:\.+\s)?\[.*? in (?P<seconds>[\d.]+)s\]"
)
_STARTED = re.compile(r"\d+ of \d+ START (?P<what>.+?)\s+(?:\.+\s)?\[RUN\]")


def _describe(what: str) -> tuple[str, str, str, str]:
    """'python table model marts.ml_segmentation' -> (name, resource type, language, materialized)."""
    words = what.split()
    name = words[-1].split(".")[-1] if words else what
    if "model" in words:
        language = words[0] if words[0] in ("sql", "python") else "sql"
        materialized = words[1] if len(words) > 2 else ""
        return name, "model", language, materialized
    if words and words[0] in ("test", "unit_test"):
        return name, words[0], "sql", ""
    if "seed" in words:
        return name, "seed", "sql", "seed"
    return name, "operation", "sql", ""


def read_nodes_from_log(log: Path) -> tuple[list[NodeTiming], list[str]]:
    """Per-node times from dbt's console log, for a build stopped before run_results.json.

    A build killed at a time limit or memory cap never writes run_results.json, but its console
    log already names every finished node with its time, and the nodes still running.
    """
    try:
        text = _ANSI.sub("", log.read_text(errors="replace"))
    except OSError:
        return [], []
    nodes: list[NodeTiming] = []
    started: dict[str, str] = {}
    for line in text.splitlines():
        if "hook:" in line:
            continue
        if match := _STARTED.search(line):
            started[match.group("what")] = line
            continue
        if match := _FINISHED.search(line):
            what = match.group("what").replace("created ", "").replace("loaded ", "")
            name, resource_type, language, materialized = _describe(what)
            if match.group("status").split()[0] in ("PASS", "FAIL", "WARN") and resource_type == "operation":
                resource_type = "unit_test" if "::" in name else "test"
            for key in list(started):
                if key.split()[-1] == what.split()[-1]:
                    del started[key]
            status = match.group("status").split()[0].lower()
            nodes.append(
                NodeTiming(
                    unique_id=f"{resource_type}.{name}", name=name, resource_type=resource_type,
                    language=language, status={"ok": "success"}.get(status, status),
                    seconds=float(match.group("seconds")), started=None, completed=None,
                    materialized=materialized,
                )
            )
    return nodes, [_describe(what)[0] for what in started]


def run_build(
    workspace: Workspace, *, timeout_seconds: float | None = None, progress: Any = print,
    label: str = "", fresh: bool = True, build_args: tuple[str, ...] = WITHOUT_UNIT_TESTS,
) -> DbtResult:
    """`dbt parse` (cold), then `dbt build` on a fresh warehouse, both measured.

    With ``fresh=False`` only the build runs, on the warehouse and target/ as they are: an
    incremental build after an earlier one (its start-up then uses dbt's partial parse).
    ``build_args`` choose what is built: by default what `bankmart build` builds (everything
    but the unit tests); ``LIKE_FOR_LIKE_ARGS`` for the like-for-like variant.
    """
    env = workspace.env()

    def dbt(command: str, *args: str, **options: Any) -> Measurement:
        """`dbt <command>` measured, its output in <workspace>/dbt_<command>.log."""
        return run_measured(
            [dbt_executable(), command, *args, "--project-dir", str(workspace.project_dir),
             "--profiles-dir", str(workspace.project_dir)],
            env=env,
            cwd=workspace.project_dir,
            log_path=workspace.root / f"dbt_{command}.log",
            timeout_seconds=timeout_seconds,
            **options,
        )

    parse = None
    if fresh:
        workspace.reset()
        workspace.log_path.mkdir(parents=True, exist_ok=True)
        parse = dbt("parse")
        progress(f"[{label}] dbt parse: {parse.wall_seconds:.1f} s ({parse.status})")

    last_report = [0.0]

    def heartbeat(elapsed: float, rss: int) -> None:
        if elapsed - last_report[0] >= 15:
            last_report[0] = elapsed
            done = _count_finished(workspace.root / "dbt_build.log")
            progress(f"[{label}]   dbt build running {elapsed:.0f} s, {rss / 1024**3:.1f} GB, {done} nodes done")

    # By default the build `bankmart build` runs: the unit tests are for development and CI.
    build = dbt("build", *build_args, on_sample=heartbeat)
    nodes, elapsed = read_nodes(workspace.target_path)
    result = DbtResult(parse=parse, build=build, nodes=nodes, dbt_elapsed_seconds=elapsed)
    if not nodes:
        result.nodes, result.running_at_stop = read_nodes_from_log(workspace.root / "dbt_build.log")
        result.nodes_from_log = bool(result.nodes or result.running_at_stop)
    starts = [n.started for n in nodes if n.started]
    ends = [n.completed for n in nodes if n.completed]
    if starts and ends:
        process_start = datetime.fromtimestamp(build.started_at, tz=UTC)
        process_end = datetime.fromtimestamp(build.started_at + build.wall_seconds, tz=UTC)
        if starts[0].tzinfo is None:
            # dbt writes naive UTC timestamps ("...Z" stripped in some versions): compare naive.
            process_start = process_start.replace(tzinfo=None)
            process_end = process_end.replace(tzinfo=None)
        result.startup_seconds = max(0.0, (min(starts) - process_start).total_seconds())
        result.teardown_seconds = max(0.0, (process_end - max(ends)).total_seconds())
    return result


def _count_finished(log: Path) -> int:
    """Nodes dbt has reported as finished so far (lines like '1 of 80 OK created ...')."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return 0
    return sum(
        1 for line in text.splitlines() if " of " in line and any(
            word in line for word in (" OK ", " PASS ", " ERROR ", " FAIL ", " WARN ", " SKIP ")
        )
    )
