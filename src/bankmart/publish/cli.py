"""`bankmart publish` on the command line."""

from __future__ import annotations

import argparse

from bankmart.publish.publisher import PublishResult, publish
from bankmart.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Copy the marts and reference tables of the last build into the serving file and "
        "Parquet folder that BI tools and the dashboard read. Only a whole, green, complete "
        "`dbt build` is published (see README, BI): the warehouse records every dbt run, and a "
        "killed, failed or partial last run, or a change to the tables after the build, is "
        "refused with what to do."
    )
    parser.add_argument(
        "--storage-version",
        default=None,
        help=(
            "DuckDB storage format of the serving file, e.g. v1.4.0 (default; DuckDB/ODBC 1.4+) "
            "or v1.1.0 for older ODBC drivers. Default: $BANKMART_STORAGE_VERSION, else v1.4.0."
        ),
    )
    parser.add_argument(
        "-t",
        "--target",
        choices=("dev", "spark"),
        default="dev",
        help=(
            "the build to publish: dev (the DuckDB warehouse file, the default) or spark (the "
            "tables `bankmart build --target spark` left in BANKMART_SPARK_DIR)"
        ),
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    result = publish(settings, storage_version=args.storage_version, spark=args.target == "spark")
    print(summarise(result))
    return 0


def summarise(result: PublishResult) -> str:
    total = sum(t.rows for t in result.tables)
    lines = [
        f"bankmart publish: {len(result.tables)} tables, {total:,} rows "
        f"in {result.elapsed_seconds:,.1f} s",
        f"  serving file  {result.serving_path} (DuckDB storage {result.storage_version})",
        f"  Parquet       {result.parquet_dir}",
    ]
    if result.dax_path is not None:
        lines.append(f"  Power BI      {result.dax_path}")
    lines.extend(f"  note: {note}" for note in result.notes)
    return "\n".join(lines)

