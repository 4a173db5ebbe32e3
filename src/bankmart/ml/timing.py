"""How long each ML step takes on synthetic customers: ``python -m bankmart.ml.timing 10000 100000``.

The dbt Python models run inside every build, so they must stay cheap; this prints wall-clock
and CPU seconds per step with the default config, so a change that makes them slow shows up.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from bankmart.ml.risk import score_customers, train_risk_classifiers
from bankmart.ml.segments import fit_segments
from bankmart.ml.synthetic import synthetic_customer_features
from bankmart.ml.tiers import assign_quantile_tiers, thresholds_to_dax, tier_thresholds


def _timed(step: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def time_steps(n_customers: int, seed: int = 0) -> dict[str, tuple[float, float]]:
    """(wall, cpu) seconds per step on ``n_customers`` synthetic customers."""
    features, _ = synthetic_customer_features(n_customers, seed=seed)
    spend = features[["customer_id", "total_spend"]]

    def tiers() -> None:
        thresholds_to_dax(tier_thresholds(assign_quantile_tiers(spend, "total_spend")))

    return {
        "tiers (assign + thresholds + DAX)": _timed(tiers),
        "segments (choose k + fit + names)": _timed(lambda: fit_segments(features)),
        "risk scorecard": _timed(lambda: score_customers(features)),
        "risk classifiers (LR + RF)": _timed(lambda: train_risk_classifiers(features)),
    }


def main(argv: list[str] | None = None) -> int:
    sizes = [int(a.replace("_", "")) for a in (argv if argv is not None else sys.argv[1:])] or [10_000, 100_000]
    for n in sizes:
        print(f"{n:,} customers")
        for step, (wall, cpu) in time_steps(n).items():
            print(f"  {step:<36} {wall:6.2f} s wall  {cpu:6.2f} s cpu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
