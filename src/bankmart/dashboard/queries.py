"""Every query the dashboard runs, as plain functions of a DuckDB connection.

Rules that keep the dashboard fast at a million customers and safe with any input:
- aggregation happens in DuckDB; a function returns an aggregate or a bounded list (``LIMIT``),
  never fact rows;
- user input only ever travels as query parameters (``$name``); the only text spliced into SQL
  is chosen by this module (table and column names from fixed lists);
- nothing here imports Streamlit, so the queries are tested on their own and cached by the app.

A view whose mart is not built yet asks :func:`available_tables` first and says so instead of
failing; queries that can use an optional mart (segments, tiers) for filtering check it too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

CUSTOMERS = "marts.dim_customer"
FACT_TRANSACTIONS = "marts.fct_transactions"
# The fact relates to its dimensions on integer keys; the dashboard filters and groups by the
# customer id, so its transactions take the id back from dim_customer.
TRANSACTIONS = (
    f"(select customers.customer_id, facts.* from {FACT_TRANSACTIONS} as facts "
    f"join {CUSTOMERS} as customers using (customer_key)) as transactions"
)
SEGMENTS = "marts.customer_segments"
SEGMENT_PROFILES = "marts.segment_profiles"
SEGMENT_K = "marts.segment_k_diagnostics"
TIERS = "marts.customer_spend_tiers"
TIER_THRESHOLDS = "marts.spend_tier_thresholds"
FEATURES = "marts.customer_features"
MONTHLY_FEATURES = "marts.customer_monthly_features"
KPI_MONTHS = "marts.customer_month_kpis"
RISK_SCORES = "marts.customer_risk_scores"
RISK_ALERTS = "marts.risk_alerts"
RISK_METRICS = "marts.risk_model_metrics"
RISK_IMPORTANCES = "marts.risk_feature_importances"
RISK_RULES = "marts.risk_rules"
CITY_PROFILES = "marts.mart_city_profiles"
MONTHLY_SPEND = "marts.fct_monthly_spend"
AVAILABILITY = "marts.data_availability"
# The known analyses of the public data sets (README, "Bring a public data set").
INCOME_UTILISATION = "marts.mart_income_utilisation"
FRAUD_PROFILE = "marts.mart_fraud_profile"
RFM_SEGMENTS = "marts.mart_rfm_segments"
RFM_CITY_PROFILES = "marts.mart_rfm_city_profiles"
REPAYMENT_SEGMENTS = "marts.mart_repayment_segments"
REPAYMENT_K = "marts.mart_repayment_k_diagnostics"
HOLDINGS_PROFILE = "marts.mart_holdings_profile"
PUBLISH_LOG = "meta.publish_log"

#: Columns a breakdown may group by (the only column names that reach SQL from an argument).
BREAKDOWNS = {"category", "payment_type", "channel"}
TIER_BREAKDOWNS = {"occupation", "age_band", "city", "income_band"}
RISK_TIER_ORDER = ("Low", "Medium", "High", "Not assessed")


@dataclass(frozen=True)
class Filters:
    """The dashboard's global filters. Empty tuples and None mean "everything"."""

    cities: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    month_from: date | None = None
    month_to: date | None = None

    @property
    def narrows_customers(self) -> bool:
        return bool(self.cities or self.segments or self.tiers)


