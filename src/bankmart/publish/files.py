"""Putting a new serving version in place: temporary names, the swap, one publish at a time,
and cleaning up after publishes that died."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import psutil

from bankmart.errors import BankmartError

TEMP_PREFIX = ".publishing-"
OLD_PREFIX = ".previous-"


def swap_into_place(
    *,
    tmp_db: Path,
    serving_path: Path,
    tmp_parquet: Path,
    parquet_dir: Path,
    token: str,
    stale_wal: Path | None = None,
) -> list[str]:
    """Rename the new file and folder into place, keeping the previous version on any failure.

    A single file can be replaced atomically; a folder cannot, so the old Parquet folder is moved
    aside first (which fails on Windows while a reader holds a file in it, before anything has
    changed), then a write-ahead log left beside the old serving file by a dead writer (DuckDB
    would replay it onto the new file), then the serving file is replaced (the step readers care
    about most), then the new folder takes the freed name. If the serving file cannot be
    replaced, what was moved aside is moved back.
    """
    notes: list[str] = []
    aside = parquet_dir.with_name(f"{OLD_PREFIX}{token}-{parquet_dir.name}")
    moved: list[tuple[Path, Path]] = []  # (original, aside), to undo in reverse
    if parquet_dir.exists():
        try:
            os.replace(parquet_dir, aside)
            moved.append((parquet_dir, aside))
        except OSError as exc:
            raise BankmartError(
                f"cannot replace the Parquet folder {parquet_dir}: {exc}. A program (Power BI, "
                "Excel, a DuckDB shell) probably has a file in it open; close it and run "
                "`bankmart publish` again. Nothing was published: the previous version is intact."
            ) from exc
    try:
        if stale_wal is not None and stale_wal.exists():
            wal_aside = stale_wal.with_name(f"{OLD_PREFIX}{token}-{stale_wal.name}")
            os.replace(stale_wal, wal_aside)
            moved.append((stale_wal, wal_aside))
        os.replace(tmp_db, serving_path)
    except OSError as exc:
        for original, moved_to in reversed(moved):
            os.replace(moved_to, original)
        raise BankmartError(
            f"cannot replace the serving file {serving_path}: {exc}. A program (Power BI, the "
            "dashboard, a DuckDB shell) probably has it open; close it and run `bankmart "
            "publish` again. Nothing was published: the previous version is intact."
        ) from exc
    os.replace(tmp_parquet, parquet_dir)
    for original, moved_to in moved:
        if original == stale_wal:
            notes.append(
                f"removed {stale_wal.name}, a write-ahead log left by a program that wrote to "
                "the previous serving file and did not close it; its changes were not published."
            )
        try:
            _remove_strict(moved_to)
        except OSError as exc:
            notes.append(f"could not remove {moved_to} ({exc}); the next publish removes it.")
    return notes


@contextlib.contextmanager
def publish_lock(serving_dir: Path) -> Iterator[bool]:
    """One publish at a time per serving folder. Yields True when that is guaranteed (an
    advisory lock where the OS has flock), so every temporary file there is a dead one's."""
    try:
        import fcntl
    except ImportError:  # Windows: unique temporary names still keep two publishes apart
        yield False
        return
    with open(serving_dir / ".publish.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BankmartError(
                f"another `bankmart publish` is writing to {serving_dir}; wait for it to finish."
            ) from None
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(serving_dir: Path, *, all_of_them: bool) -> None:
    """Delete temporary files of publishes that died (killed half-way, power cut).

    Under the publish lock every one is a dead publish's, even when its PID has been reused by
    another process since; without the lock, only those whose process no longer exists.
    """
    for path in serving_dir.iterdir():
        match = re.match(rf"(?:{re.escape(TEMP_PREFIX)}|{re.escape(OLD_PREFIX)})(\d+)-", path.name)
        if match and (all_of_them or not psutil.pid_exists(int(match.group(1)))):
            remove_quietly(path)


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        _remove_strict(path)


def _remove_strict(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
