"""The raw contract's two dbt copies, generated from ``bankmart.raw_schema``.

dbt needs the contract twice: as sources (``models/staging/core/_core__sources.yml``: columns,
types, descriptions, required flags, the reconciliation test) and as a macro
(``macros/staging/raw_contract.sql``) because unit tests see no sources. Both are rendered from
``raw_schema.RAW_TABLES`` here, so the contract has one definition; ``bankmart contract --write``
rewrites them after a change, and a test fails when either file differs from its rendering.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bankmart.raw_schema import ESSENTIAL_TABLES, RAW_TABLE_DESCRIPTIONS, RAW_TABLES, RawColumn
from bankmart.settings import Settings

SOURCES_PATH = Path("models") / "staging" / "core" / "_core__sources.yml"
MACRO_PATH = Path("macros") / "staging" / "raw_contract.sql"

_SOURCES_HEADER = """\
version: 2

# GENERATED from src/bankmart/raw_schema.py by `bankmart contract --write`: edit the contract
# there, then regenerate. The raw landing tables: one folder per table under var raw_dir (env
# BANKMART_RAW_DIR), files read in place by DuckDB. Staging reads these through `raw_source()`,
# which fills optional columns a file set lacks with typed NULLs and reads a table the bank does
# not have as no rows; the on-run-start hook `check_raw_sources()` stops a build early when the
# customers folder, a file or a required column is missing. On Spark the same hook registers
# each table's files as an external table in schema var raw_schema (default raw).

sources:
  - name: core
    schema: "{{ var('raw_schema', 'raw') }}"
    description: >
      Raw files of the bank's core systems, as `bankmart generate` writes them or as an importer
      maps a public data set onto the raw contract. Dates and timestamps are text, so that
      staging can quarantine unparseable values instead of losing the row.
    config:
      meta:
        # dbt-duckdb substitutes {name} with the table name. Parquet is the default; CSV files
        # (var raw_format: csv) are read as text, in var csv_encoding (checked by csv_encoding()
        # before any model runs), and typed by staging like the rest. filename and
        # file_row_number let staging keep the first of several rows with one id and say which
        # file a quarantined row came from. YAML sees the project's var defaults unrendered,
        # hence the env_var fallbacks.
        external_location: >-
          {%- set raw_dir = var('raw_dir') | string -%}
          {%- if 'env_var' in raw_dir -%}{%- set raw_dir = env_var('BANKMART_RAW_DIR', 'data/demo/raw') -%}{%- endif -%}
          {%- set raw_format = var('raw_format', 'parquet') | string -%}
          {%- if 'env_var' in raw_format -%}{%- set raw_format = env_var('BANKMART_RAW_FORMAT', 'parquet') -%}{%- endif -%}
          {%- set csv_encoding = var('csv_encoding', 'utf-8') | string -%}
          {%- if 'env_var' in csv_encoding -%}{%- set csv_encoding = env_var('BANKMART_CSV_ENCODING', 'utf-8') -%}{%- endif -%}
          {%- set csv_encoding = csv_encoding | trim | lower -%}
          {%- set csv_encoding = {'utf8': 'utf-8', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'iso8859-1': 'latin-1'}.get(csv_encoding, csv_encoding) | replace("'", "''") -%}
          {%- set raw_dir = raw_dir.rstrip('/') | replace("'", "''") -%}
          {%- if raw_format | lower == 'csv' -%}
          read_csv('{{ raw_dir }}/{name}/**/*.csv', header = true, all_varchar = true, union_by_name = true, hive_partitioning = true, filename = true, encoding = '{{ csv_encoding }}')
          {%- else -%}
          read_parquet('{{ raw_dir }}/{name}/**/*.parquet', hive_partitioning = true, union_by_name = true, filename = true, file_row_number = true)
          {%- endif -%}
    tables:
"""

_MACRO_HEADER = """\
{#
    GENERATED from src/bankmart/raw_schema.py by `bankmart contract --write`: edit the contract
    there, then regenerate. The raw contract as Jinja data: {table: [{name, data_type, required,
    required_group, is_date}, ...]} in contract order. The models need the column list where dbt's graph
    is not available (unit tests see no sources).
#}
"""


def _yaml_text(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _wrap(text: str, indent: str, width: int = 100) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(indent + line)
    return lines


def _column_yaml(column: RawColumn) -> list[str]:
    meta = f"required: {'true' if column.required else 'false'}"
    if column.required_group:
        meta += f", required_group: {column.required_group}"
    if column.is_date:
        meta += ", date: true"
    if column.sensitive:
        meta += ", sensitive: true"
    return [
        f"          - name: {column.name}",
        f"            data_type: {column.sql_type}",
        f"            description: {_yaml_text(column.description)}",
        "            config:",
        f"              meta: {{{meta}}}",
    ]


def render_sources() -> str:
    lines = [_SOURCES_HEADER.rstrip("\n")]
    for table, columns in RAW_TABLES.items():
        lines += [f"      - name: {table}", "        description: >"]
        lines += _wrap(RAW_TABLE_DESCRIPTIONS[table], "          ")
        if table in ESSENTIAL_TABLES:
            lines += ["        config:", "          meta: {essential: true}"]
        lines += [
            "        data_tests:",
            "          - raw_rows_reconcile:",
            "              arguments:",
            f"                base_model: ref('base_core__{table}')",
            "                quarantine_model: ref('quarantined_rows')",
            f"                source_table: {table}",
            "        columns:",
        ]
        for column in columns:
            lines += _column_yaml(column)
    return "\n".join(lines) + "\n"


def render_macro() -> str:
    lines = [_MACRO_HEADER.rstrip("\n"), "{% macro raw_contract() -%}", "    {{ return({"]
    tables = list(RAW_TABLES.items())
    for t, (table, columns) in enumerate(tables):
        lines.append(f"        '{table}': [")
        for i, column in enumerate(columns):
            group = f"'{column.required_group}'" if column.required_group else "none"
            entry = (
                f"            {{'name': '{column.name}', 'data_type': '{column.sql_type}', "
                f"'required': {'true' if column.required else 'false'}, 'required_group': {group}, "
                f"'is_date': {'true' if column.is_date else 'false'}}}"
            )
            lines.append(entry + ("," if i < len(columns) - 1 else ""))
        lines.append("        ]" + ("," if t < len(tables) - 1 else ""))
    lines += ["    }) }}", "{%- endmacro %}"]
    return "\n".join(lines) + "\n"


def rendered_files() -> dict[Path, str]:
    return {SOURCES_PATH: render_sources(), MACRO_PATH: render_macro()}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--write",
        action="store_true",
        help="rewrite the generated files (default: only report which differ)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    stale = []
    for relative, text in rendered_files().items():
        path = settings.project_dir / relative
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(relative)
        if args.write:
            path.write_text(text, encoding="utf-8")
    if not stale:
        print("bankmart contract: the generated files match src/bankmart/raw_schema.py")
        return 0
    names = ", ".join(str(p) for p in stale)
    if args.write:
        print(f"bankmart contract: rewrote {names}")
        return 0
    print(f"bankmart contract: {names} differ from src/bankmart/raw_schema.py; run `bankmart contract --write`")
    return 1
