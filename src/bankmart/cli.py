"""The `bankmart` command: every non-dbt step of the project, one subcommand each.

Each subcommand lives in the module that does the work and exposes two functions:
``add_arguments(parser)`` and ``run(args, settings) -> int``. This file only wires them up.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bankmart import __version__
from bankmart.errors import BankmartError
from bankmart.settings import load_settings

# name -> (module, one-line help). Order is the order `bankmart --help` lists them in.
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("bankmart.generate.cli", "write a deterministic synthetic bank as raw files"),
    "import": ("bankmart.importers.cli", "map a public data set (Mitron, Kaggle, creditcard, microfinance, holdings) onto a raw folder"),
    "build": ("bankmart.build", "run `dbt build` on the raw folder and summarise the warehouse"),
    "evaluate": ("bankmart.evaluate", "score segments and risk flags against the generator's ground truth"),
    "publish": ("bankmart.publish", "copy the last green build into the serving file + Parquet for BI"),
    "dashboard": ("bankmart.dashboard.cli", "serve the Streamlit dashboard on the serving file"),
    "bench": ("bankmart.bench.cli", "benchmark dbt builds against pandas and polars references"),
    "measures": ("bankmart.measures", "check (or --write) the Power BI measures generated from the semantic layer's metrics"),
    "contract": ("bankmart.contract", "check (or --write) the dbt copies of the raw contract in raw_schema.py"),
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and one empty sub-parser per command (filled in by ``main``)."""
    parser = argparse.ArgumentParser(
        prog="bankmart",
        description="Retail-bank customer analytics on dbt + DuckDB. "
        "Paths come from BANKMART_* environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"bankmart {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands = {
        name: sub.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
        for name, (_, help_text) in COMMANDS.items()
    }
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, commands = build_parser()
    # Only the chosen command's module is imported: some pull in scikit-learn or Streamlit,
    # which would make every `bankmart --help` slow.
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    module = None
    if chosen in COMMANDS:
        module = importlib.import_module(COMMANDS[chosen][0])
        module.add_arguments(commands[chosen])
    args = parser.parse_args(argv)
    try:
        return int(module.run(args, load_settings()) or 0)
    except BankmartError as exc:
        print(f"bankmart {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bankmart {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
