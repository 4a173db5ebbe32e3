"""The Spark target: dbt-spark's session method in this process, with Python models.

dbt-spark submits Python models only to Databricks clusters. :mod:`bankmart.spark.dbt` runs
the dbt command line with one more submission method, ``session``, which executes a compiled
Python model in the SparkSession dbt's SQL already runs in; ``bankmart build --target spark``
starts dbt through it.
"""
