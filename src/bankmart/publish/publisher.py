"""publish(): one serving version from the last build, all or nothing."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bankmart.errors import BankmartError
from bankmart.publish.copy import write_serving_copy
from bankmart.publish.dax import DAX_FILE
from bankmart.publish.files import (
    TEMP_PREFIX,
    publish_lock,
    remove_leftovers,
    remove_quietly,
    swap_into_place,
)
from bankmart.publish.history import read_previous_version
from bankmart.publish.tables import PublishedTable
from bankmart.settings import Settings, check_storage_version


@dataclass(frozen=True)
class PublishResult:
    serving_path: Path
    parquet_dir: Path
    tables: list[PublishedTable]
    published_at: datetime
    storage_version: str
    dax_path: Path | None
    notes: list[str]
    elapsed_seconds: float



def publish(
    settings: Settings, *, storage_version: str | None = None, spark: bool = False
) -> PublishResult:
    """Publish the last build into settings.serving_dir if it is whole, green and complete:
    the DuckDB build file, or with spark=True the Spark target's build (staged first as a
    DuckDB file beside its warehouse, see bankmart.publish.from_spark).

    Raises BankmartError (and changes nothing readers see) otherwise.
    """
    started = time.perf_counter()
    if spark:
        from bankmart.publish.from_spark import export_spark_build, spark_warehouse

        export_path = settings.spark_dir / f"publish_stage-{os.getpid()}.duckdb"
        remove_quietly(export_path)
        try:
            export_spark_build(settings, export_path)
            return _publish_file(
                settings, export_path, storage_version, started,
                source_file=f"Spark warehouse {spark_warehouse(settings)}", check_relations=False,
            )
        finally:
            remove_quietly(export_path)
            remove_quietly(export_path.with_name(export_path.name + ".wal"))
    return _publish_file(settings, settings.duckdb_path, storage_version, started)


def _publish_file(
    settings: Settings,
    build_path: Path,
    storage_version: str | None,
    started: float,
    *,
    source_file: str | None = None,
    check_relations: bool = True,
) -> PublishResult:
    if storage_version is None:
        storage_version = settings.storage_version
    else:
        try:
            storage_version = check_storage_version(storage_version)
        except ValueError as exc:
            raise BankmartError(f"--storage-version {storage_version!r}: {exc}.") from None
    serving_dir = settings.serving_dir
    if build_path.resolve() == settings.serving_path.resolve():
        raise BankmartError(
            f"BANKMART_DUCKDB_PATH and the serving file are the same file ({build_path}): "
            "point BANKMART_SERVING_DIR at another folder."
        )
    if not build_path.is_file():
        raise BankmartError(
            f"warehouse file {build_path} does not exist: nothing to publish. Build it first with "
            "`make run` (or `bankmart build`), or point BANKMART_DUCKDB_PATH at it."
        )
    if settings.serving_path.is_dir():
        raise BankmartError(
            f"the serving file {settings.serving_path} is a folder; move it away so that "
            "`bankmart publish` can write the serving file there."
        )
    serving_dir.mkdir(parents=True, exist_ok=True)

    with publish_lock(serving_dir) as exclusive:
        remove_leftovers(serving_dir, all_of_them=exclusive)
        previous = read_previous_version(settings.serving_path)
        token = f"{os.getpid()}-{time.time_ns()}"
        tmp_db = serving_dir / f"{TEMP_PREFIX}{token}-{settings.serving_path.name}"
        tmp_parquet = serving_dir / f"{TEMP_PREFIX}{token}-{settings.parquet_dir.name}"
        published_at = datetime.now(UTC).replace(tzinfo=None)
        try:
            tables, dax_text, notes = write_serving_copy(
                build_path=build_path,
                tmp_db=tmp_db,
                tmp_parquet=tmp_parquet,
                previous=previous,
                storage_version=storage_version,
                published_at=published_at,
                project_dir=settings.project_dir,
                source_file=source_file,
                check_relations=check_relations,
            )
            notes = previous.notes + notes
            dax_path = None
            if dax_text is not None:
                dax_path = serving_dir / DAX_FILE
                tmp_dax = serving_dir / f"{TEMP_PREFIX}{token}-{DAX_FILE.name}"
                tmp_dax.write_text(dax_text, encoding="utf-8")
            notes += swap_into_place(
                tmp_db=tmp_db,
                serving_path=settings.serving_path,
                tmp_parquet=tmp_parquet,
                parquet_dir=settings.parquet_dir,
                token=token,
                stale_wal=previous.stale_wal,
            )
            if dax_path is not None:
                dax_path.parent.mkdir(exist_ok=True)
                os.replace(tmp_dax, dax_path)
        finally:
            for leftover in serving_dir.glob(f"{TEMP_PREFIX}{token}-*"):
                remove_quietly(leftover)

    return PublishResult(
        serving_path=settings.serving_path,
        parquet_dir=settings.parquet_dir,
        tables=tables,
        published_at=published_at,
        storage_version=storage_version,
        dax_path=dax_path,
        notes=notes,
        elapsed_seconds=time.perf_counter() - started,
    )

