"""release_cached_blocks: DuckDB's cache of table blocks given back before a Python model fits."""

import duckdb
import pytest
from dbt.adapters.duckdb.environments.local import DuckDBCursorWrapper

from bankmart.ml.relations import release_cached_blocks


def cached_bytes(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        "select memory_usage_bytes from duckdb_memory() where tag = 'BASE_TABLE'"
    ).fetchone()[0]


def limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.fixture
def warm(tmp_path):
    """A DuckDB file whose table (about 40 MB of incompressible doubles) was just read."""
    path = str(tmp_path / "cache.duckdb")
    with duckdb.connect(path) as con:
        con.execute("create table t as select random() as x from range(5000000)")
    con = duckdb.connect(path, config={"memory_limit": "700MB"})
    con.execute("select sum(x) from t").fetchone()
    yield con
    con.close()


@pytest.mark.parametrize("wrapped", [False, True], ids=["connection", "dbt_duckdb_cursor"])
def test_cached_blocks_are_evicted_and_the_configured_limit_restored(warm, wrapped):
    before, configured = cached_bytes(warm), limit(warm)
    assert before > 20 * 1024**2
    # what a dbt Python model gets as `session` on DuckDB
    session = DuckDBCursorWrapper(warm) if wrapped else warm

    assert release_cached_blocks(session, "700MB", keep_bytes=1024**2) is True

    assert cached_bytes(warm) <= 1024**2
    assert limit(warm) == configured
    assert warm.execute("select count(*) from t").fetchone()[0] == 5_000_000


def test_nothing_is_done_without_a_limit_a_duckdb_session_or_enough_cache(warm):
    before = cached_bytes(warm)
    assert release_cached_blocks(warm, None, keep_bytes=1024**2) is False
    assert release_cached_blocks(warm, "", keep_bytes=1024**2) is False
    assert release_cached_blocks(object(), "700MB", keep_bytes=1024**2) is False
    assert release_cached_blocks(warm, "80%", keep_bytes=1024**2) is False
    # the cache is already within what may be kept
    assert release_cached_blocks(warm, "700MB", keep_bytes=before + 1) is False
    # lowering the limit to what may be kept would not lower it
    assert release_cached_blocks(warm, "10MB", keep_bytes=20 * 1024**2) is False
    assert cached_bytes(warm) == before
