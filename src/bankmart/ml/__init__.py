"""Pure ML functions the dbt Python models call: DataFrames in, DataFrames out, no I/O.

- ``tiers``: quantile spend tiers identical to ``pd.qcut``, with BI thresholds and DAX.
- ``segments``: K-Means segments with archetype names that are stable across runs.
- ``risk``: an explainable points scorecard and two supervised classifiers.
- ``evaluate``: agreement with the generator's ground truth.
- ``config``: every default and tunable number, with ``from_mapping`` for dbt meta/vars.
"""
