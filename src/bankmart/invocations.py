"""Is this warehouse one whole, green, complete build? Answered from the warehouse itself.

dbt's on-run-start and on-run-end hooks (macros/dbt_invocations.sql) record every build, run,
test, seed and snapshot in ``meta.dbt_invocations`` inside the DuckDB file, and what a build
left (its tables, and its views in the served schemas) in ``meta.dbt_invocation_relations``.
Because the record travels with the file, a killed build, a later partial build or a failed
build in *another* warehouse cannot be mistaken for each other, as they could when publish
trusted the project's
target/run_results.json and the file's modification time.

The rule (:func:`publishable_build`): the latest invocation that can write to the warehouse
(every recorded command but ``test``) must be a ``dbt build`` that

- selected every model, seed, snapshot and data test of the project (no --select, --exclude,
  --selector, --resource-type, --empty or --sample; leaving out the unit tests with
  ``--exclude-resource-type unit_test``, as `bankmart build` does, is whole: a unit test runs a
  model's SQL on fixed rows and writes nothing the marts serve),
- finished, with every node succeeded, passed or warned;

and no ``dbt test`` after it may have failed or be unfinished (a test writes nothing, but a
failing one has found something wrong in what would be served). Then the tables must still be
what that build left (:func:`check_relations_unchanged`), and the marts must agree with each
other on the counts dbt_project.yml lists (:func:`check_mart_counts`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import yaml

from bankmart.duckdb_files import quote_identifier
from bankmart.errors import BankmartError

INVOCATIONS = "meta.dbt_invocations"
RELATIONS = "meta.dbt_invocation_relations"

#: Commands that never change the warehouse's tables. Everything else recorded can write.
READ_ONLY_COMMANDS = frozenset({"test"})

#: Resource-type filters that leave a build whole: unit tests check model logic on fixed rows
#: (`make test` runs them) and build nothing that is served.
WHOLE_BUILD_FILTERS = frozenset({"--exclude-resource-type unit_test"})

#: the schemas in macros/dbt_invocations.sql).
FINGERPRINTED_SCHEMAS = ("marts", "reference")

_REBUILD = (
    "Run `bankmart build` (a complete `dbt build`) and publish after it succeeds. Nothing was "
    "published; the previous serving copy is unchanged."
)


@dataclass(frozen=True)
class Invocation:
    """One row of meta.dbt_invocations."""

    invocation_seq: int
    invocation_id: str
    command: str
    invocation_command: str | None
    selected: str | None
    excluded: str | None
    selector: str | None
    resource_types: str | None
    is_full_refresh: bool
    is_empty: bool
    is_sample: bool
    vars: str | None
    selected_nodes: int
    project_nodes: int
    dbt_version: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    result_counts: str | None
    failed_nodes: str | None
    message: str | None

    @property
    def writes(self) -> bool:
        return self.command not in READ_ONLY_COMMANDS

    def partial_because(self) -> list[str]:
        """Why this run did not build the whole project (empty when it did)."""
        reasons = []
        if self.selected:
            reasons.append(f"--select {self.selected}")
        if self.excluded:
            reasons.append(f"--exclude {self.excluded}")
        if self.selector:
            reasons.append(f"--selector {self.selector}")
        filters = _resource_type_filters(self.resource_types)
        if filters - WHOLE_BUILD_FILTERS:
            reasons.append(self.resource_types)
        if self.is_empty:
            reasons.append("--empty (no rows)")
        if self.is_sample:
            reasons.append("--sample (a sample of rows)")
        if self.selected_nodes < self.project_nodes:
            reasons.append(
                f"{self.selected_nodes:,} of the project's {self.project_nodes:,} models, "
                "seeds, snapshots and tests selected"
            )
        return reasons

    def describe(self) -> str:
        command = self.invocation_command or f"dbt {self.command}"
        return (
            f"`{command}` (invocation {self.invocation_id}, started "
            f"{self.started_at:%Y-%m-%d %H:%M:%S} UTC)"
        )

    def failures(self) -> str:
        """What went wrong, for a message: the failed nodes or the run's own message."""
        parts = []
        if self.failed_nodes:
            nodes = self.failed_nodes.splitlines()
            counts = json.loads(self.result_counts or "{}")
            bad = sum(n for status, n in counts.items()
                      if status not in ("success", "pass", "warn", "no-op"))
            more = f" and {bad - len(nodes)} more" if bad > len(nodes) else ""
            parts.append(", ".join(nodes[:5]) + more)
        if self.message:
            parts.append(self.message.strip().rstrip("."))
        return "; ".join(parts) or "no node result was recorded"


