"""Where things live and how dbt runs: every BANKMART_* setting, checked in one place.

The CLI, the Makefile and dbt (profiles.yml reads the same variables) must agree, so every
command reads its settings through :func:`load_settings`. Paths are made absolute here, because
dbt, the dashboard and the tests do not all run from the project folder. Every value is checked
before anything runs: a bad one stops the command with a message naming the variable and the
form it accepts, instead of a dbt traceback after dbt has already created an empty warehouse.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bankmart.errors import BankmartError

DEFAULT_RAW_FORMAT = "parquet"
RAW_FORMATS = ("parquet", "csv")
#: How CSV raw files are encoded: DuckDB reads these two without an extension. A Windows
#: (cp1252) export reads as latin-1 but for the characters 0x80-0x9F (the euro sign, curly quotes).
DEFAULT_CSV_ENCODING = "utf-8"
CSV_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1",
                 "iso-8859-1": "latin-1", "iso8859-1": "latin-1"}
DEFAULT_THREADS = 2
MAX_THREADS = 256
DEFAULT_MEMORY_LIMIT = "3GB"
#: Below this DuckDB cannot run the build's queries at all; it fails with out-of-memory errors.
MIN_MEMORY_BYTES = 100 * 1000**2
#: Storage format of the serving file. v1.4.0 is readable by DuckDB 1.4.0 and later, which
#: includes the DuckDB ODBC driver 1.4.x (LTS) we target for Power BI. Lower it (e.g. v1.1.0)
#: for users stuck on an older driver; the file then loses the newer compression methods.
DEFAULT_STORAGE_VERSION = "v1.4.0"
DEFAULT_DASHBOARD_PORT = 8501
DEFAULT_DASHBOARD_ADDRESS = "127.0.0.1"

_MEMORY_UNITS = {
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_MEMORY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b)\s*$", re.IGNORECASE)
_WHOLE_RE = re.compile(r"^\s*\d+\s*$")
_STORAGE_RE = re.compile(r"^v\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    data_dir: Path
    raw_dir: Path
    duckdb_path: Path
    serving_dir: Path
    #: The local Spark target's warehouse folder and metastore (profiles.yml, target spark).
    spark_dir: Path | None = None
    raw_format: str = DEFAULT_RAW_FORMAT
    csv_encoding: str = DEFAULT_CSV_ENCODING
    threads: int = DEFAULT_THREADS
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    storage_version: str = DEFAULT_STORAGE_VERSION
    dashboard_port: int = DEFAULT_DASHBOARD_PORT
    dashboard_address: str = DEFAULT_DASHBOARD_ADDRESS

    @property
    def ground_truth_dir(self) -> Path:
        """The generator writes its answer key beside raw/, outside what dbt reads."""
        return self.raw_dir.parent / "ground_truth"

    @property
    def serving_path(self) -> Path:
        return self.serving_dir / "bankmart.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self.serving_dir / "parquet"

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt subprocess: the checked values that profiles.yml and
        dbt_project.yml read, paths absolute."""
        env = dict(os.environ)
        env["BANKMART_RAW_DIR"] = str(self.raw_dir)
        env["BANKMART_DUCKDB_PATH"] = str(self.duckdb_path)
        # dbt remembers the values of the variables its parse read; one left unset here, as a
        # plain `dbt build` sees it, keeps the parse of a `dbt build` valid for `bankmart build`
        # and back (otherwise each switch re-parses the raw sources and what reads them).
        for name, value, default in (
            ("BANKMART_RAW_FORMAT", self.raw_format, DEFAULT_RAW_FORMAT),
            ("BANKMART_CSV_ENCODING", self.csv_encoding, DEFAULT_CSV_ENCODING),
        ):
            if name in env or value != default:
                env[name] = value
        env["BANKMART_THREADS"] = str(self.threads)
        env["BANKMART_MEMORY_LIMIT"] = self.memory_limit
        env["DBT_PROFILES_DIR"] = str(self.project_dir)
        if self.spark_dir is not None:
            env["BANKMART_SPARK_DIR"] = str(self.spark_dir)
        # The Spark driver's heap (target spark) from the same memory budget, in whole MiB.
        env["BANKMART_SPARK_MEMORY"] = f"{memory_bytes(self.memory_limit) // 1024**2}m"
        env.setdefault("BANKMART_SPARK_LOG4J", str(Path(__file__).parent / "spark" / "log4j2.properties"))
        # Spark in this process binds to loopback: no network, no name lookups of the host.
        env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        java_home = spark_java_home()
        if java_home is not None:
            env.setdefault("JAVA_HOME", str(java_home))
        env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        return env


