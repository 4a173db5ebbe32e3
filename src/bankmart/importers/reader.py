"""The tolerant CSV reader every importer shares.

Public data sets reach analysts in many copies: re-saved by Excel (a UTF-8 byte-order mark,
CRLF line endings, a header with stray spaces or another case), exported by pandas (an unnamed
index column, ``nan`` for a missing value) or padded with empty trailing columns. The reader
takes all of them and says what it did; it refuses, with the file and the reason, only what is
not a CSV table at all (an empty file, binary data, text that is not UTF-8) or what lacks a
column the format needs.

Values come out as text, stripped, with the usual spellings of "missing" turned into NULL. The
reader never judges dates or codes: that is staging's work, once for every bank. Numbers are
read by :func:`parse_number` because the raw contract stores them as numbers.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from bankmart.errors import BankmartError

#: Text that means "no value" in the copies in circulation (compared in lower case).
MISSING = frozenset({"", "nan", "na", "n/a", "null", "none", "nat", "#n/a", "-"})

#: How many rows become one Arrow chunk (keeps memory flat on a million-row file).
CHUNK_ROWS = 200_000

_SNIFF_BYTES = 1 << 16


def column_key(name: str) -> str:
    """The matching key of a header: lower case, runs of other characters than letters and
    digits as one underscore ('TransactionAmount (INR)' -> 'transactionamount_inr',
    ' marital status ' -> 'marital_status')."""
    return re.sub(r"[^a-z0-9]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")


@dataclass(frozen=True)
class Column:
    """A column a format reads: its key, the header spellings it accepts (as keys), and
    whether a file without it is refused."""

    key: str
    aliases: tuple[str, ...] = ()
    required: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


@dataclass
class CsvTable:
    """One file as read: every wanted column as Arrow text (NULL where missing), and what the
    reader noticed on the way."""

    path: Path
    columns: dict[str, pa.ChunkedArray]
    header: list[str]
    rows: int
    encoding: str
    line_endings: str
    delimiter: str
    mapped: dict[str, str] = field(default_factory=dict)  # file header -> column key
    ignored: list[dict] = field(default_factory=list)  # {"column", "why"}
    rejected: dict[str, dict] = field(default_factory=dict)  # reason -> {"rows", "lines"}
    missing_values: dict[str, int] = field(default_factory=dict)  # column key -> count

    def column(self, key: str) -> pa.ChunkedArray:
        if key in self.columns:
            return self.columns[key]
        return pa.chunked_array([pa.nulls(self.rows, pa.string())])

    def has(self, key: str) -> bool:
        return key in self.columns

    def describe(self) -> dict:
        return {
            "path": str(self.path),
            "rows_read": self.rows + sum(r["rows"] for r in self.rejected.values()),
            "rows_kept": self.rows,
            "encoding": self.encoding,
            "line_endings": self.line_endings,
            "delimiter": self.delimiter,
            "columns_mapped": self.mapped,
        }


def _reject(table: dict[str, dict], reason: str, line: int) -> None:
    entry = table.setdefault(reason, {"rows": 0, "lines": []})
    entry["rows"] += 1
    if len(entry["lines"]) < 10:
        entry["lines"].append(line)


def _sniff(path: Path, fmt: str) -> tuple[str, str, str]:
    """Encoding, line endings and delimiter of a file, or a clear refusal."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except IsADirectoryError:
        raise BankmartError(f"{path}: is a folder, not a {fmt} CSV file") from None
    except OSError as exc:
        raise BankmartError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if size == 0 or not head.replace(codecs.BOM_UTF8, b"").strip():
        raise BankmartError(f"{path}: the file is empty; a {fmt} file starts with its header row")
    if b"\x00" in head:
        offset = head.index(b"\x00")
        raise BankmartError(
            f"{path}: binary data (a NUL byte at byte {offset:,}), not a CSV text file; is it a "
            f"spreadsheet or an archive? Export it as CSV first"
        )
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        # a multi-byte character may be cut at the end of the sample
        head.decode(encoding) if len(head) < _SNIFF_BYTES else head[:-4].decode(encoding)
    except UnicodeDecodeError as exc:
        raise BankmartError(
            f"{path}: not UTF-8 text (byte {exc.start:,} is 0x{head[exc.start]:02x}); a {fmt} "
            f"file is a CSV text file: re-save it as UTF-8 CSV"
        ) from None
    line_endings = "CRLF" if b"\r\n" in head else "LF"
    first_line = head.decode(encoding, errors="replace").splitlines()[0] if head else ""
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    return encoding, line_endings, delimiter