def _resource_type_filters(recorded: str | None) -> frozenset[str]:
    """'--resource-type model --exclude-resource-type unit_test' -> one entry per filter."""
    parts = (recorded or "").split()
    return frozenset(f"{flag} {value}" for flag, value in zip(parts[::2], parts[1::2], strict=False))


def read_invocations(con: duckdb.DuckDBPyConnection, catalog: str, path: Path) -> list[Invocation]:
    """Every recorded invocation, oldest first; BankmartError when there is no usable record."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? "
        "and schema_name = 'meta' and table_name = 'dbt_invocations'",
        [catalog],
    ).fetchone()[0]
    if not exists:
        raise BankmartError(
            f"{path} holds no record of the dbt runs that wrote it ({INVOCATIONS} is missing): "
            "it was built by an older bankmart, or not by this project, so nobody can tell "
            "whether it is whole. " + _REBUILD
        )
    try:
        cursor = con.execute(
            f"select * from {quote_identifier(catalog)}.{INVOCATIONS} order by invocation_seq"
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return [Invocation(**{f: row[f] for f in Invocation.__dataclass_fields__}) for row in rows]
    except (duckdb.Error, KeyError) as exc:
        raise BankmartError(
            f"cannot read {INVOCATIONS} in {path} ({exc}): it was written by another version "
            "of bankmart. " + _REBUILD
        ) from None


def publishable_build(invocations: list[Invocation], path: Path) -> Invocation:
    """The build to publish, or BankmartError saying why there is none."""
    writers = [i for i in invocations if i.writes]
    if not writers:
        raise BankmartError(
            f"no dbt build of {path} is recorded (only {len(invocations)} test run(s)). "
            + _REBUILD
        )
    build = writers[-1]
    if build.status == "running":
        raise BankmartError(
            f"the last dbt run that wrote to {path}, {build.describe()}, never finished: it "
            "stopped part-way (killed, interrupted, out of memory, or dbt gave up early), so "
            "the warehouse may be half-built (some tables new, others old). " + _REBUILD
        )
    if build.status != "success":
        raise BankmartError(
            f"the last dbt run on {path}, {build.describe()}, failed: {build.failures()}. "
            "Fix what it names, then run `bankmart build` again and publish after it "
            "succeeds. Nothing was published; the previous serving copy is unchanged."
        )
    if build.command != "build":
        raise BankmartError(
            f"the last dbt run that wrote to {path} was {build.describe()}, not a complete "
            "`dbt build`: only a build runs every model with all its tests. " + _REBUILD
        )
    partial = build.partial_because()
    if partial:
        raise BankmartError(
            f"the last dbt build of {path}, {build.describe()}, was partial ("
            + "; ".join(partial)
            + "): the tables it did not select may not match the ones it rebuilt. Run "
            "`bankmart build` without --select/--exclude/--selector and publish after it "
            "succeeds. Nothing was published; the previous serving copy is unchanged."
        )
    for later in invocations:
        if later.invocation_seq <= build.invocation_seq:
            continue
        if later.status == "running":
            raise BankmartError(
                f"{later.describe()} ran on {path} after the build and never finished (it "
                "stopped part-way). " + _REBUILD
            )
        if later.status != "success":
            raise BankmartError(
                f"{later.describe()} ran on {path} after the build and failed: "
                f"{later.failures()}. The data about to be served does not pass its tests. "
                + _REBUILD
            )
    return build


# --------------------------------------------------------------------------------------------
# What the build left
# --------------------------------------------------------------------------------------------


def current_relations(
    con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]
) -> dict[tuple[str, str], tuple[str, int | None, str]]:
    """(schema, name) -> (type, row count, structure md5) of every table outside the meta schema
    and every view in the served schemas (a view's rows are not counted: the tables under it
    are): the same figures, by the same SQL, as record_invocation_relations() stores."""
    db = quote_identifier(catalog)
    shapes = con.execute(
        """
        select schema_name, table_name, 'table',
               md5(string_agg(column_name || ' ' || data_type, ', ' order by column_index))
        from duckdb_tables()
        join duckdb_columns() using (database_name, schema_name, table_name)
        where database_name = $catalog and schema_name <> 'meta'
            and schema_name not like '%dbt_test__audit'
            and not regexp_matches(table_name, '__dbt_(tmp|backup)$')
        group by all
        union all
        select schema_name, view_name, 'view', md5(sql)
        from duckdb_views()
        where database_name = $catalog and schema_name in (select unnest($schemas))
            and not regexp_matches(view_name, '__dbt_(tmp|backup)$')
        """,
        {"catalog": catalog, "schemas": list(schemas)},
    ).fetchall()
    relations: dict[tuple[str, str], tuple[str, int | None, str]] = {}
    for schema, name, kind, structure in shapes:
        rows = None
        if kind == "table":
            rows = con.execute(
                f"select count(*) from {db}.{quote_identifier(schema)}.{quote_identifier(name)}"
            ).fetchone()[0]
        relations[(schema, name)] = (kind, rows, structure)
    return relations


def check_relations_unchanged(
    con: duckdb.DuckDBPyConnection, catalog: str, build: Invocation, path: Path,
    schemas: tuple[str, ...],
) -> None:
    """Refuse a warehouse whose served tables differ from what `build` recorded at its end."""
    recorded = {
        (schema, name): (kind, rows, structure)
        for schema, name, kind, rows, structure in con.execute(
            f"select schema_name, relation_name, relation_type, row_count, structure_md5 "
            f"from {quote_identifier(catalog)}.{RELATIONS} where invocation_id = ?",
            [build.invocation_id],
        ).fetchall()
    }
    current = current_relations(con, catalog, schemas)
    changes = []
    for key in sorted(set(recorded) | set(current)):
        name = ".".join(key)
        if key not in current:
            changes.append(f"{name} is gone")
        elif key not in recorded:
            changes.append(f"{name} was added")
        else:
            (kind, rows, structure), (_, now_rows, now_structure) = recorded[key], current[key]
            if rows != now_rows:
                changes.append(f"{name} holds {now_rows:,} rows where the build left {rows:,}")
            elif structure != now_structure:
                changes.append(f"{name} has other columns than the build left" if kind == "table"
                               else f"the view {name} has another definition")
    if changes:
        shown = "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
        raise BankmartError(
            f"{path} was changed after {build.describe()} finished: {shown}. Something other "
            "than that build wrote to the warehouse. " + _REBUILD
        )


# --------------------------------------------------------------------------------------------
# Counts the marts must agree on
# --------------------------------------------------------------------------------------------


def project_vars(project_dir: Path) -> dict:
    """The vars of dbt_project.yml, which the models, tests and hooks read too."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def served_schemas(project_dir: Path) -> tuple[str, ...]:
    """var served_schemas: the schemas publish copies and the build fingerprints."""
    return tuple(project_vars(project_dir)["served_schemas"])


