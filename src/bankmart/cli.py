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
    "build": ("bankmart.build", "run `dbt build` on the raw folder and summarise the warehouse"),
    "evaluate": ("bankmart.evaluate", "score segments and risk flags against the generator's ground truth"),
    "publish": ("bankmart.publish", "copy the last green build into the serving file + Parquet for BI"),
    "dashboard": ("bankmart.dashboard.cli", "serve the Streamlit dashboard on the serving file"),
    "bench": ("bankmart.bench.cli", "benchmark the full dbt build against the pandas notebook way"),
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(
        prog="bankmart",
        description="Retail-bank customer analytics on dbt + DuckDB. "
        "Paths come from BANKMART_* environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"bankmart {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, object] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub_parser = sub.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
        module.add_arguments(sub_parser)
        modules[name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args, load_settings()) or 0)
    except BankmartError as exc:
        print(f"bankmart {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bankmart {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
