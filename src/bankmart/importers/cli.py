"""`bankmart import FORMAT FILE... --out RAW_DIR`: a public data set as a raw folder.

The raw folder is what BANKMART_RAW_DIR points at; `bankmart build` builds it. The command
reads everything, then writes the folder beside --out under a hidden name and renames it into
place: a bad file stops it (exit 2, the file and column named) with nothing written.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import time
from pathlib import Path

from bankmart.errors import BankmartError
from bankmart.importers import FORMATS
from bankmart.importers.report import ImportReport
from bankmart.importers.writer import ImportWriter, check_out
from bankmart.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Map a public banking data set onto the raw contract and write a raw folder that "
        "`BANKMART_RAW_DIR=FOLDER bankmart build` builds. Values the warehouse judges (dates, "
        "codes, amounts) land as written; what the contract needs and the file lacks is derived "
        "deterministically, marked in derived_columns and listed in the import report "
        "(_import_report.json in the folder, also printed)."
    )
    formats = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    for name, module_name in FORMATS.items():
        module = importlib.import_module(module_name)
        sub = formats.add_parser(name, help=module.HELP, description=(module.__doc__ or "").strip(),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.add_argument("--out", type=Path, required=True, metavar="RAW_DIR",
                         help="the raw folder to write (must not exist, or be empty)")
        sub.add_argument("--force", action="store_true",
                         help="replace --out when an earlier `bankmart import` wrote it")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, settings: Settings) -> int:
    module = importlib.import_module(FORMATS[args.format])
    out = args.out.resolve()
    check_out(out, args.force)
    for path in args.files:
        if not path.exists():
            raise BankmartError(f"{path}: no such file")
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
               if k not in ("command", "format", "files", "out", "force")}
    report = ImportReport(format=args.format, options=options)
    started = time.perf_counter()
    tables = module.run(args, report)
    previous = signal.signal(signal.SIGTERM, _stop)
    writer = ImportWriter(out, args.force)
    try:
        for name, table in tables.items():
            writer.write(name, table)
        report.import_seconds = round(time.perf_counter() - started, 2)
        writer.finish(report)
    except BaseException:
        writer.abort()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(report.text(out))
    return 0
