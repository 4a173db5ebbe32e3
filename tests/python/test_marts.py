"""The star schema (marts.dim_* / marts.fct_*) on the small dirty bank that conftest builds.

dbt's own tests check each model in isolation; these check what a BI user relies on across
models and layers: no person can be identified from the marts, the facts add up to the clean
staging rows, every fact row joins every dimension, the types are Power BI friendly and the
documentation really reached the DuckDB catalog.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from bankmart.invocations import served_schemas
from bankmart.raw_schema import sensitive_columns
from conftest import BIN, PROJECT_DIR, Bank

pytestmark = pytest.mark.dbt

STAR_TABLES = [
    "dim_customer",
    "dim_account",
    "dim_merchant",
    "dim_date",
    "fct_transactions",
    "fct_loans",
    "fct_loan_repayments",
    "fct_account_balances_monthly",
]

# The types Power BI maps without surprises (no HUGEINT, no nested types, no odd decimals).
FLAT_TYPES = {
    "VARCHAR",
    "INTEGER",
    "BIGINT",
    "DOUBLE",
    "DECIMAL(18,2)",
    "DATE",
    "TIMESTAMP",
    "BOOLEAN",
}

# fact -> (dimension key column, dimension table)
FACT_KEYS = {
    "fct_transactions": [
        ("customer_key", "dim_customer"),
        ("account_key", "dim_account"),
        ("merchant_key", "dim_merchant"),
        ("date_key", "dim_date"),
    ],
    "fct_loans": [("customer_id", "dim_customer"), ("date_key", "dim_date")],
    "fct_loan_repayments": [("customer_id", "dim_customer"), ("date_key", "dim_date")],
    "fct_account_balances_monthly": [
        ("customer_key", "dim_customer"),
        ("account_key", "dim_account"),
        ("date_key", "dim_date"),
    ],
}


@pytest.fixture(scope="module")
def con(built_bank: Bank) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(built_bank.duckdb_path), read_only=True)
    yield connection
    connection.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def marts_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where schema_name = 'marts' order by table_name, column_index"
    ).fetchall()


def test_star_schema_tables_exist_and_are_populated(con: duckdb.DuckDBPyConnection) -> None:
    for table in STAR_TABLES:
        assert scalar(con, f"select count(*) from marts.{table}") > 0, table


def test_no_served_column_is_a_sensitive_raw_column(
    con: duckdb.DuckDBPyConnection, built_bank: Bank
) -> None:
    sensitive = sensitive_columns()
    # The marks must be there to fire: the raw contract marks names and birth dates, and
    # staging still holds them.
    assert {"full_name", "birth_date"} <= sensitive
    staging = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() "
            "where schema_name = 'staging' and table_name = 'stg_core__customers'"
        ).fetchall()
    }
    assert sensitive <= staging
    served = served_schemas(PROJECT_DIR)
    offending = con.execute(
        "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
        "where schema_name in (select unnest($served)) and lower(column_name) in "
        "(select unnest($sensitive))",
        {"served": list(served), "sensitive": sorted(sensitive)},
    ).fetchall()
    assert offending == []


def test_the_sensitive_column_test_runs_after_every_served_model_and_seed(built_bank: Bank) -> None:
    """assert_no_sensitive_column_is_served reads the catalogue of the served schemas, so it
    sees every relation there; it must also depend on each served model and seed, or dbt could
    run it before one of them is rebuilt."""
    manifest = json.loads((built_bank.root / "target" / "manifest.json").read_text())
    served = set(served_schemas(PROJECT_DIR))
    published = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and node["schema"] in served
    }
    test = manifest["nodes"]["test.bankmart.assert_no_sensitive_column_is_served"]
    assert len(published) > 30
    assert sorted(published - set(test["depends_on"]["nodes"])) == []


def test_no_view_declares_constraints(built_bank: Bank) -> None:
    """Constraints are enforced only on tables: on a view (fct_transactions, customer_month_kpis)
    dbt accepts them and checks nothing, so a view's rules must be data tests."""
    manifest = json.loads((built_bank.root / "target" / "manifest.json").read_text())
    views = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "view"
    }
    assert {"fct_transactions", "customer_month_kpis"} <= set(views)
    declaring = sorted(
        name
        for name, node in views.items()
        if node.get("constraints") or any(c.get("constraints") for c in node["columns"].values())
    )
    assert declaring == []


