"""Turning integer arrays into the text columns of the raw contract, fast.

Raw dates and timestamps are text (see raw_schema). Formatting millions of them one by one in
Python would dominate the run time, so these helpers stay inside Arrow's compute kernels.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _strings(chars: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """An Arrow string array from an (n, width) matrix of ASCII codes, one string per row.

    Building the buffers directly avoids creating millions of Python strings.
    """
    n, width = chars.shape
    data = pa.py_buffer(np.ascontiguousarray(chars, dtype=np.uint8))
    bitmap = None
    if valid is not None:
        bitmap = pa.py_buffer(np.packbits(np.asarray(valid, dtype=bool), bitorder="little"))
    if n * width < 2**31 - 1:
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), data, bitmap)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), data, bitmap).cast(pa.string())


@lru_cache(maxsize=1)
def _four_digits() -> np.ndarray:
    """ASCII of 0000..9999 packed into one uint32 each: digits are written four at a time by
    a 1-D lookup, which numpy does far faster than a 2-D one."""
    n = np.arange(10000)
    chars = np.stack([n // 1000 % 10, n // 100 % 10, n // 10 % 10, n % 10], axis=1) + 48
    return np.ascontiguousarray(chars.astype(np.uint8)).view(np.uint32).ravel()


def _digits(out: np.ndarray, column: int, values: np.ndarray, width: int) -> None:
    """Write values as zero-padded decimal digits into out[:, column:column + width]."""
    table = _four_digits()
    v = np.array(values, dtype=np.int64)
    end = column + width
    while end > column:
        size = min(4, end - column)
        group = table[v % 10000].view(np.uint8).reshape(-1, 4)
        out[:, end - size : end] = group[:, 4 - size :]
        v //= 10000
        end -= size


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded identifiers such as C0000001; numbers wider than width are kept whole."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if len(numbers):
        width = max(width, len(str(int(numbers.max()))))
    chars = np.empty((len(numbers), len(prefix) + width), dtype=np.uint8)
    chars[:, : len(prefix)] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    _digits(chars, len(prefix), numbers, width)
    return _strings(chars)


def _date_chars(days: np.ndarray) -> np.ndarray:
    """(n, 10) ASCII 'YYYY-MM-DD': each distinct day is formatted once, then looked up."""
    if len(days) == 0:
        return np.empty((0, 10), dtype=np.uint8)
    lo, hi = int(days.min()), int(days.max())
    span = np.arange(lo, hi + 1)
    year, month, day = days_to_ymd(span)
    table = np.empty((len(span), 10), dtype=np.uint8)
    table[:, 4] = table[:, 7] = ord("-")
    _digits(table, 0, year, 4)
    _digits(table, 5, month, 2)
    _digits(table, 8, day, 2)
    return table[days - lo]


@lru_cache(maxsize=1)
def _times_of_day() -> np.ndarray:
    """(86400, 8) ASCII 'HH:MM:SS' for every second of a day."""
    second = np.arange(86400)
    table = np.empty((86400, 8), dtype=np.uint8)
    table[:, 2] = table[:, 5] = ord(":")
    _digits(table, 0, second // 3600, 2)
    _digits(table, 3, second // 60 % 60, 2)
    _digits(table, 6, second % 60, 2)
    return table


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Epoch days -> 'YYYY-MM-DD' text; rows where valid is False become NULL."""
    days = np.asarray(days, dtype=np.int64)
    if valid is not None:  # placeholders for NULL rows must not widen the lookup table
        days = np.where(valid, days, days[valid].min() if valid.any() else 0)
    return _strings(_date_chars(days), valid)


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' text (local time, no zone)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    chars = np.empty((len(seconds), 19), dtype=np.uint8)
    chars[:, :10] = _date_chars(seconds // 86400)
    chars[:, 10] = ord(" ")
    chars[:, 11:] = _times_of_day()[seconds % 86400]
    return _strings(chars)


def labels(values: Sequence[str], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Code index -> label text; NULL where valid is False."""
    out = pa.array(list(values), type=pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))
    if valid is not None:
        out = pc.if_else(pa.array(np.asarray(valid, dtype=bool)), out, pa.scalar(None, pa.string()))
    return out


def money(values: np.ndarray) -> np.ndarray:
    """Round to paise, as a core banking system would store it."""
    return np.round(np.asarray(values, dtype=np.float64), 2)


def days_to_ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch days -> (year, month 1..12, day 1..31) arrays."""
    as_date = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    year = as_date.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = as_date.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (as_date - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day
