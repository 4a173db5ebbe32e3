"""``python -m bankmart.spark.dbt <dbt arguments>``: dbt, with Python models on a local Spark.

It registers the ``session`` submission method with dbt-spark and makes it the default when
the profile's method is ``session``, then hands over to dbt's own command line. The compiled
model (the model's code plus dbt-spark's code that writes its table) runs in the SparkSession
dbt-spark opened for the SQL models, so nothing is uploaded and no cluster is needed.
"""

from __future__ import annotations

from typing import Any


class SessionPythonJobHelper:
    """Runs a compiled dbt Python model in the active SparkSession (dbt's PythonJobHelper
    interface: constructed with the parsed model and the credentials, then ``submit``)."""

    def __init__(self, parsed_model: dict[str, Any], credentials: Any) -> None:
        self.identifier = f"{parsed_model['schema']}.{parsed_model['alias']}"

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
        namespace = {"spark": spark, "__name__": "__dbt_python_model__"}
        exec(compile(compiled_code, f"<python model {self.identifier}>", "exec"), namespace)


def register() -> None:
    """Add ``session`` to dbt-spark's submission methods, the default for method: session."""
    from dbt.adapters.spark.impl import SparkAdapter

    helpers = SparkAdapter.python_submission_helpers.fget  # type: ignore[attr-defined]
    default = SparkAdapter.default_python_submission_method.fget  # type: ignore[attr-defined]

    def python_submission_helpers(self: Any) -> dict[str, Any]:
        return {**helpers(self), "session": SessionPythonJobHelper}

    def default_python_submission_method(self: Any) -> str:
        method = getattr(self.config.credentials, "method", None)
        if getattr(method, "value", method) == "session":
            return "session"
        return default(self)

    SparkAdapter.python_submission_helpers = property(python_submission_helpers)  # type: ignore[assignment]
    SparkAdapter.default_python_submission_method = property(default_python_submission_method)  # type: ignore[assignment]


def quiet_pyspark() -> None:
    """PySpark logs every failed query as a JSON document with the JVM's stack trace; dbt
    reports the same error in one message. pandas-on-Spark advises about an index that
    dbt-spark's table writer drops on purpose."""
    import logging
    import warnings

    from pyspark.logger import PySparkLogger

    PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message=".*index_col.*", module="pyspark.pandas.*")


def main() -> None:
    register()
    quiet_pyspark()
    from dbt.cli.main import cli

    cli()  # dbt's own entry point: parses sys.argv and exits with dbt's exit code


if __name__ == "__main__":
    main()
