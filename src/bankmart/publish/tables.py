"""What is served: the relations of the served schemas (var served_schemas in dbt_project.yml:
never staging, which holds names and birth dates, nor intermediate or quarantine) and their
descriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from bankmart.duckdb_files import quote_identifier, sql_literal


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    rows: int
    columns: int

    @property
    def parquet_name(self) -> str:
        """Stable file name: the schema is part of it because marts and reference may share names."""
        return f"{self.schema}__{self.name}.parquet"


def served_relations(
    con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]
) -> list[tuple[str, str]]:
    """Tables and views in the served schemas, without dbt's own temporary relations."""
    rows = con.execute(
        """
        select schema_name, table_name from duckdb_tables()
        where database_name = $catalog and schema_name in (select unnest($schemas))
        union
        select schema_name, view_name from duckdb_views()
        where database_name = $catalog and schema_name in (select unnest($schemas))
        order by 1, 2
        """,
        {"catalog": catalog, "schemas": list(schemas)},
    ).fetchall()
    return [
        (schema, name)
        for schema, name in rows
        if not re.search(r"__dbt_(tmp|backup)$", name)
    ]


def copy_comments(
    con: duckdb.DuckDBPyConnection, src: str, dst: str, relations: list[tuple[str, str]]
) -> None:
    """Keep dbt's persisted descriptions, so BI tools and the dashboard can show them."""
    served = set(relations)
    table_comments = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() where database_name = $db "
        "and comment <> '' union all select schema_name, view_name, comment from duckdb_views() "
        "where database_name = $db and comment <> ''",
        {"db": src},
    ).fetchall()
    column_comments = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = $db and comment <> ''",
        {"db": src},
    ).fetchall()
    for schema, name, comment in table_comments:
        if (schema, name) in served:
            target = f"{quote_identifier(dst)}.{quote_identifier(schema)}.{quote_identifier(name)}"
            con.execute(f"comment on table {target} is {sql_literal(comment)}")
    for schema, name, column, comment in column_comments:
        if (schema, name) in served:
            target = f"{quote_identifier(dst)}.{quote_identifier(schema)}.{quote_identifier(name)}.{quote_identifier(column)}"
            con.execute(f"comment on column {target} is {sql_literal(comment)}")

