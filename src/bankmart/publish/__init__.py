"""`bankmart publish`: copy a green build into the serving file that BI tools and the dashboard read.

Why a separate file: dbt holds an exclusive lock on the warehouse it builds, so nothing may read
that file while a build runs, and a reader holding it would block the next build. Readers get
their own copy instead:

- every table of the ``marts`` and ``reference`` schemas (never ``staging``, which holds names
  and birth dates, and never raw quarantined records: only a count by table and reason);
- a ``meta`` schema saying what was published, from which build, with row counts;
- the same tables as Parquet files (``<schema>__<table>.parquet``) for tools that read Parquet;
- ``powerbi/spend_tier_measure.dax``, the spend-tier DAX measure generated from the thresholds.

Only a whole, green, complete build is published: the warehouse itself records every dbt run
(meta.dbt_invocations, written by the project's dbt hooks), and bankmart.invocations decides
from that record, from the row counts the build left and from counts the marts must agree on.
Each refusal says what is wrong and what to do, and leaves the previous serving copy as it was.

Everything is written under temporary names in the serving folder and then renamed into place,
so a reader sees the previous version or the new one, never half of one. On Linux and macOS a
reader that still has the old file open keeps reading the old version (the rename swaps the
directory entry, not the open inode) until it reconnects. On Windows a file that is open cannot
be replaced: publish then says so and leaves the previous version untouched. A program that
holds the serving file open for writing is refused by name (readers must open it read-only);
a damaged serving file is replaced, losing only its publish history.

The serving file is written in an explicit DuckDB storage format (``--storage-version``) so that
the DuckDB ODBC driver Power BI users install can open it; see bi/powerbi/README.md.

A Spark build (``bankmart publish --target spark``) is first staged as a DuckDB file shaped
like a DuckDB build (``from_spark``), then published by the same sequence.

The package, one module per responsibility: ``publisher`` (the whole sequence), ``copy`` (check
the build, copy it), ``tables`` (what is served), ``personal_data``, ``history`` (the meta schema
and publish history), ``dax`` (the Power BI measure), ``files`` (temporary names, the swap, the
lock), ``from_spark`` (staging a Spark build) and ``cli``.
"""

from __future__ import annotations

from bankmart.publish.cli import add_arguments, run, summarise
from bankmart.publish.publisher import PublishResult, publish
from bankmart.publish.tables import PublishedTable

__all__ = [
    "PublishResult",
    "PublishedTable",
    "add_arguments",
    "publish",
    "run",
    "summarise",
]
