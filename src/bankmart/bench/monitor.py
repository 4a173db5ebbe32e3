"""Run a command and measure it the same way for dbt and pandas: wall time and peak RSS of the tree.

Peak memory is the largest *sum* of resident set sizes over the process and all its descendants,
sampled every ``interval`` seconds by a thread, because dbt may start helper processes and a
single-process figure would flatter it. The same thread is the watchdog: it stops the whole
process group when the tree passes a memory cap or a time limit, so a benchmark that cannot
finish ends cleanly and says why instead of taking the machine down.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

GB = 1024**3


@dataclass
class Measurement:
    """What one measured run did. ``status`` is ok, failed, killed_memory or timed_out."""

    command: list[str]
    status: str
    returncode: int | None
    wall_seconds: float
    peak_rss_bytes: int
    max_single_rss_bytes: int
    samples: int
    started_at: float
    cpu_seconds: float = 0.0
    load_average: tuple[float, float] = (0.0, 0.0)
    detail: str = ""
    log_path: str = ""
    timeline: list[tuple[float, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("timeline")
        data["peak_rss_gb"] = round(self.peak_rss_bytes / GB, 3)
        data["cpu_seconds"] = round(self.cpu_seconds, 2)
        return data


def tree_rss(process: psutil.Process) -> int:
    """RSS of a process plus all its live descendants, in bytes (0 once it is gone)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


class TreeSampler(threading.Thread):
    """Polls a process tree's RSS; optionally kills the group past a memory cap or deadline."""

    def __init__(
        self,
        pid: int,
        interval: float = 0.1,
        memory_cap_bytes: int | None = None,
        timeout_seconds: float | None = None,
        on_sample: Callable[[float, int], None] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.memory_cap_bytes = memory_cap_bytes
        self.timeout_seconds = timeout_seconds
        self.on_sample = on_sample
        self.peak = 0
        self.samples = 0
        self.killed_for: str = ""
        self.kill_detail: str = ""
        self.timeline: list[tuple[float, int]] = []
        self._stop_event = threading.Event()
        self._t0 = time.perf_counter()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        try:
            process = psutil.Process(self.pid)
        except psutil.Error:
            return
        last_logged = -1.0
        while not self._stop_event.is_set():
            rss = tree_rss(process)
            elapsed = time.perf_counter() - self._t0
            if rss:
                self.samples += 1
                self.peak = max(self.peak, rss)
                if elapsed - last_logged >= 1.0:
                    self.timeline.append((round(elapsed, 1), rss))
                    last_logged = elapsed
                if self.on_sample:
                    self.on_sample(elapsed, rss)
            if self.memory_cap_bytes and rss > self.memory_cap_bytes and not self.killed_for:
                self.killed_for = "killed_memory"
                self.kill_detail = (
                    f"killed at {rss / GB:.1f} GB (cap {self.memory_cap_bytes / GB:.1f} GB) "
                    f"after {elapsed:.0f} s"
                )
                _kill_group(self.pid)
            elif self.timeout_seconds and elapsed > self.timeout_seconds and not self.killed_for:
                self.killed_for = "timed_out"
                self.kill_detail = f"timed out after {self.timeout_seconds:.0f} s (stopped)"
                _kill_group(self.pid)
            self._stop_event.wait(self.interval)


def _kill_group(pid: int) -> None:
    """The child runs in its own session, so its group id is its pid: end it and descendants."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_measured(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path | None = None,
    memory_cap_bytes: int | None = None,
    address_space_bytes: int | None = None,
    timeout_seconds: float | None = None,
    interval: float = 0.1,
    on_sample: Callable[[float, int], None] | None = None,
) -> Measurement:
    """Run ``command`` to completion, sampling its tree; output goes to ``log_path`` (or nowhere).

    ``address_space_bytes`` sets RLIMIT_AS in the child, so an allocation past it raises
    MemoryError inside the child (a clean, reportable failure) rather than waking the kernel's
    OOM killer. The RSS cap is the watchdog for what RLIMIT_AS does not catch.
    """

    def limit_child() -> None:
        if address_space_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (address_space_bytes, address_space_bytes))

    log_file = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    load_before = os.getloadavg()[0]
    started_at = time.time()
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(
            list(command),
            env=env,
            cwd=cwd,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=limit_child if address_space_bytes else None,  # noqa: PLW1509
        )
    except OSError:
        if log_path:
            log_file.close()
        raise
    sampler = TreeSampler(proc.pid, interval, memory_cap_bytes, timeout_seconds, on_sample)
    sampler.start()
    try:
        # wait4 (not Popen.wait) also returns the kernel's own max RSS of the child, a
        # cross-check on the sampler for short peaks between two samples.
        _, wait_status, usage = os.wait4(proc.pid, 0)
    except KeyboardInterrupt:
        _kill_group(proc.pid)
        raise
    finally:
        wall = time.perf_counter() - t0
        sampler.stop()
        sampler.join()
        if log_path:
            log_file.close()
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    max_single = int(usage.ru_maxrss) * 1024  # Linux reports KiB
    # CPU time of the tree (children it waited for included) is far less sensitive than wall
    # time to other work on a shared machine; the 1-minute load average says how busy it was.
    cpu_seconds = usage.ru_utime + usage.ru_stime
    if sampler.killed_for:
        status, detail = sampler.killed_for, sampler.kill_detail
    elif proc.returncode == 0:
        status, detail = "ok", ""
    else:
        status = "failed"
        detail = f"exit code {proc.returncode}"
    return Measurement(
        command=list(command),
        status=status,
        returncode=proc.returncode,
        wall_seconds=round(wall, 3),
        peak_rss_bytes=max(sampler.peak, max_single),
        max_single_rss_bytes=max_single,
        samples=sampler.samples,
        started_at=started_at,
        detail=detail,
        log_path=str(log_path or ""),
        timeline=sampler.timeline,
        cpu_seconds=round(cpu_seconds, 2),
        load_average=(round(load_before, 2), round(os.getloadavg()[0], 2)),
    )


def log_tail(path: str | Path, lines: int = 30) -> str:
    """Last lines of a run's log, for error messages and the report."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
