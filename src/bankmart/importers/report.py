"""The import report: what an importer read, wrote, left out and made up, as JSON and as text.

An analyst must be able to tell from it, without opening the files, how far the warehouse's
numbers rest on the data set and how far on the importer's derivations. It is written beside the
raw tables as ``_import_report.json`` and printed at the end of ``bankmart import``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bankmart.importers.reader import CsvTable

REPORT_NAME = "_import_report.json"


@dataclass
class ImportReport:
    format: str
    options: dict
    files: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_written: dict[str, int] = field(default_factory=dict)
    rows_rejected: dict[str, dict] = field(default_factory=dict)
    columns_ignored: list[dict] = field(default_factory=list)
    missing_values: dict[str, int] = field(default_factory=dict)
    unreadable_values: dict[str, dict] = field(default_factory=dict)
    derived: list[dict] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    import_seconds: float | None = None

    def read(self, table: CsvTable) -> None:
        """Record a file the importer read."""
        self.files.append(table.describe())
        self.rows_read += table.describe()["rows_read"]
        for reason, entry in table.rejected.items():
            self.reject(reason, entry["rows"], file=str(table.path), lines=entry["lines"])
        self.columns_ignored.extend(table.ignored)
        name = table.path.name
        for key, count in table.missing_values.items():
            self.missing_values[f"{name}:{key}"] = count

    def reject(self, reason: str, rows: int, **detail: object) -> None:
        if rows == 0:
            return
        entry = self.rows_rejected.setdefault(reason, {"rows": 0})
        entry["rows"] += rows
        entry.update({k: v for k, v in detail.items() if v not in (None, [], "")})

    def unreadable(self, column: str, count: int, examples: list[str], became: str) -> None:
        """Values that could not be read into the contract's type (numbers): they land NULL."""
        if count:
            self.unreadable_values[column] = {"count": count, "examples": examples[:5], "became": became}

    def derive(self, table: str, column: str, rows: int, how: str) -> None:
        """A value the contract needs and the file lacks, made up deterministically."""
        if rows:
            self.derived.append({"table": table, "column": column, "rows": rows, "how": how})

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "options": self.options,
            "files": self.files,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_rejected": self.rows_rejected,
            "columns_ignored": self.columns_ignored,
            "missing_values": self.missing_values,
            "unreadable_values": self.unreadable_values,
            "derived": self.derived,
            "facts": self.facts,
            "notes": self.notes,
            "import_seconds": self.import_seconds,
        }

    def write(self, folder: Path) -> Path:
        path = folder / REPORT_NAME
        path.write_text(json.dumps(self.as_dict(), indent=2, default=str) + "\n")
        return path

    def text(self, out: Path) -> str:
        """The report as the command prints it."""
        lines = [f"Imported {self.format}: {self.rows_read:,} rows read from {len(self.files)} file(s) into {out}"]
        lines.append("  rows written: " + ", ".join(f"{t} {n:,}" for t, n in self.rows_written.items()))
        if self.rows_rejected:
            lines.append("  rows rejected: " + ", ".join(f"{r} {e['rows']:,}" for r, e in self.rows_rejected.items()))
        else:
            lines.append("  rows rejected: none")
        for column in self.columns_ignored:
            lines.append(f"  ignored column {column['column']!r} of {Path(column['file']).name}: {column['why']}")
        for key, count in self.missing_values.items():
            lines.append(f"  missing values: {key} {count:,} (land as NULL)")
        for column, entry in self.unreadable_values.items():
            lines.append(f"  unreadable: {column} {entry['count']:,} values, e.g. {entry['examples'][:3]} ({entry['became']})")
        for item in self.derived:
            lines.append(f"  derived {item['table']}.{item['column']} ({item['rows']:,} rows): {item['how']}")
        for key, value in self.facts.items():
            lines.append(f"  {key}: {value}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        if self.import_seconds is not None:
            lines.append(f"  took {self.import_seconds:.1f} s; report: {out / REPORT_NAME}")
        lines.append(f"  next: BANKMART_RAW_DIR={out} bankmart build")
        return "\n".join(lines)
