"""Transaction counts written the way people say them: 1M, 10M, 100k, 2.5M, 1_000_000."""

from __future__ import annotations

import re

from bankmart.errors import BankmartError

_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000, "b": 1_000_000_000}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgb]?)\s*$", re.IGNORECASE)


def parse_size(text: str, option: str = "--transactions") -> int:
    """One size; a suffix k/M/G(B) multiplies by a thousand/million/billion. Errors name ``option``."""
    match = _PATTERN.match(text.replace("_", ""))
    if not match:
        raise BankmartError(
            f"{option}: cannot read size {text!r}; write e.g. 20k, 1M, 10M or 1000000"
        )
    number = float(match.group(1)) * _SUFFIX[match.group(2).lower()]
    if number < 1 or number != int(number):
        raise BankmartError(f"{option}: size {text!r} must be a whole number of at least 1")
    return int(number)


def parse_sizes(text: str) -> list[int]:
    """A comma-separated list, kept in the order given, duplicates dropped."""
    sizes: list[int] = []
    for part in text.split(","):
        if not part.strip():
            continue
        size = parse_size(part)
        if size not in sizes:
            sizes.append(size)
    if not sizes:
        raise BankmartError("--transactions: give at least one size, e.g. --transactions 1M,10M")
    return sizes


def format_size(n: int) -> str:
    """The short label used for folder names and report headings (inverse of parse_size)."""
    for suffix, factor in (("G", 1_000_000_000), ("M", 1_000_000), ("k", 1_000)):
        if n >= factor and n % (factor // 10 if factor >= 10 else 1) == 0:
            value = n / factor
            return f"{value:g}{suffix}"
    return str(n)