def mart_count_invariants(project_dir: Path) -> dict[str, dict[str, str]]:
    """var mart_count_invariants of dbt_project.yml: {what: {model: count expression}}. The
    singular test tests/assert_mart_counts_agree.sql reads the same var."""
    return dict(project_vars(project_dir).get("mart_count_invariants") or {})


def check_mart_counts(
    con: duckdb.DuckDBPyConnection, catalog: str, project_dir: Path, path: Path
) -> None:
    """Refuse marts that disagree on how many transactions or customers there are."""
    present = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? "
            "and schema_name = 'marts'",
            [catalog],
        ).fetchall()
    }
    problems = []
    for what, counts in mart_count_invariants(project_dir).items():
        values = {
            f"marts.{model} {expression}": con.execute(
                f"select coalesce({expression}, 0) from {quote_identifier(catalog)}.marts.{quote_identifier(model)}"
            ).fetchone()[0]
            for model, expression in counts.items()
            if model in present
        }
        if len(set(values.values())) > 1:
            problems.append(
                f"{what}: " + ", ".join(f"{k} = {_number(v)}" for k, v in values.items())
            )
    if problems:
        raise BankmartError(
            f"the marts in {path} disagree: " + "; ".join(problems) + ". A complete build "
            "fails its test assert_mart_counts_agree on this; " + _REBUILD
        )


def _number(value: object) -> str:
    return "NULL" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
