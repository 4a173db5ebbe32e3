"""Do bankmart and the pandas reference give the same answer on the same clean data?

Compared: each customer's total spend (marts.customer_features.total_spend) and spend tier
(marts.customer_spend_tiers.tier_code) against the reference's. A speed comparison is only
meaningful when both agree, so the report shows this next to the ratios. When the marts do not
exist (yet), the check says so and is skipped rather than failing the benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def compare(duckdb_path: Path, pandas_customers: Path) -> dict[str, Any]:
    """Agreement figures; ``status`` is ok, or skipped with the reason."""
    if not Path(duckdb_path).is_file():
        return {"status": "skipped", "reason": f"warehouse missing: {duckdb_path}"}
    if not Path(pandas_customers).is_file():
        return {"status": "skipped", "reason": "pandas reference produced no output"}
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        result: dict[str, Any] = {"status": "ok"}
        quoted = str(pandas_customers).replace("'", "''")
        con.execute(f"create temp view ref as select * from read_parquet('{quoted}')")
        if _has_table(con, "marts", "customer_features"):
            row = con.execute(
                """
                select
                    count(*) filter (where f.customer_id is not null and r.customer_id is not null),
                    count(*) filter (where r.customer_id is null),
                    count(*) filter (where f.customer_id is null),
                    max(abs(f.total_spend - r.total_spend)),
                    sum(f.total_spend),
                    sum(r.total_spend)
                from marts.customer_features as f
                full join ref as r using (customer_id)
                """
            ).fetchone()
            result["totals"] = {
                "customers_compared": row[0],
                "only_in_bankmart": row[1],
                "only_in_pandas": row[2],
                "max_abs_diff": row[3],
                "bankmart_total_spend": row[4],
                "pandas_total_spend": row[5],
            }
        else:
            result["totals"] = {"status": "skipped", "reason": "mart missing: marts.customer_features"}
        if _has_table(con, "marts", "customer_spend_tiers"):
            row = con.execute(
                """
                select
                    count(*),
                    count(*) filter (where t.tier_code = r.tier_code)
                from marts.customer_spend_tiers as t
                join ref as r using (customer_id)
                """
            ).fetchone()
            result["tiers"] = {
                "customers_compared": row[0],
                "agree": row[1],
                "agree_share": (row[1] / row[0]) if row[0] else None,
            }
        else:
            result["tiers"] = {"status": "skipped", "reason": "mart missing: marts.customer_spend_tiers"}
        if "status" in result["totals"] and "status" in result["tiers"]:
            result = {"status": "skipped", "reason": "marts missing: customer_features, customer_spend_tiers"}
        return result
    finally:
        con.close()
