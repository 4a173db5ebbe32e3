"""Do bankmart and a reference pipeline give the same answer on the same clean data?

Compared: each customer's total spend (marts.customer_features.total_spend) and spend tier
(marts.customer_spend_tiers.tier_code) against the reference's (pandas or polars), and the
bank's total spend to the cent. A speed comparison is only meaningful when both agree, so the
report shows this next to the ratios. When the marts do not exist (yet), the check says so and
is skipped rather than failing the benchmark. ``compare_references`` holds the two references
against each other, segments included (they share the same scikit-learn step).
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


#: A bank's total spend agrees "to the cent" when the two totals differ by less than half a cent.
HALF_A_CENT = 0.005


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def compare(duckdb_path: Path, reference_customers: Path, reference: str = "pandas") -> dict[str, Any]:
    """Agreement figures of a warehouse and a reference's customers.parquet; ``status`` is ok,
    or skipped with the reason."""
    if not Path(duckdb_path).is_file():
        return {"status": "skipped", "reason": f"warehouse missing: {duckdb_path}"}
    if not Path(reference_customers).is_file():
        return {"status": "skipped", "reason": f"{reference} reference produced no output"}
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        result: dict[str, Any] = {"status": "ok"}
        quoted = _quoted(reference_customers)
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
                f"only_in_{reference}": row[2],
                "max_abs_diff": row[3],
                "bankmart_total_spend": row[4],
                f"{reference}_total_spend": row[5],
                "to_the_cent": _to_the_cent(row[3], row[4], row[5]),
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


def _to_the_cent(max_abs_diff: Any, total: Any, other: Any) -> bool:
    """Every customer's spend and the bank's total within half a cent of the other side's."""
    if max_abs_diff is None or total is None or other is None:
        return False
    return float(max_abs_diff) < HALF_A_CENT and abs(float(total) - float(other)) < HALF_A_CENT


def compare_references(first: Path, second: Path, names: tuple[str, str] = ("pandas", "polars")) -> dict[str, Any]:
    """Two references' customers.parquet against each other: the same customers, spend, counts,
    tiers and segments (same features into the same seeded K-Means give the same labels)."""
    for path, name in zip((first, second), names, strict=True):
        if not Path(path).is_file():
            return {"status": "skipped", "reason": f"{name} reference produced no output"}
    con = duckdb.connect()
    try:
        row = con.execute(
            f"""
            select
                count(*) filter (where a.customer_id is not null and b.customer_id is not null),
                count(*) filter (where a.customer_id is null or b.customer_id is null),
                max(abs(a.total_spend - b.total_spend)),
                count(*) filter (where a.txn_count = b.txn_count),
                count(*) filter (where a.tier_code = b.tier_code),
                count(*) filter (where a.segment_id = b.segment_id)
            from read_parquet('{_quoted(first)}') as a
            full join read_parquet('{_quoted(second)}') as b using (customer_id)
            """
        ).fetchone()
    finally:
        con.close()
    compared = row[0]

    def share(count: int) -> float | None:
        return count / compared if compared else None

    return {
        "status": "ok",
        "customers_compared": compared,
        "only_in_one": row[1],
        "max_abs_diff": row[2],
        "txn_count_agree_share": share(row[3]),
        "tiers_agree_share": share(row[4]),
        "segments_agree_share": share(row[5]),
    }