def test_check_constraints_call_no_function(built_bank: Bank) -> None:
    """A mart's check constraint compares, ranges and lists only: DuckDB 1.4.4 cannot replay a
    write-ahead log holding a table whose check calls a function (strftime, date_trunc), so a
    build killed after writing one left a warehouse no one could open. Such rules stay data
    tests (holds_for_every_row)."""
    manifest = json.loads((built_bank.root / "target" / "manifest.json").read_text())
    checks = [
        (node["name"], constraint["expression"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for constraint in [
            *node.get("constraints", []),
            *(c for column in node["columns"].values() for c in column.get("constraints", [])),
        ]
        if constraint["type"] == "check"
    ]
    assert len(checks) > 50
    calls = [
        (name, expression)
        for name, expression in checks
        if re.search(r"\b(?!in\b|and\b|or\b|not\b|is\b)[a-z_]+\s*\(", expression, re.IGNORECASE)
    ]
    assert calls == []


def dbt_test_on_a_broken_copy(
    built_bank: Bank, tmp_path: Path, breaking_sql: str, select: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`dbt test --select <select>` on a copy of the built warehouse after breaking_sql ran on
    it; returns dbt's run and the copy. The copy keeps the file's name: DuckDB names the
    database after it, and the views inside refer to their tables by that name."""
    copy = tmp_path / built_bank.duckdb_path.name
    shutil.copy(built_bank.duckdb_path, copy)
    with duckdb.connect(str(copy)) as broken:
        broken.execute(breaking_sql)
    env = {**built_bank.env, "BANKMART_DUCKDB_PATH": str(copy),
           "DBT_TARGET_PATH": str(tmp_path / "target")}
    proc = subprocess.run(
        [str(BIN / "dbt"), "test", "--select", select],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    return proc, copy


def compiled_test_rows(copy: Path, tmp_path: Path, pattern: str) -> list[tuple]:
    """The rows the compiled data test whose file matches `pattern` returns on the copy."""
    compiled = next((tmp_path / "target" / "compiled").rglob(pattern))
    with duckdb.connect(str(copy)) as broken:
        return broken.execute(compiled.read_text()).fetchall()


def test_the_sensitive_column_test_fails_on_a_served_name(built_bank: Bank, tmp_path: Path) -> None:
    """The dbt test fires on a mart that carries full_name (shown on a copy of the warehouse)."""
    proc, _ = dbt_test_on_a_broken_copy(
        built_bank, tmp_path, "alter table marts.dim_merchant add column full_name varchar",
        "assert_no_sensitive_column_is_served",
    )
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "FAIL 1 assert_no_sensitive_column_is_served" in proc.stdout
    assert "Got 1 result" in proc.stdout


def test_the_required_columns_test_fails_on_a_null(built_bank: Bank, tmp_path: Path) -> None:
    """has_no_nulls checks all the required columns of a model in one node: a NULL in any one
    of them fails it, naming the column (shown on a copy of the warehouse)."""
    proc, copy = dbt_test_on_a_broken_copy(
        built_bank, tmp_path,
        "update reference.channels set is_online = null "
        "where channel = (select min(channel) from reference.channels)",
        "channels,test_name:has_no_nulls",
    )
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "FAIL 1 has_no_nulls_channels" in proc.stdout
    assert compiled_test_rows(copy, tmp_path, "has_no_nulls_channels*.sql") == [("is_online", 1)]


def test_the_parents_test_fails_on_an_orphan(built_bank: Bank, tmp_path: Path) -> None:
    """has_parents checks every relationship of a large model in one node: a value missing from
    the relation it refers to fails it, naming the column, the relation and the rows (shown on a
    copy of the warehouse: two customers removed from dim_customer)."""
    proc, copy = dbt_test_on_a_broken_copy(
        built_bank, tmp_path,
        "delete from marts.dim_customer where customer_id in ("
        "select customer_id from staging.base_core__transactions where quarantine_reason is null "
        "group by customer_id order by customer_id limit 2)",
        "int_transactions_enriched,test_name:has_parents",
    )
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "FAIL 1 has_parents_int_transactions_enriched" in proc.stdout
    with duckdb.connect(str(copy)) as broken:
        orphans = broken.execute(
            "select count(*) from intermediate.int_transactions_enriched "
            "where customer_id not in (select customer_id from marts.dim_customer)"
        ).fetchone()[0]
    rows = compiled_test_rows(copy, tmp_path, "has_parents_int_transactions_e*.sql")
    assert orphans > 0
    assert [(column, count) for column, _, count in rows] == [("customer_id", orphans)]
    assert "dim_customer" in rows[0][1]


def test_no_customer_name_or_birth_date_value_leaks_into_marts(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A renamed column would pass the name check; the values themselves must not appear."""
    names = {
        n
        for (n,) in con.execute(
            "select distinct full_name from staging.stg_core__customers where full_name is not null"
        ).fetchall()
    }
    assert names, "the small bank should carry customer names in staging"
    for table, column, data_type in marts_columns(con):
        if data_type == "VARCHAR":
            hits = scalar(
                con,
                f'select count(*) from marts."{table}" where "{column}" in '
                "(select full_name from staging.stg_core__customers)",
            )
            assert hits == 0, f"marts.{table}.{column} holds customer names"
    # No DATE column of dim_customer equals the customer's own birth date on most rows.
    for (column,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'marts' "
        "and table_name = 'dim_customer' and data_type = 'DATE'"
    ).fetchall():
        same = scalar(
            con,
            f"select count(*) from marts.dim_customer d join staging.stg_core__customers s "
            f'using (customer_id) where d."{column}" = s.birth_date',
        )
        assert same == 0, f"dim_customer.{column} repeats birth dates"


def test_mart_columns_have_power_bi_friendly_types(con: duckdb.DuckDBPyConnection) -> None:
    odd = [
        f"{table}.{column} {data_type}"
        for table, column, data_type in marts_columns(con)
        if table in STAR_TABLES and data_type not in FLAT_TYPES
    ]
    assert odd == []
    for fact in FACT_KEYS:
        assert (
            scalar(
                con,
                "select data_type from duckdb_columns() where schema_name = 'marts' "
                f"and table_name = '{fact}' and column_name = 'date_key'",
            )
            == "INTEGER"
        ), fact


def test_descriptions_are_persisted_as_duckdb_comments(con: duckdb.DuckDBPyConnection) -> None:
    missing_columns = con.execute(
        "select table_name || '.' || column_name from duckdb_columns() "
        f"where schema_name = 'marts' and table_name in {tuple(STAR_TABLES)} "
        "and coalesce(trim(comment), '') = ''"
    ).fetchall()
    assert missing_columns == []
    missing_tables = con.execute(
        "select table_name from duckdb_tables() "
        f"where schema_name = 'marts' and table_name in {tuple(STAR_TABLES)} "
        "and coalesce(trim(comment), '') = ''"
    ).fetchall()
    assert missing_tables == []
    # The reference seeds are served beside the marts: BI sees their descriptions too.
    undocumented_seeds = con.execute(
        "select table_name from duckdb_tables() "
        "where schema_name = 'reference' and coalesce(trim(comment), '') = ''"
    ).fetchall()
    assert undocumented_seeds == []
    seed_columns = con.execute(
        "select count(*), count(*) filter (where coalesce(trim(comment), '') <> '') "
        "from duckdb_columns() where schema_name = 'reference'"
    ).fetchone()
    assert seed_columns[0] > 40 and seed_columns[1] == seed_columns[0]
    # Shared docs blocks are rendered, not left as Jinja.
    assert (
        scalar(
            con,
            "select count(*) from duckdb_columns() where schema_name = 'marts' "
            "and (comment like '%{{%' or comment like '%doc(%')",
        )
        == 0
    )


def test_every_example_query_in_a_model_description_runs(
    built_bank: Bank, con: duckdb.DuckDBPyConnection
) -> None:
    """Each SQL model's description ends with an example query (dbt-score's has_example_sql),
    naming relations as a user would (marts.fct_transactions): every one runs on the bank."""
    manifest = json.loads((built_bank.root / "target" / "manifest.json").read_text())
    examples = {
        node["name"]: re.search(r"```sql\n(.*?)```", node["description"], re.DOTALL)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["language"] == "sql"
    }
    assert len(examples) > 50
    assert sorted(name for name, found in examples.items() if found is None) == []
    failures = {}
    for name, found in examples.items():
        try:
            con.execute(found.group(1)).fetchall()
        except duckdb.Error as exc:
            failures[name] = str(exc)
    assert failures == {}


def test_facts_add_up_to_clean_staging(con: duckdb.DuckDBPyConnection) -> None:
    pairs = [
        ("fct_transactions", "stg_core__transactions", "amount"),
        ("fct_loan_repayments", "stg_core__loan_repayments", "amount"),
        ("fct_loans", "stg_core__loans", "principal_amount"),
        ("fct_account_balances_monthly", "stg_core__account_balances", "balance"),
    ]
    for fact, staging, measure in pairs:
        fact_count, fact_total = con.execute(
            f"select count(*), sum({measure}) from marts.{fact}"
        ).fetchone()
        stg_count, stg_total = con.execute(
            f"select count(*), sum({measure}) from staging.{staging}"
        ).fetchone()
        assert (fact_count, fact_total) == (stg_count, stg_total), fact


def test_dimensions_hold_every_clean_entity_once(con: duckdb.DuckDBPyConnection) -> None:
    for dim, staging, key in [
        ("dim_customer", "stg_core__customers", "customer_id"),
        ("dim_account", "stg_core__accounts", "account_id"),
        ("dim_merchant", "stg_core__merchants", "merchant_id"),
    ]:
        only_in_staging = scalar(
            con,
            f"select count(*) from (select {key} from staging.{staging} "
            f"except select {key} from marts.{dim})",
        )
        assert only_in_staging == 0, dim
        assert scalar(con, f"select count(*) - count(distinct {key}) from marts.{dim}") == 0
    assert scalar(con, "select count(*) from marts.dim_merchant where merchant_id = '-1'") == 1


def test_every_fact_row_joins_each_dimension(con: duckdb.DuckDBPyConnection) -> None:
    for fact, keys in FACT_KEYS.items():
        for key, dim in keys:
            orphans = scalar(
                con,
                f"select count(*) from marts.{fact} f anti join marts.{dim} d using ({key})",
            )
            assert orphans == 0, f"{fact}.{key} -> {dim}"
    # Payments without a merchant exist in the bank and land on the '-1' member.
    assert scalar(
        con, "select count(*) from marts.fct_transactions where merchant_key = -1"
    ) == scalar(
        con, "select count(*) from staging.stg_core__transactions where merchant_id is null"
    )


def test_fact_keys_name_the_members_the_natural_ids_name(con: duckdb.DuckDBPyConnection) -> None:
    """The narrow facts' integer keys lead to the customer, account and merchant that the
    transaction's (or balance's) own ids name, and each dimension numbers its members 1..n in
    id order."""
    mismatches = scalar(
        con,
        """
        select count(*)
        from marts.fct_transactions f
        join intermediate.int_transactions_enriched t using (transaction_id)
        left join marts.dim_customer c on f.customer_key = c.customer_key
        left join marts.dim_account a on f.account_key = a.account_key
        left join marts.dim_merchant m on f.merchant_key = m.merchant_key
        where c.customer_id is distinct from t.customer_id
            or a.account_id is distinct from t.account_id
            or m.merchant_id is distinct from coalesce(t.merchant_id, '-1')
        """,
    )
    assert mismatches == 0
    rows, ids = con.execute(
        "select count(*), count(distinct transaction_id) from marts.fct_transactions"
    ).fetchone()
    assert rows == ids == scalar(con, "select count(*) from staging.stg_core__transactions")
    for dim, key, natural, members in [
        ("dim_customer", "customer_key", "customer_id", "true"),
        ("dim_account", "account_key", "account_id", "true"),
        ("dim_merchant", "merchant_key", "merchant_id", "merchant_id <> '-1'"),
    ]:
        out_of_order = scalar(
            con,
            f"select count(*) from (select {key}, row_number() over (order by {natural}) as n "
            f"from marts.{dim} where {members}) where {key} <> n",
        )
        assert out_of_order == 0, dim
    assert scalar(con, "select merchant_id from marts.dim_merchant where merchant_key = -1") == "-1"
    balances_mismatched = scalar(
        con,
        """
        select count(*)
        from (
            select a.account_id, c.customer_id, b.balance_month, b.balance
            from marts.fct_account_balances_monthly b
            left join marts.dim_account a on b.account_key = a.account_key
            left join marts.dim_customer c on b.customer_key = c.customer_key
            except all
            select account_id, customer_id, balance_month, balance
            from staging.stg_core__account_balances
        )
        """,
    )
    assert balances_mismatched == 0
    assert scalar(con, "select count(*) from marts.fct_account_balances_monthly") == scalar(
        con, "select count(*) from staging.stg_core__account_balances"
    ) > 0


def test_dim_date_is_a_whole_year_calendar_around_every_fact_date(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first, last, days, distinct_days = con.execute(
        "select min(date_day), max(date_day), count(*), count(distinct date_day) from marts.dim_date"
    ).fetchone()
    assert (first.month, first.day, last.month, last.day) == (1, 1, 12, 31)
    assert days == distinct_days == (last - first).days + 1
    earliest_fact, latest_fact = con.execute(
        "select min(d), max(d) from ("
        " select transaction_date as d from marts.fct_transactions"
        " union all select paid_date from marts.fct_loan_repayments"
        " union all select disbursed_date from marts.fct_loans"
        " union all select due_date from marts.fct_loans"
        " union all select balance_month from marts.fct_account_balances_monthly"
        " union all select opened_date from marts.dim_account)"
    ).fetchone()
    assert first <= earliest_fact and latest_fact <= last
    # Whole years only: never more than a year of padding on either side.
    assert earliest_fact.year == first.year and latest_fact.year == last.year


def test_fraud_flag_keeps_every_known_label_and_defaults_unknown_to_false(
    con: duckdb.DuckDBPyConnection,
) -> None:
    fact = con.execute(
        "select count(*) filter (where is_fraud), count(*) filter (where not has_fraud_label), "
        "count(*) filter (where is_fraud is null) from marts.fct_transactions"
    ).fetchone()
    stg = con.execute(
        "select count(*) filter (where is_fraud), count(*) filter (where is_fraud is null), 0 "
        "from staging.stg_core__transactions"
    ).fetchone()
    assert fact == stg


def test_tenure_is_measured_to_the_last_transaction_month_not_today(
    con: duckdb.DuckDBPyConnection,
) -> None:
    last_month = scalar(con, "select max(transaction_month) from marts.fct_transactions")
    rows = con.execute(
        "select d.tenure_months, s.joined_date from marts.dim_customer d "
        "join staging.stg_core__customers s using (customer_id) where s.joined_date is not null"
    ).fetchall()
    assert rows
    for tenure, joined in rows:
        months = (last_month.year - joined.year) * 12 + last_month.month - joined.month
        assert tenure == max(months, 0)


def test_cross_border_flag_matches_the_customers_home_country(
    con: duckdb.DuckDBPyConnection,
) -> None:
    mismatches = scalar(
        con,
        """
        select count(*)
        from marts.fct_transactions f
        join marts.dim_customer c using (customer_key)
        where f.is_cross_border <> coalesce(f.country_code <> coalesce(c.country_code, 'IN'), false)
        """,
    )
    assert mismatches == 0
    # The small bank has both domestic and cross-border spend, so the flag is not constant.
    assert scalar(con, "select count(distinct is_cross_border) from marts.fct_transactions") == 2
