"""DuckDB files other programs may hold: who holds one, in words a user can act on.

DuckDB lets one process write a file, or any number read it, never both. When a file is taken,
its error names the holder's executable and PID ("Conflicting lock is held in
/usr/bin/python3.11 (PID 4242)"); psutil adds what that process is running, which tells a
Python script apart from the dashboard or a DuckDB shell.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import psutil

_LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def lock_holder(error: BaseException | str) -> str | None:
    """'python3.11 (PID 4242: python hold.py)' when `error` is DuckDB's lock conflict, else None."""
    match = _LOCK_HELD.search(str(error))
    if match is None:
        return None
    pid = int(match.group("pid"))
    name = Path(match.group("program")).name or "a program"
    command = ""
    try:
        process = psutil.Process(pid)
        name = process.name() or name
        command = " ".join(process.cmdline())
    except psutil.Error:
        pass
    if command:
        return f"{name} (PID {pid}: {textwrap.shorten(command, 160, placeholder=' ...')})"
    return f"{name} (PID {pid})"


def first_line(error: BaseException) -> str:
    """DuckDB's message without its follow-up lines (hints, links)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__



def quote_identifier(identifier: str) -> str:
    """An SQL identifier, double-quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """An SQL string literal, single-quoted."""
    return "'" + text.replace("'", "''") + "'"
