"""`bankmart bench`: bankmart's full dbt build against the pandas "notebook way", on the same data.

The harness lives in small modules so each piece can be tested on its own:
``sizes`` (1M,10M parsing), ``monitor`` (wall time and process-tree peak RSS of a subprocess),
``data`` (cached generated banks), ``dbt_run`` (the measured `dbt build` and its run results),
``pandas_ref`` (the reference pipeline, run as its own process), ``agreement`` (do both give the
same totals and tiers) and ``report`` (Markdown + JSON). ``cli`` wires them together.
"""
