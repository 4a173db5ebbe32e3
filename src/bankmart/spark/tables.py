"""Reading what a local Spark build left, from Python (the equality test, a notebook).

The local Spark target keeps its tables in a warehouse folder and their definitions in an
embedded Derby metastore under BANKMART_SPARK_DIR (profiles.yml). :func:`local_session`
opens a SparkSession on those with the settings the build used; Derby admits one process at
a time, so a session can only be opened while no build runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd


def local_session(spark_dir: Path) -> Any:
    """A SparkSession (local master) on the warehouse and metastore under `spark_dir`."""
    from pyspark.sql import SparkSession

    threads = int(os.environ.get("BANKMART_THREADS", "2"))
    java_options = [
        f"-Dderby.system.home={spark_dir / 'derby'}",
        f"-Dderby.stream.error.file={spark_dir / 'derby' / 'derby.log'}",
    ]
    if os.environ.get("BANKMART_SPARK_LOG4J"):
        java_options.append(f"-Dlog4j2.configurationFile={os.environ['BANKMART_SPARK_LOG4J']}")
    return (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("bankmart-read")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", " ".join(java_options))
        .config("spark.ui.showConsoleProgress", "false")
        # as profiles.yml: a few shuffle partitions on a small machine
        .config("spark.sql.shuffle.partitions", str(2 * threads))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.timeType.enabled", "true")
        .enableHiveSupport()
        .getOrCreate()
    )


def relation_names(session: Any, schema: str) -> list[str]:
    """The tables and views of `schema`, sorted."""
    return sorted(row.tableName for row in session.sql(f"show tables in {schema}").collect()
                  if not row.isTemporary)


def to_pandas(session: Any, schema: str, name: str) -> pd.DataFrame:
    """One relation as pandas; DECIMAL as float64, as DuckDB hands it over."""
    from bankmart.ml.relations import to_pandas as relation_to_pandas

    frame = session.table(f"{schema}.{name}")
    return relation_to_pandas(frame, [f"`{column}`" for column in frame.columns])
