"""The generation window: which months exist, and how days and seconds map onto them.

Everything inside the generator counts time as integers (days or seconds since 1970-01-01)
because integer arithmetic vectorises; text only appears when a column is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# The default window ends here, not at today's date: the same command must give the same bank
# whenever it runs.
DEFAULT_END_MONTH = (2026, 10)

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> tuple[int, int]:
    """'YYYY-MM' -> (year, month); ValueError with a readable message otherwise."""
    match = _MONTH_RE.match(text.strip())
    if not match:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 01..12, got {text!r}")
    if not 1950 <= year <= 2100:
        raise ValueError(f"year must be between 1950 and 2100, got {text!r}")
    return year, month


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Timeline:
    start_year: int
    start_month: int
    months: int

    @classmethod
    def ending_at(cls, end: tuple[int, int], months: int) -> Timeline:
        year, month = shift_month(end[0], end[1], -(months - 1))
        return cls(year, month, months)

    @cached_property
    def month_start_days(self) -> np.ndarray:
        """Epoch day of the 1st of every month, plus the 1st of the month after the window."""
        first = np.datetime64(f"{self.start_year:04d}-{self.start_month:02d}", "M")
        starts = first + np.arange(self.months + 1)
        return starts.astype("datetime64[D]").astype(np.int64)

    @cached_property
    def days_in_month(self) -> np.ndarray:
        return np.diff(self.month_start_days)

    @cached_property
    def calendar_month(self) -> np.ndarray:
        """0 (January) .. 11 (December) for every month of the window."""
        return (np.arange(self.months) + self.start_month - 1) % 12

    @cached_property
    def labels(self) -> list[str]:
        out = []
        for i in range(self.months):
            year, month = shift_month(self.start_year, self.start_month, i)
            out.append(f"{year:04d}-{month:02d}")
        return out

    @property
    def first_day(self) -> int:
        return int(self.month_start_days[0])

    @property
    def last_day(self) -> int:
        """Last day of the window (inclusive): the as-of date for ages and tenure."""
        return int(self.month_start_days[-1]) - 1

    @property
    def end_year(self) -> int:
        return shift_month(self.start_year, self.start_month, self.months - 1)[0]

    @property
    def recent_months(self) -> int:
        """How many final months planted risk shows in: the last quarter (less if short)."""
        return 3 if self.months >= 12 else min(3, max(1, self.months // 4))

    @property
    def recent_start_day(self) -> int:
        return int(self.month_start_days[self.months - self.recent_months])

    def month_of_day(self, days: np.ndarray) -> np.ndarray:
        """Window month index of each epoch day (clipped into the window)."""
        index = np.searchsorted(self.month_start_days, days, side="right") - 1
        return np.clip(index, 0, self.months - 1)
