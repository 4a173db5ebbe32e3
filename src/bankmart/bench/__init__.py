"""`bankmart bench`: bankmart's full dbt build, and a like-for-like build of only what the
references compute, against two peers on the same data: the pandas "notebook way" and polars.

The harness lives in small modules so each piece can be tested on its own:
``sizes`` (1M,10M parsing), ``monitor`` (wall time and process-tree peak RSS of a subprocess),
``data`` (cached generated banks), ``dbt_run`` (the measured `dbt build`, full or like-for-like,
and its run results), ``pandas_ref`` and ``polars_ref`` (the reference pipelines, each run as
its own process) over ``reference`` (what they share: rules, tiers, K-Means, output),
``agreement`` (do they give the same totals and tiers) and ``report`` (Markdown + JSON). ``cli``
wires them together.
"""