# --------------------------------------------------------------------------------------------
# Checks of single values: each returns the clean value or raises ValueError saying what is
# accepted (the caller adds the variable's or option's name).
# --------------------------------------------------------------------------------------------


def memory_bytes(value: str) -> int:
    """'3GB' -> 3_000_000_000: DuckDB's memory units (KB/MB/GB/TB powers of 1000, KiB/MiB/GiB/
    TiB powers of 1024). DuckDB 1.4 accepts no percentage, and no number without a unit."""
    match = _MEMORY_RE.match(value)
    if not match:
        raise ValueError(
            "expected a size with a unit, like 3GB, 512MB or 2.5GiB "
            "(units KB, MB, GB, TB or KiB, MiB, GiB, TiB; no percentages)"
        )
    return int(float(match.group(1)) * _MEMORY_UNITS[match.group(2).lower()])


def check_memory_limit(value: str) -> str:
    if memory_bytes(value) < MIN_MEMORY_BYTES:
        raise ValueError("expected at least 100MB: DuckDB cannot build the warehouse in less")
    return value.strip()


def check_threads(value: str) -> int:
    if not _WHOLE_RE.match(value) or not 1 <= int(value) <= MAX_THREADS:
        raise ValueError(f"expected a whole number from 1 to {MAX_THREADS}")
    return int(value)


def check_raw_format(value: str) -> str:
    if value.strip().lower() not in RAW_FORMATS:
        raise ValueError("expected parquet or csv")
    return value.strip().lower()


def check_csv_encoding(value: str) -> str:
    encoding = CSV_ENCODINGS.get(value.strip().lower())
    if encoding is None:
        raise ValueError("expected utf-8 (the default) or latin-1 (ISO-8859-1, also for Windows cp1252 exports)")
    return encoding


@functools.lru_cache(maxsize=16)
def check_storage_version(value: str) -> str:
    """A DuckDB storage format this DuckDB can write, as vX.Y.Z (DuckDB itself decides)."""
    import duckdb

    accepted = (
        f"expected a DuckDB version like v1.4.0 (the default; DuckDB/ODBC 1.4+) or v1.1.0 "
        f"(older ODBC drivers), from v0.10.0 up to v{duckdb.__version__}"
    )
    if not _STORAGE_RE.match(value):
        raise ValueError(accepted)
    con = duckdb.connect()
    try:
        con.execute(f"attach ':memory:' as storage_check (storage_version '{value}')")
    except duckdb.Error:
        raise ValueError(accepted) from None
    finally:
        con.close()
    return value


def check_port(value: str) -> int:
    if not _WHOLE_RE.match(value) or not 1 <= int(value) <= 65535:
        raise ValueError("expected a TCP port, a whole number from 1 to 65535")
    return int(value)


def _file_in_the_way(path: Path) -> Path | None:
    """The first existing part of `path` (itself or a parent) when that is not a folder."""
    for part in [path, *path.parents]:
        if part.exists():
            return None if part.is_dir() else part
    return None


def _check_folder(path: Path) -> Path:
    """A folder that exists, or could be created: no part of it may be a file."""
    blocker = _file_in_the_way(path)
    if blocker == path:
        raise ValueError(f"expected a folder, but {path} is a file")
    if blocker is not None:
        raise ValueError(f"expected a folder, but {path} is under {blocker}, which is a file")
    return path


