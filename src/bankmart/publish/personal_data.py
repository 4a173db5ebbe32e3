"""No direct identifier of a person reaches a served table: checked, not trusted.

The sensitive columns are marked once, in the raw contract (``sensitive`` in
src/bankmart/raw_schema.py, rendered as ``meta: {sensitive: true}`` into the dbt sources YAML).
The singular dbt test tests/assert_no_sensitive_column_is_served.sql reads the same marks from
dbt's graph and fails the build; publish checks again on the file it is about to serve.
"""

from __future__ import annotations

import duckdb

from bankmart.errors import BankmartError
from bankmart.raw_schema import sensitive_columns


def refuse_sensitive_columns(
    con: duckdb.DuckDBPyConnection, catalog: str, relations: list[tuple[str, str]]
) -> None:
    """Refuse when a served relation has a column named like a sensitive raw column."""
    found = con.execute(
        """
        select schema_name || '.' || table_name || '.' || column_name
        from duckdb_columns()
        where database_name = $catalog
          and schema_name in (select unnest($schemas))
          and lower(column_name) in (select unnest($sensitive))
        order by 1
        """,
        {
            "catalog": catalog,
            "schemas": sorted({s for s, _ in relations}),
            "sensitive": sorted(sensitive_columns()),
        },
    ).fetchall()
    if found:
        raise BankmartError(
            "refusing to publish direct identifiers: "
            + ", ".join(r[0] for r in found)
            + ". The raw contract marks these sensitive (src/bankmart/raw_schema.py): they stay "
            "in staging; remove the column from the model."
        )

