"""Reading a date where an importer must derive something from it (a balance month, which row
is the latest). The landed date columns are never rewritten: staging parses them, once for
every bank. These helpers only serve derivations, and say which day/month order they used."""

from __future__ import annotations

import re
from datetime import date

import pyarrow as pa

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:[ T].*)?$")


def day_first(values: list[str | None], default: bool = True) -> bool:
    """Whether D/M dates are day first: a first field above 12 proves it, a second field above
    12 disproves it; without evidence (or with both), ``default``."""
    first = second = False
    for text in values:
        match = _DMY.match(text or "")
        if match:
            first |= int(match.group(1)) > 12
            second |= int(match.group(2)) > 12
    if first != second:
        return first
    return default


def parse(text: str | None, dmy: bool, century: int = 2000) -> date | None:
    """A date from ISO, D/M/YYYY, D/M/YY or DD-MM-YYYY text (two-digit years in ``century``)."""
    if not text:
        return None
    try:
        match = _ISO.match(text)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = _DMY.match(text)
        if match:
            a, b, year = int(match.group(1)), int(match.group(2)), match.group(3)
            day, month = (a, b) if dmy else (b, a)
            return date(int(year) + (century if len(year) == 2 else 0), month, day)
    except ValueError:
        return None
    return None


def parse_column(values: pa.ChunkedArray, default_day_first: bool = True) -> tuple[pa.Array, str]:
    """Every value of a text column parsed once per distinct value: (DATE array, order used)."""
    encoded = values.combine_chunks().dictionary_encode() if values.num_chunks else pa.array([], pa.string()).dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    dmy = day_first(distinct, default_day_first)
    parsed = pa.array([parse(text, dmy) for text in distinct], pa.date32())
    return parsed.take(encoded.indices), "day first (D/M/Y)" if dmy else "month first (M/D/Y)"