def _check_file(path: Path) -> Path:
    """A file path (the warehouse) whose folder exists or could be created."""
    if path.is_dir():
        raise ValueError(
            f"expected the path of a DuckDB file, but {path} is a folder "
            f"(e.g. {path / 'bankmart.duckdb'})"
        )
    blocker = _file_in_the_way(path.parent)
    if blocker is not None:
        raise ValueError(f"its folder {path.parent} cannot be created: {blocker} is a file")
    return path


#: Where Debian keeps its JDKs; `make spark-deps` installs OpenJDK 17 (Spark 4 needs 17 or 21).
JVM_DIR = Path("/usr/lib/jvm")


def spark_java_home() -> Path | None:
    """The JDK for the Spark target: $JAVA_HOME when set, else Debian's OpenJDK 17, else none
    (then `java` on the PATH decides)."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    candidates = sorted(JVM_DIR.glob("java-17-openjdk-*")) if JVM_DIR.is_dir() else []
    return next((jdk for jdk in candidates if (jdk / "bin" / "java").exists()), None)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _project_dir() -> Path:
    """The folder holding dbt_project.yml: $BANKMART_PROJECT_DIR, else the checkout around us."""
    env = os.environ.get("BANKMART_PROJECT_DIR")
    if env:
        return Path(env).expanduser().resolve()
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *here.parents]:
        if (parent / "dbt_project.yml").is_file():
            return parent
    return Path.cwd()


def load_settings() -> Settings:
    """Every BANKMART_* setting, checked; BankmartError lists every bad one."""
    problems: list[str] = []

    def read(var: str, default: str, check: Callable[[str], object]) -> object:
        value = os.environ.get(var) or default
        try:
            return check(value)
        except ValueError as exc:
            problems.append(f"{var}={value!r}: {exc}.")
            return check(default)

    def path(var: str, default: Path, check: Callable[[Path], Path] = _check_folder) -> Path:
        value = os.environ.get(var)
        resolved = (Path(value) if value else default).expanduser().resolve()
        if not value and problems:  # a default under a bad BANKMART_DATA_DIR: said once
            return resolved
        try:
            return check(resolved)
        except ValueError as exc:
            problems.append(f"{var}={value or str(default)!r}: {exc}.")
            return resolved

    project = _project_dir()
    if not (project / "dbt_project.yml").is_file():
        problems.append(
            f"BANKMART_PROJECT_DIR={str(project)!r}: expected the bankmart checkout, the folder "
            "holding dbt_project.yml."
        )
    data = path("BANKMART_DATA_DIR", project / "data")
    settings = Settings(
        project_dir=project,
        data_dir=data,
        raw_dir=path("BANKMART_RAW_DIR", data / "demo" / "raw"),
        duckdb_path=path("BANKMART_DUCKDB_PATH", data / "bankmart.duckdb", _check_file),
        serving_dir=path("BANKMART_SERVING_DIR", data / "serving"),
        spark_dir=path("BANKMART_SPARK_DIR", data / "spark"),
        raw_format=read("BANKMART_RAW_FORMAT", DEFAULT_RAW_FORMAT, check_raw_format),
        csv_encoding=read("BANKMART_CSV_ENCODING", DEFAULT_CSV_ENCODING, check_csv_encoding),
        threads=read("BANKMART_THREADS", str(DEFAULT_THREADS), check_threads),
        memory_limit=read("BANKMART_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT, check_memory_limit),
        storage_version=read(
            "BANKMART_STORAGE_VERSION", DEFAULT_STORAGE_VERSION, check_storage_version
        ),
        dashboard_port=read("BANKMART_DASHBOARD_PORT", str(DEFAULT_DASHBOARD_PORT), check_port),
        dashboard_address=os.environ.get("BANKMART_DASHBOARD_ADDRESS")
        or DEFAULT_DASHBOARD_ADDRESS,
    )
    if problems:
        raise BankmartError(
            "invalid setting" + ("s" if len(problems) > 1 else "") + " (environment variables; "
            "see Configuration in README.md), nothing was run:\n  - " + "\n  - ".join(problems)
        )
    return settings