def read_csv(path: Path, fmt: str, wanted: Iterable[Column]) -> CsvTable:
    """Read ``path`` as a CSV file of format ``fmt``, keeping the ``wanted`` columns.

    A required column missing from the header stops the import with the file, the column and
    the header found. Header cells that no wanted column claims are reported as ignored (empty
    header cells too, unless a value sits under them). Blank lines and lines with more values
    than the header has columns are rejected and counted; a line with fewer values has the
    rest missing (what a spreadsheet writes when the last cells are empty).
    """
    wanted = list(wanted)
    encoding, line_endings, delimiter = _sniff(path, fmt)
    try:
        handle = path.open("r", encoding=encoding, newline="")
    except OSError as exc:
        raise BankmartError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise BankmartError(f"{path}: the file is empty; a {fmt} file starts with its header row") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise BankmartError(f"{path}: the header row cannot be read as CSV ({exc})") from None
        keys = [column_key(cell) for cell in header]
        position: dict[str, int] = {}
        mapped: dict[str, str] = {}
        for column in wanted:
            for index, key in enumerate(keys):
                if key in column.keys and index not in position.values():
                    position[column.key] = index
                    mapped[header[index].strip()] = column.key
                    break
        missing = [c for c in wanted if c.required and c.key not in position]
        if missing:
            found = ", ".join(repr(h.strip()) for h in header if h.strip()) or "no column names"
            names = ", ".join(repr(c.key) for c in missing)
            raise BankmartError(
                f"{path}: missing column {names} that the {fmt} format needs (the header has "
                f"{found}){_format_hint(keys, fmt)}"
            )
        others = [i for i in range(len(header)) if i not in position.values()]
        chosen = list(position.items())
        width = len(header)
        buffers: dict[str, list[str | None]] = {key: [] for key, _ in chosen}
        chunks: dict[str, list[pa.Array]] = {key: [] for key, _ in chosen}
        missing_counts: dict[str, int] = {key: 0 for key, _ in chosen}
        filled_other = [False] * width
        rejected: dict[str, dict] = {}
        rows = 0
        line = 1
        try:
            for record in reader:
                line = reader.line_num
                if not record or all(not cell.strip() for cell in record):
                    _reject(rejected, "blank_line", line)
                    continue
                if len(record) > width and any(cell.strip() for cell in record[width:]):
                    _reject(rejected, "more_values_than_columns", line)
                    continue
                for key, index in chosen:
                    value = record[index].strip() if index < len(record) else ""
                    if value.lower() in MISSING:
                        missing_counts[key] += 1
                        buffers[key].append(None)
                    else:
                        buffers[key].append(value)
                for index in others:
                    if not filled_other[index] and index < len(record) and record[index].strip():
                        filled_other[index] = True
                rows += 1
                if rows % CHUNK_ROWS == 0:
                    for key in buffers:
                        chunks[key].append(pa.array(buffers[key], pa.string()))
                        buffers[key] = []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise BankmartError(f"{path}: line {line + 1:,} cannot be read as CSV ({exc})") from None
    for key in buffers:
        chunks[key].append(pa.array(buffers[key], pa.string()))
    ignored = []
    for index in others:
        name = header[index].strip()
        if not name and not filled_other[index]:
            why = "empty column (no header, no values)"
        elif not name:
            why = "no header name"
        elif not filled_other[index]:
            why = "not part of the format (and empty)"
        else:
            why = "not part of the format"
        ignored.append({"file": str(path), "column": name or f"<column {index + 1}>", "why": why})
    return CsvTable(
        path=path,
        columns={key: pa.chunked_array(chunks[key], pa.string()) for key in chunks},
        header=header,
        rows=rows,
        encoding=encoding,
        line_endings=line_endings,
        delimiter=delimiter,
        mapped=mapped,
        ignored=ignored,
        rejected=rejected,
        missing_values={k: v for k, v in missing_counts.items() if v},
    )


# Header keys that give a file's format away, for the hint in a "missing column" message.
_SIGNATURES: dict[str, set[str]] = {
    "mitron": {"customer_id", "month", "category", "payment_type", "spend"},
    "mitron (dim_customers.csv)": {"customer_id", "age_group", "occupation", "avg_income"},
    "kaggle-transactions": {"transactionid", "customerid", "custaccountbalance"},
    "creditcard": {"time", "v1", "amount", "class"},
    "microfinance": {"customer_id", "txn_date", "repayment_date"},
    "holdings": {"client_id", "loyalty_classification", "fee_structure"},
}


def _format_hint(keys: list[str], fmt: str) -> str:
    present = set(keys)
    for name, signature in _SIGNATURES.items():
        if signature <= present and not name.startswith(fmt):
            command = name.split(" ")[0]
            return f". It looks like a {name} file: try `bankmart import {command} ...`"
    return ""


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{2,3})+(\.\d*)?$")
_CURRENCY = re.compile(r"^(₹|rs\.?|inr|\$|usd|€|eur|£|gbp)\s*|\s*(₹|rs\.?|inr|\$|usd|€|eur|£|gbp)$", re.IGNORECASE)


def parse_number(text: str | None, percent: bool = False) -> tuple[float | None, bool]:
    """A number from text as the copies in circulation write it: thousands separators
    ('1,23,456.50', '86,600'), a currency sign ('₹ 1,200', 'Rs.450'), and, where the column
    holds a share (``percent``), '12.5%' as 0.125. Returns (value, readable): (None, True) for a
    missing value, (None, False) for text that is no number. 'NaN' and 'inf' are numbers (staging
    quarantines them with their own reason)."""
    if text is None:
        return None, True
    value = _CURRENCY.sub("", text.strip()).replace(" ", "")
    scale = 1.0
    if value.endswith("%"):
        if not percent:
            return None, False
        value, scale = value[:-1], 0.01
    if _GROUPED.match(value):
        value = value.replace(",", "")
    if _NUMBER.match(value):
        return float(value) * scale, True
    if value.lower() in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
        return float(value), True
    return None, False
