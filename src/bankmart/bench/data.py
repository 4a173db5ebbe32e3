"""Generated benchmark banks, cached on disk: generating 100M transactions costs more than building.

Each size lives in ``<data_dir>/<label>/`` as written by ``bankmart generate --out``; the raw
``_manifest.json`` the generator writes records its parameters, and a folder is reused only when
those match what this benchmark would ask for. Benchmark banks have no planted dirty rows
(``--dirty-rate 0``) so that bankmart, which quarantines dirty rows, and the pandas reference see
the same clean rows without re-implementing every quarantine rule in pandas.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bankmart.bench.monitor import Measurement, log_tail, run_measured
from bankmart.bench.sizes import format_size
from bankmart.errors import BankmartError
from bankmart.raw_schema import PARTITIONED_TABLES

MONTHS = 24
SEED = 42
DIRTY_RATE = 0.0
# Used only when the generator has no --transactions option: the demo bank averages about
# a hundred transactions per customer over 24 months (10M transactions ~ 100k customers).
TXNS_PER_CUSTOMER = 100


@dataclass
class BenchData:
    """A generated bank ready to benchmark on."""

    size: int
    root: Path
    raw_dir: Path
    manifest: dict[str, Any]
    generated: bool
    generation: Measurement | None

    @property
    def row_counts(self) -> dict[str, int]:
        counts = self.manifest.get("row_counts") or self.manifest.get("rows") or {}
        return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}


def bankmart_executable() -> str:
    candidate = Path(sys.executable).with_name("bankmart")
    return str(candidate) if candidate.exists() else "bankmart"


def generator_options(env: dict[str, str]) -> str:
    """`bankmart generate --help`, to see which options this generator version has."""
    proc = subprocess.run(
        [bankmart_executable(), "generate", "--help"], env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise BankmartError(
            "bench: `bankmart generate --help` failed, so no benchmark data can be generated:\n"
            + (proc.stderr or proc.stdout)[-2000:]
        )
    return proc.stdout


def generate_arguments(size: int, help_text: str) -> list[str]:
    """The generator arguments for a bank of ``size`` transactions."""
    if "--transactions" in help_text:
        args = ["--transactions", str(size)]
    else:
        args = ["--customers", str(max(1, size // TXNS_PER_CUSTOMER))]
    args += ["--months", str(MONTHS), "--seed", str(SEED)]
    if "--dirty-rate" in help_text:
        args += ["--dirty-rate", str(DIRTY_RATE)]
    return args


def _read_manifest(raw_dir: Path) -> dict[str, Any] | None:
    path = raw_dir / "_manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


STAMP = "_bench_params.json"


def manifest_matches(manifest: dict[str, Any], args: list[str], stamp: list[str] | None = None) -> bool:
    """True when this folder was generated with exactly ``args``.

    The generator records its resolved parameters under ``parameters`` (``--transactions``
    becomes a customer count there), so the arguments the benchmark passed are kept in a stamp
    file beside raw/; every option the manifest does record must also agree with it. A folder
    written by a generator that partitioned other tables by month (before balances were) is
    not reused: the incremental measurement adds one month of every partitioned table.
    """
    if stamp is not None and stamp != args:
        return False
    if manifest.get("partitioning") != PARTITIONED_TABLES:
        return False
    params = manifest.get("parameters")
    if not isinstance(params, dict):
        return False
    for option, value in zip(args[::2], args[1::2], strict=True):
        key = option.lstrip("-").replace("-", "_")
        if key not in params:
            if stamp is None:
                return False
            continue
        recorded = params[key]
        try:
            if float(recorded) != float(value):
                return False
        except (TypeError, ValueError):
            if str(recorded) != value:
                return False
    return True


def _read_stamp(root: Path) -> list[str] | None:
    try:
        value = json.loads((root / STAMP).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def ensure_data(
    size: int, data_dir: Path, env: dict[str, str], log_dir: Path, progress: Any = print
) -> BenchData:
    """Reuse ``data_dir/<label>`` when its manifest matches, else generate it (timed)."""
    label = format_size(size)
    root = data_dir / label
    raw_dir = root / "raw"
    args = generate_arguments(size, generator_options(env))
    manifest = _read_manifest(raw_dir)
    stamp = _read_stamp(root)
    if manifest is not None and stamp is not None and manifest_matches(manifest, args, stamp):
        progress(f"[{label}] reusing generated data in {root}")
        return BenchData(size, root, raw_dir, manifest, generated=False, generation=None)
    if root.exists():
        progress(f"[{label}] {root} holds other parameters: regenerating")
        _remove_tree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    progress(f"[{label}] generating: bankmart generate {' '.join(args)} --out {root}")
    measurement = run_measured(
        [bankmart_executable(), "generate", *args, "--out", str(root)],
        env=env,
        log_path=log_dir / f"generate_{label}.log",
    )
    if not measurement.ok:
        raise BankmartError(
            f"bench: generating {label} transactions failed ({measurement.status}, "
            f"{measurement.detail}); log {measurement.log_path}:\n{log_tail(measurement.log_path)}"
        )
    manifest = _read_manifest(raw_dir)
    (root / STAMP).write_text(json.dumps(args))
    if manifest is None:
        raise BankmartError(
            f"bench: the generator finished but wrote no {raw_dir / '_manifest.json'}; "
            "check `bankmart generate --out` writes raw/_manifest.json"
        )
    progress(
        f"[{label}] generated in {measurement.wall_seconds:.1f} s "
        f"(peak {measurement.peak_rss_bytes / 1024**3:.1f} GB)"
    )
    return BenchData(size, root, raw_dir, manifest, generated=True, generation=measurement)


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path)
