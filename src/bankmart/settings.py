"""Where things live. One place, so the CLI, the Makefile and dbt agree.

Every path can be overridden with an environment variable and is made absolute here, because
dbt, the dashboard and the tests do not all run from the project folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _project_dir() -> Path:
    """The folder holding dbt_project.yml: $BANKMART_PROJECT_DIR, else the checkout around us."""
    env = os.environ.get("BANKMART_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *here.parents]:
        if (parent / "dbt_project.yml").is_file():
            return parent
    return Path.cwd()


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    data_dir: Path
    raw_dir: Path
    duckdb_path: Path
    serving_dir: Path

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
        """Environment for a dbt subprocess: absolute paths that profiles.yml reads."""
        env = dict(os.environ)
        env["BANKMART_RAW_DIR"] = str(self.raw_dir)
        env["BANKMART_DUCKDB_PATH"] = str(self.duckdb_path)
        env["DBT_PROFILES_DIR"] = str(self.project_dir)
        env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        return env


def load_settings() -> Settings:
    project = _project_dir()

    def path(var: str, default: Path) -> Path:
        value = os.environ.get(var)
        return (Path(value) if value else default).expanduser().resolve()

    data = path("BANKMART_DATA_DIR", project / "data")
    return Settings(
        project_dir=project,
        data_dir=data,
        raw_dir=path("BANKMART_RAW_DIR", data / "demo" / "raw"),
        duckdb_path=path("BANKMART_DUCKDB_PATH", data / "bankmart.duckdb"),
        serving_dir=path("BANKMART_SERVING_DIR", data / "serving"),
    )