# ---------------------------------------------------------------------------------------------
# Connections and catalogue
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def open_serving(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only view of the serving file, in a private in-memory database.

    ``duckdb.connect(path)`` would share one cached database instance per path within the
    process; while any connection holds it, new connections keep reading the file as it was
    before the last publish swapped it. Attaching into a fresh in-memory database opens the
    file that is at the path now, and closing it lets the swapped-out file go.
    """
    con = duckdb.connect(config={"threads": 2})
    try:
        escaped = str(path).replace("'", "''")
        con.execute(f"attach '{escaped}' as serving (read_only)")
        con.execute("use serving")
        yield con
    finally:
        con.close()


def available_tables(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """``schema.table`` of every table in the serving file."""
    rows = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where database_name = current_database()"
    ).fetchall()
    return frozenset(r[0] for r in rows)


def publish_info(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> dict[str, Any]:
    """The newest row of meta.publish_log (empty if the file predates it)."""
    if PUBLISH_LOG not in tables:
        return {}
    df = con.execute(
        f"select * from {PUBLISH_LOG} order by publish_id desc limit 1"
    ).df()
    return {} if df.empty else df.iloc[0].to_dict()


def table_row_counts(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    """What the serving file holds, from meta.published_tables (cheap: no scans)."""
    if "meta.published_tables" not in tables:
        return pd.DataFrame(columns=["schema_name", "table_name", "row_count"])
    return con.execute(
        "select schema_name, table_name, row_count from meta.published_tables order by 1, 2"
    ).df()


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


def month_options(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The months that hold transactions, oldest first: what the month filter offers.

    Only months present in the data, so a dirty date far from the others (0001-01-01,
    9999-12-01) adds one option, not thousands of empty months between. They stay DuckDB dates
    turned into Python dates, never pandas timestamps (which end in 1677 and 2262); months
    before year 1 or not finite cannot be Python dates and are not offered.
    """
    rows = con.execute(
        f"""
        select distinct transaction_month
        from {TRANSACTIONS}
        where isfinite(transaction_month)
            and transaction_month between date '0001-01-01' and date '9999-12-01'
        order by 1
        limit 5000
        """
    ).fetchall()
    return [r[0] for r in rows]


def filter_options(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> dict[str, list[str]]:
    """Values offered by the filters: cities by size, segments and tiers in their own order."""
    options: dict[str, list[str]] = {
        "cities": [
            r[0]
            for r in con.execute(
                f"select city from {CUSTOMERS} where city is not null "
                "group by city order by count(*) desc, city limit 1000"
            ).fetchall()
        ],
        "segments": [],
        "tiers": [],
    }
    if SEGMENTS in tables:
        options["segments"] = [
            r[0]
            for r in con.execute(
                f"select segment_name from {SEGMENTS} where segment_name is not null "
                "group by segment_name order by count(*) desc, segment_name limit 100"
            ).fetchall()
        ]
    if TIERS in tables:
        options["tiers"] = [
            r[0]
            for r in con.execute(
                f"select tier_name from {TIERS} where tier_name is not null "
                "group by tier_name order by min(tier_rank), tier_name limit 100"
            ).fetchall()
        ]
    return options


def _scope(f: Filters, tables: frozenset[str]) -> tuple[str, dict[str, Any]]:
    """SQL selecting the customer_id of customers that pass the customer filters.

    Only joins the optional marts a filter needs, and only if they exist; the values are
    parameters.
    """
    joins, where = [], []
    params: dict[str, Any] = {}
    if f.cities:
        where.append("list_contains($f_cities, c.city)")
        params["f_cities"] = list(f.cities)
    if f.segments and SEGMENTS in tables:
        joins.append(f"join {SEGMENTS} as s on s.customer_id = c.customer_id")
        where.append("list_contains($f_segments, s.segment_name)")
        params["f_segments"] = list(f.segments)
    if f.tiers and TIERS in tables:
        joins.append(f"join {TIERS} as t on t.customer_id = c.customer_id")
        where.append("list_contains($f_tiers, t.tier_name)")
        params["f_tiers"] = list(f.tiers)
    sql = f"select c.customer_id from {CUSTOMERS} as c " + " ".join(joins)
    if where:
        sql += " where " + " and ".join(where)
    return sql, params


def _customer_clause(f: Filters, tables: frozenset[str], column: str) -> tuple[str, dict[str, Any]]:
    """``and <column> in (scope)`` when customer filters are set, else nothing."""
    if not f.narrows_customers:
        return "", {}
    sql, params = _scope(f, tables)
    return f" and {column} in ({sql})", params


def _month_clause(f: Filters, column: str = "transaction_month") -> tuple[str, dict[str, Any]]:
    clause, params = "", {}
    if f.month_from is not None:
        clause += f" and {column} >= $f_month_from"
        params["f_month_from"] = f.month_from
    if f.month_to is not None:
        clause += f" and {column} <= $f_month_to"
        params["f_month_to"] = f.month_to
    return clause, params


# ---------------------------------------------------------------------------------------------
# Portfolio
# ---------------------------------------------------------------------------------------------


def _customer_months(f: Filters, tables: frozenset[str]) -> tuple[str, dict[str, Any]]:
    """SQL of one row per customer and month in scope, with the columns the KPIs sum.

    marts.customer_month_kpis is the semantic layer's base (models/marts/semantic): the KPI
    cards read it, so they compute what `mf query` and the Power BI measures do. Without it (a
    partial build) the same columns are aggregated from fct_transactions.
    """
    clause, params = _customer_clause(f, tables, "customer_id")
    if KPI_MONTHS in tables:
        months, month_params = _month_clause(f, "month_start_date")
        return (
            f"""
            select customer_id, month_start_date as month, is_active, total_spend, txn_count,
                   fraud_txn_count, fraud_labelled_txn_count, monthly_income, income_known_spend
            from {KPI_MONTHS}
            where true {clause} {months}
            """,
            params | month_params,
        )
    months, month_params = _month_clause(f)
    return (
        f"""
        select t.customer_id, t.month, t.total_spend > 0 or t.txn_count > 0 as is_active,
               t.total_spend, t.txn_count, t.fraud_txn_count, t.fraud_labelled_txn_count,
               case when c.monthly_income > 0 then c.monthly_income::double end as monthly_income,
               case when c.monthly_income > 0 then t.total_spend end as income_known_spend
        from (
            select customer_id, transaction_month as month, sum(amount)::double as total_spend,
                   count(*) as txn_count, count(*) filter (where is_fraud) as fraud_txn_count,
                   count(*) filter (where has_fraud_label) as fraud_labelled_txn_count
            from {TRANSACTIONS}
            where true {clause} {months}
            group by all
        ) as t
        left join {CUSTOMERS} as c using (customer_id)
        """,
        params | month_params,
    )


def portfolio_kpis(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters
) -> dict[str, float | int | None]:
    """Headline measures for the filtered customers and months.

    The semantic layer's metrics (models/marts/semantic/_metrics.yml) over the customer-months
    in scope, so with no filter the cards equal marts.mart_portfolio_kpis and, with any filter,
    `mf query` sliced the same way (tests/python/test_semantic_layer.py): customers in the
    customer filters; customers observed and active in the months; spend per customer observed;
    income utilisation summed over customer-months whose customer states an income; the fraud
    rate over the transactions that carry a fraud label (NULL for a bank without labels).
    """
    scope_sql, params = _scope(f, tables)
    months_sql, month_params = _customer_months(f, tables)
    row = con.execute(
        f"""
        with
        scope as ({scope_sql}),
        customer_months as ({months_sql})
        select
            (select count(*) from scope) as customers,
            count(distinct customer_id) as customers_observed,
            count(distinct case when is_active then customer_id end) as active_customers,
            coalesce(sum(total_spend), 0)::double as total_spend,
            sum(txn_count)::bigint as txn_count,
            (sum(fraud_txn_count) / nullif(sum(fraud_labelled_txn_count), 0))::double as fraud_rate,
            (sum(income_known_spend) / nullif(sum(monthly_income), 0))::double as income_utilisation,
        from customer_months
        """,
        params | month_params,
    ).fetchone()
    names = ["customers", "customers_observed", "active_customers", "total_spend", "txn_count",
             "fraud_rate", "income_utilisation"]
    kpis: dict[str, float | int | None] = dict(zip(names, row, strict=True))
    observed = kpis["customers_observed"] or 0
    kpis["avg_spend_per_customer"] = (kpis["total_spend"] or 0) / observed if observed else None
    kpis["alert_count"] = None
    if RISK_ALERTS in tables:
        alert_clause, alert_params = _customer_clause(f, tables, "customer_id")
        kpis["alert_count"] = con.execute(
            f"select count(*) from {RISK_ALERTS} where true {alert_clause}", alert_params
        ).fetchone()[0]
    return kpis


def monthly_trend(con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters) -> pd.DataFrame:
    months_sql, params = _customer_months(f, tables)
    return con.execute(
        f"""
        select
            month,
            sum(total_spend)::double as total_spend,
            count(distinct case when is_active then customer_id end) as active_customers,
            sum(txn_count)::bigint as txn_count,
            sum(fraud_txn_count)::bigint as fraud_txns,
        from ({months_sql})
        group by month
        order by month
        """,
        params,
    ).df()


def spend_breakdown(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters, by: str
) -> pd.DataFrame:
    """Spend per category / payment type / channel, largest first (at most 50 rows)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break spend down by {by!r}; choose one of {sorted(BREAKDOWNS)}")
    clause, params = _customer_clause(f, tables, "customer_id")
    if by == "category" and MONTHLY_FEATURES in tables:
        # The spend_<category> columns of customer_monthly_features, summed and unpivoted.
        months, month_params = _month_clause(f, "month_start_date")
        return con.execute(
            f"""
            with totals as (
                select sum(columns('^spend_')) from {MONTHLY_FEATURES}
                where true {clause} {months}
            )
            select
                replace(column_name, 'spend_', '') as category,
                coalesce(total_spend, 0)::double as total_spend,
            from (unpivot totals on columns(*) into name column_name value total_spend)
            order by total_spend desc
            limit 50
            """,
            params | month_params,
        ).df()
    months, month_params = _month_clause(f)
    # A bank that delivers monthly spend aggregates instead of transactions (Mitron) breaks
    # its spend down from those; the aggregates count no transactions (txn_count NULL).
    spend_months, spend_params = _month_clause(f, "spend_month")
    aggregates = (
        f"""
        union all
        select {by}, amount, null from {MONTHLY_SPEND}
        where not exists (select 1 from {TRANSACTIONS}) {clause} {spend_months}
        """
        if MONTHLY_SPEND in tables
        else ""
    )
    return con.execute(
        f"""
        select
            coalesce({by}, 'unknown') as {by},
            sum(amount)::double as total_spend,
            count(txn) as txn_count,
        from (
            select {by}, amount, 1 as txn from {TRANSACTIONS}
            where true {clause} {months}
            {aggregates}
        )
        group by all
        order by total_spend desc
        limit 50
        """,
        params | month_params | (spend_params if aggregates else {}),
    ).df()


# ---------------------------------------------------------------------------------------------
# Spend tiers
# ---------------------------------------------------------------------------------------------


def tier_thresholds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(f"select * from {TIER_THRESHOLDS} order by tier_rank").df()


def tier_sizes(con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters) -> pd.DataFrame:
    clause, params = _customer_clause(f, tables, "customer_id")
    return con.execute(
        f"""
        select
            tier_rank, tier_code, tier_name,
            count(*) as customers,
            min(measure_value)::double as min_value,
            avg(measure_value)::double as mean_value,
            max(measure_value)::double as max_value,
        from {TIERS}
        where tier_name is not null {clause}
        group by all
        order by tier_rank
        """,
        params,
    ).df()


def spend_histogram(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters, bins: int = 40
) -> pd.DataFrame:
    """Customers per bin of the tier measure, bins of equal width on a log scale (the first
    bin also holds the lowest 1%).

    Spend is heavily skewed (a few customers spend 100x the median), so equal-width bins in
    rupees would crowd almost everyone into the first bars and the tier edges with them.
    """
    clause, params = _customer_clause(f, tables, "customer_id")
    return con.execute(
        f"""
        with
        measured as (
            select greatest(measure_value::double, 0) as v from {TIERS}
            where measure_value is not null {clause}
        ),
        bounds as (
            -- From the 1st percentile: the few near-zero spenders go into the first bin
            -- instead of stretching the axis over decades nobody is in.
            select ln(1 + quantile_cont(v, 0.01)) as lo, ln(1 + max(v)) as hi from measured
        ),
        binned as (
            select
                case
                    when hi = lo then 0
                    else greatest(least(floor((ln(1 + v) - lo) / ((hi - lo) / $bins)), $bins - 1), 0)
                end::integer as bin,
                lo, (hi - lo) / $bins as width,
            from measured, bounds
        )
        select
            bin,
            any_value(exp(lo + bin * width) - 1) as bin_start,
            any_value(exp(lo + (bin + 1) * width) - 1) as bin_end,
            any_value(exp(lo + (bin + 0.5) * width) - 1) as bin_mid,
            count(*) as customers,
        from binned
        group by bin
        order by bin
        """,
        params | {"bins": bins},
    ).df()


def tier_mix(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters, by: str
) -> pd.DataFrame:
    """Share of each tier's customers per occupation / age band (bounded to 40 groups)."""
    if by not in TIER_BREAKDOWNS:
        raise ValueError(f"cannot split tiers by {by!r}; choose one of {sorted(TIER_BREAKDOWNS)}")
    clause, params = _customer_clause(f, tables, "t.customer_id")
    return con.execute(
        f"""
        with counted as (
            select t.tier_rank, t.tier_name, coalesce(c.{by}, 'unknown') as {by},
                   count(*) as customers
            from {TIERS} as t
            join {CUSTOMERS} as c using (customer_id)
            where t.tier_name is not null {clause}
            group by all
        ),
        top_groups as (
            select {by} from counted group by {by} order by sum(customers) desc limit 40
        )
        select
            tier_rank, tier_name, {by}, customers,
            customers / sum(customers) over (partition by tier_name) as share_of_tier,
        from counted
        where {by} in (select {by} from top_groups)
        order by tier_rank, customers desc
        """,
        params,
    ).df()


# ---------------------------------------------------------------------------------------------
# Segments
# ---------------------------------------------------------------------------------------------


def segment_profiles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Segment profiles, largest first (the mart's own rank when it has one)."""
    df = con.execute(f"select * from {SEGMENT_PROFILES} limit 100").df()
    order = ["segment_rank"] if "segment_rank" in df.columns else ["customers"]
    return df.sort_values(order, ascending=order != ["customers"]).reset_index(drop=True)


def segment_bubbles(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters
) -> pd.DataFrame:
    """Per segment: customers, average frequency, spend and recency of the filtered customers."""
    clause, params = _customer_clause(f, tables, "s.customer_id")
    if FEATURES in tables:
        return con.execute(
            f"""
            select
                s.segment_id, s.segment_name,
                count(*) as customers,
                avg(cf.frequency) as avg_frequency,
                avg(cf.total_spend) as avg_total_spend,
                avg(cf.recency_days) as avg_recency_days,
            from {SEGMENTS} as s
            join {FEATURES} as cf using (customer_id)
            where true {clause}
            group by all
            order by customers desc
            """,
            params,
        ).df()
    return con.execute(  # the published centroids, when per-customer features are absent
        f"""
        select segment_id, segment_name, customers, centroid_frequency as avg_frequency,
               centroid_avg_monthly_spend as avg_total_spend, null as avg_recency_days
        from {SEGMENT_PROFILES}
        order by customers desc
        """
    ).df()


def segment_k_diagnostics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(f"select * from {SEGMENT_K} order by k limit 100").df()


# ---------------------------------------------------------------------------------------------
# Cities
# ---------------------------------------------------------------------------------------------


def city_segment_mix(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters, top_n: int
) -> pd.DataFrame:
    """Share of each city's customers per segment, for the largest ``top_n`` cities."""
    clause, params = _customer_clause(f, tables, "s.customer_id")
    return con.execute(
        f"""
        with counted as (
            select c.city, s.segment_id, s.segment_name, count(*) as customers
            from {SEGMENTS} as s
            join {CUSTOMERS} as c using (customer_id)
            where c.city is not null {clause}
            group by all
        ),
        top_cities as (
            select city, sum(customers) as city_customers
            from counted group by city order by city_customers desc, city limit $top_n
        )
        select
            counted.city, segment_id, segment_name, customers,
            customers / city_customers as share_of_city,
            city_customers,
        from counted
        join top_cities using (city)
        order by city_customers desc, city, segment_id
        """,
        params | {"top_n": top_n},
    ).df()


def city_profiles(con: duckdb.DuckDBPyConnection, cities: list[str]) -> pd.DataFrame:
    """Recency, frequency and spend per city, min-max normalised across the cities given.

    marts.mart_city_profiles is per city and segment; a city's value is the customer-weighted
    average over its segments, then 0 = the lowest of these cities and 1 = the highest.
    """
    return con.execute(
        f"""
        with per_city as (
            select
                city,
                sum(customers) as customers,
                sum(avg_recency_days * customers) / nullif(sum(customers), 0) as recency_days,
                sum(avg_frequency * customers) / nullif(sum(customers), 0) as frequency,
                sum(avg_spend * customers) / nullif(sum(customers), 0) as spend,
            from {CITY_PROFILES}
            where list_contains($cities, city)
            group by city
        )
        select
            city, customers, recency_days, frequency, spend,
            (recency_days - min(recency_days) over ())
                / nullif(max(recency_days) over () - min(recency_days) over (), 0) as norm_recency,
            (frequency - min(frequency) over ())
                / nullif(max(frequency) over () - min(frequency) over (), 0) as norm_frequency,
            (spend - min(spend) over ())
                / nullif(max(spend) over () - min(spend) over (), 0) as norm_spend,
        from per_city
        order by customers desc, city
        """,
        {"cities": cities},
    ).df()


# ---------------------------------------------------------------------------------------------
# Risk
# ---------------------------------------------------------------------------------------------


def risk_tier_distribution(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters
) -> pd.DataFrame:
    clause, params = _customer_clause(f, tables, "customer_id")
    df = con.execute(
        f"""
        select risk_tier, count(*) as customers, avg(risk_score)::double as avg_risk_score
        from {RISK_SCORES}
        where true {clause}
        group by risk_tier
        """,
        params,
    ).df()
    order = {tier: i for i, tier in enumerate(RISK_TIER_ORDER)}
    return df.sort_values("risk_tier", key=lambda s: s.map(order).fillna(99)).reset_index(drop=True)


def risk_coverage(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], f: Filters
) -> dict[str, int]:
    """How many customers (under the filters) the scorecard scored, and could assess on at least
    one rule: an empty alert queue means "nothing found" only for the assessed ones."""
    clause, params = _customer_clause(f, tables, "customer_id")
    customers, assessed = con.execute(
        f"""
        select count(*), count(*) filter (where rules_assessed > 0)
        from {RISK_SCORES}
        where true {clause}
        """,
        params,
    ).fetchone()
    return {"customers": int(customers), "assessed": int(assessed or 0)}


def risk_rules(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per scorecard rule: what it reads and for how many customers this bank can
    assess it."""
    return con.execute(
        f"""
        select reason_code, description, customers_assessable, customers, is_assessable,
               customers_with_reason
        from {RISK_RULES}
        order by reason_code
        limit 100
        """
    ).df()


def alert_reason_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        f"""
        select reason from (
            select reason_1 as reason from {RISK_ALERTS}
            union all select reason_2 from {RISK_ALERTS}
            union all select reason_3 from {RISK_ALERTS}
        )
        where reason is not null
        group by reason
        order by count(*) desc, reason
        limit 200
        """
    ).fetchall()
    return [r[0] for r in rows]


def _alert_filter(
    tables: frozenset[str],
    f: Filters,
    risk_tiers: tuple[str, ...],
    reason: str | None,
    min_score: float,
) -> tuple[str, dict[str, Any]]:
    clause, params = _customer_clause(f, tables, "a.customer_id")
    params["min_score"] = min_score
    where = f"a.risk_score >= $min_score {clause}"
    if risk_tiers:
        where += " and list_contains($risk_tiers, a.risk_tier)"
        params["risk_tiers"] = list(risk_tiers)
    if reason:
        where += " and $reason in (a.reason_1, a.reason_2, a.reason_3)"
        params["reason"] = reason
    return where, params


def alert_queue(
    con: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    f: Filters,
    *,
    risk_tiers: tuple[str, ...] = (),
    reason: str | None = None,
    min_score: float = 0.0,
    limit: int = 500,
) -> pd.DataFrame:
    """The alert queue in rank order, as the mart has it (bounded by ``limit``)."""
    where, params = _alert_filter(tables, f, risk_tiers, reason, min_score)
    df = con.execute(
        f"""
        select a.*
        from {RISK_ALERTS} as a
        where {where}
        order by a.alert_rank
        limit $limit
        """,
        params | {"limit": limit},
    ).df()
    return df.drop(columns=[c for c in ("reasons",) if c in df.columns])


def risk_score_range(con: duckdb.DuckDBPyConnection) -> tuple[float, float]:
    """Bounds of the risk score as published (points or probability, whichever the model uses)."""
    lo, hi = con.execute(
        f"select min(risk_score)::double, max(risk_score)::double from {RISK_ALERTS}"
    ).fetchone()
    return (lo or 0.0, hi or 0.0)


def alert_count(
    con: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    f: Filters,
    *,
    risk_tiers: tuple[str, ...] = (),
    reason: str | None = None,
    min_score: float = 0.0,
) -> int:
    where, params = _alert_filter(tables, f, risk_tiers, reason, min_score)
    return con.execute(
        f"select count(*) from {RISK_ALERTS} as a where {where}", params
    ).fetchone()[0]


def risk_model_metrics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        f"select * from {RISK_METRICS} order by model, metric limit 500"
    ).df()


def risk_feature_importances(con: duckdb.DuckDBPyConnection, top: int = 15) -> pd.DataFrame:
    return con.execute(
        f"""
        select model, feature, importance::double as importance
        from {RISK_IMPORTANCES}
        qualify row_number() over (partition by model order by abs(importance) desc) <= $top
        order by model, abs(importance) desc
        """,
        {"top": top},
    ).df()


# ---------------------------------------------------------------------------------------------
# Customer 360
# ---------------------------------------------------------------------------------------------


def search_customers(con: duckdb.DuckDBPyConnection, text: str, limit: int = 25) -> list[str]:
    """Customer ids starting with ``text`` (case-insensitive), exact match first."""
    needle = text.strip()
    if not needle:
        return []
    rows = con.execute(
        f"""
        select customer_id from {CUSTOMERS}
        where starts_with(lower(customer_id), lower($needle))
        order by customer_id <> $needle, customer_id
        limit $limit
        """,
        {"needle": needle, "limit": limit},
    ).fetchall()
    return [r[0] for r in rows]


def example_customers(con: duckdb.DuckDBPyConnection, tables: frozenset[str], limit: int = 5) -> list[str]:
    """Customers worth a look when the search box is empty: the top of the alert queue."""
    if RISK_ALERTS in tables:
        sql = f"select customer_id from {RISK_ALERTS} order by alert_rank limit $limit"
    else:
        sql = f"select customer_id from {CUSTOMERS} order by customer_id limit $limit"
    return [r[0] for r in con.execute(sql, {"limit": limit}).fetchall()]


def customer_profile(
    con: duckdb.DuckDBPyConnection, tables: frozenset[str], customer_id: str
) -> dict[str, Any] | None:
    """One customer's dimension row plus tier, segment, risk and key features where built."""
    selects = ["c.*"]
    joins = []
    if TIERS in tables:
        selects.append("t.tier_name, t.tier_rank, t.measure_value as tier_measure_value")
        joins.append(f"left join {TIERS} as t using (customer_id)")
    if SEGMENTS in tables:
        selects.append("s.segment_id, s.segment_name")
        joins.append(f"left join {SEGMENTS} as s using (customer_id)")
        if SEGMENT_PROFILES in tables:
            selects.append("sp.description as segment_description, "
                           "sp.recommended_action as segment_recommended_action")
            joins.append(f"left join {SEGMENT_PROFILES} as sp on sp.segment_id = s.segment_id")
    if RISK_SCORES in tables:
        selects.append("r.risk_score, r.risk_tier, r.reason_1, r.reason_2, r.reason_3")
        joins.append(f"left join {RISK_SCORES} as r using (customer_id)")
    if FEATURES in tables:
        selects.append(
            "cf.total_spend, cf.txn_count, cf.avg_monthly_spend, cf.recency_days, "
            "cf.income_utilisation, cf.online_share, cf.atm_share, cf.cross_border_share"
        )
        joins.append(f"left join {FEATURES} as cf using (customer_id)")
    df = con.execute(
        f"select {', '.join(selects)} from {CUSTOMERS} as c {' '.join(joins)} "
        "where c.customer_id = $customer_id limit 1",
        {"customer_id": customer_id},
    ).df()
    return None if df.empty else df.iloc[0].to_dict()


def customer_monthly_spend(con: duckdb.DuckDBPyConnection, customer_id: str) -> pd.DataFrame:
    return con.execute(
        f"""
        select transaction_month as month, category, sum(amount)::double as spend,
               count(*) as txn_count
        from {TRANSACTIONS}
        where customer_id = $customer_id
        group by all
        order by month, category
        """,
        {"customer_id": customer_id},
    ).df()


# ---------------------------------------------------------------------------------------------
# Data set analyses: the known analyses of the public data sets, where the bank has their data
# ---------------------------------------------------------------------------------------------


def _rows_or_empty(con: duckdb.DuckDBPyConnection, tables: frozenset[str], table: str, sql: str) -> pd.DataFrame:
    """``sql`` over ``table``, or an empty frame when the serving file lacks the table."""
    if table not in tables:
        return pd.DataFrame()
    return con.execute(sql).df()


def bank_contents(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    """The raw tables this bank delivered, with raw and clean rows (marts.data_availability)."""
    return _rows_or_empty(con, tables, AVAILABILITY, f"""
        select table_name, rows as raw_rows, values_present as clean_rows
        from {AVAILABILITY}
        where object_type = 'raw_table' and is_present
        order by table_name
    """)


def income_utilisation(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    return _rows_or_empty(con, tables, INCOME_UTILISATION, f"""
        select group_type, group_value, group_order, customers, avg_monthly_spend,
               avg_monthly_income, income_utilisation
        from {INCOME_UTILISATION}
        order by group_type, group_order nulls last, income_utilisation desc
        limit 500
    """)


def fraud_profile(con: duckdb.DuckDBPyConnection, tables: frozenset[str], by: str) -> pd.DataFrame:
    """Fraud rate by ``hour_of_day`` or by ``amount_band``."""
    if by not in ("hour_of_day", "amount_band"):
        raise ValueError(f"cannot profile fraud by {by!r}")
    order = "amount_band_order" if by == "amount_band" else "hour_of_day"
    return _rows_or_empty(con, tables, FRAUD_PROFILE, f"""
        select {by}, min({order}) as sort_order, sum(transactions)::bigint as transactions,
               sum(fraud_transactions)::bigint as fraud_transactions,
               (sum(fraud_transactions) / sum(transactions))::double as fraud_rate
        from {FRAUD_PROFILE}
        where {by} is not null
        group by {by}
        order by sort_order
    """)


def rfm_segment_summary(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    return _rows_or_empty(con, tables, RFM_SEGMENTS, f"""
        select rfm_segment, count(*) as customers, avg(recency_days) as avg_recency_days,
               avg(frequency) as avg_frequency, avg(monetary_total) as avg_monetary_total,
               avg(age) as avg_age
        from {RFM_SEGMENTS}
        group by rfm_segment
        order by rfm_segment
    """)


def rfm_city_profiles(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    return _rows_or_empty(con, tables, RFM_CITY_PROFILES, f"""
        select city, city_rank, rfm_segment, customers, share_of_city
        from {RFM_CITY_PROFILES}
        order by city_rank, rfm_segment
        limit 1000
    """)


def repayment_segments(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    return _rows_or_empty(con, tables, REPAYMENT_SEGMENTS, f"""
        select repayment_segment, count(*) as borrowers, avg(avg_repayment_days) as avg_repayment_days,
               avg(loan_count) as avg_loan_count, avg(loan_avg_amount) as avg_loan_amount,
               avg(loan_total_amount) as avg_loan_total_amount
        from {REPAYMENT_SEGMENTS}
        group by repayment_segment
        order by repayment_segment
    """)


def repayment_k(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    return _rows_or_empty(con, tables, REPAYMENT_K, f"select k, inertia, is_chosen from {REPAYMENT_K} order by k")


def holdings_profile(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> pd.DataFrame:
    return _rows_or_empty(con, tables, HOLDINGS_PROFILE, f"""
        select group_type, group_value, product, product_label, customers, holders,
               total_balance, total_quantity
        from {HOLDINGS_PROFILE}
        order by group_type, group_value, product
        limit 2000
    """)


def delivered_tables(con: duckdb.DuckDBPyConnection, tables: frozenset[str]) -> frozenset[str]:
    """Raw tables the bank delivered with at least one clean row (marts.data_availability); a
    serving file without that mart counts as delivering everything (an older build)."""
    if AVAILABILITY not in tables:
        return frozenset({"customers", "accounts", "merchants", "transactions", "loans",
                          "loan_repayments", "account_balances", "customer_holdings", "monthly_spend"})
    rows = con.execute(
        f"select table_name from {AVAILABILITY} where object_type = 'raw_table' and is_present "
        "and values_present > 0"
    ).fetchall()
    return frozenset(r[0] for r in rows)
