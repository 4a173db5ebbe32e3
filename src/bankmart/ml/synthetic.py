"""Synthetic ``customer_features`` rows with a known answer, for tests.

This mimics the generator's personas and planted risk patterns at the feature level (no raw
transactions), so the ML functions can be tested at thousands of customers in milliseconds.
The personas overlap on purpose: a segmentation that recovers them perfectly would be
suspicious.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bankmart.generate import personas, reference

# The generator's personas, planted risk patterns, channels and per-persona channel mix.
PERSONAS = tuple(reference.PERSONAS)
RISK_PATTERNS = tuple(personas.RISK_PATTERNS)
CHANNELS = tuple(reference.CHANNELS)
PURCHASES = ("groceries", "bills", "health_wellness", "fuel", "food", "entertainment", "apparel",
             "electronics", "travel")
# channel mix (CHANNELS order) and purchase mix (PURCHASES order) per persona (PERSONAS order)
CHANNEL_MIX = reference.PERSONA_CHANNEL_MIX
PURCHASE_MIX = np.array(
    [
        [0.13, 0.11, 0.05, 0.04, 0.22, 0.14, 0.13, 0.10, 0.07],
        [0.33, 0.22, 0.11, 0.09, 0.09, 0.04, 0.07, 0.03, 0.03],
        [0.31, 0.13, 0.10, 0.10, 0.16, 0.06, 0.09, 0.03, 0.02],
        [0.13, 0.09, 0.07, 0.07, 0.17, 0.13, 0.14, 0.13, 0.08],
        [0.11, 0.09, 0.05, 0.05, 0.17, 0.12, 0.12, 0.09, 0.20],
        [0.28, 0.16, 0.11, 0.09, 0.15, 0.07, 0.08, 0.04, 0.02],
    ]
)


def synthetic_customer_features(
    n_customers: int,
    seed: int = 0,
    risk_rate: float = 0.08,
    separation: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features, ground_truth) for ``n_customers`` customers.

    features has the customer_features columns the ML models read plus a ``label`` (a later
    outcome correlated with planted risk); ground_truth has customer_id, persona,
    is_planted_risk, risk_pattern. ``separation`` scales how far personas sit apart (0: not at
    all).
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    ids = np.array([f"C{i:07d}" for i in range(n)], dtype=object)
    persona_idx = rng.integers(0, len(PERSONAS), n)
    persona = np.array(PERSONAS, dtype=object)[persona_idx]

    def by_persona(default: float, **values: float) -> np.ndarray:
        table = np.array([values.get(p, default) for p in PERSONAS])
        return table[persona_idx]

    def mix(table: np.ndarray, concentration: float) -> np.ndarray:
        mean = separation * table[persona_idx] + (1 - separation) * table.mean(axis=0)
        draws = rng.gamma(mean * concentration) + 1e-12
        return draws / draws.sum(axis=1, keepdims=True)

    s = separation
    income = rng.lognormal(np.log(60_000), 0.5, n)
    avg_monthly = income * np.clip(
        rng.normal(by_persona(0.45, cross_border_lifestyle=0.45 + 0.25 * s, stable_essentials=0.4), 0.12),
        0.02, None,
    )
    frequency = np.clip(rng.gamma(4.0, by_persona(4.0, digital_spender=4.0 + 2 * s, cash_heavy=3.3) / 4.0), 0.2, None)
    channels = mix(CHANNEL_MIX, 9.0)
    purchases = mix(PURCHASE_MIX, 12.0)
    cross = rng.beta(by_persona(0.3, cross_border_lifestyle=0.3 + 3 * s), 12.0)
    night = rng.beta(by_persona(1.0, digital_spender=1.0 + s), 12.0)
    count_volatility = rng.gamma(4.0, by_persona(0.15, high_volatility=0.15 + 0.12 * s, stable_essentials=0.1))
    loans_per_year = rng.poisson(by_persona(0.1, microloan_borrower=0.1 + 2.3 * s)).astype(float)
    months = rng.integers(6, 25, n).astype(float)
    loan_count = np.round(loans_per_year * months / 12)
    late = np.where(loan_count > 0, rng.beta(by_persona(1.0, microloan_borrower=1.0 + 1.5 * s), 8.0), 0.0)
    txn_count = np.round(frequency * months)
    fraud = np.zeros(n)
    spike = rng.lognormal(0.0, 0.3, n)
    cash_surge = rng.normal(0.0, 0.15, n)
    burst = rng.normal(0.0, 0.3, n) * (cross * 10)

    is_risk = rng.random(n) < risk_rate
    pattern = np.full(n, None, dtype=object)
    pattern[is_risk] = np.array(RISK_PATTERNS, dtype=object)[
        rng.integers(0, len(RISK_PATTERNS), int(is_risk.sum()))
    ]

    def planted(name: str) -> np.ndarray:
        return pattern == name

    fraud[planted("fraud_victim")] = rng.integers(3, 15, int(planted("fraud_victim").sum()))
    sporadic = ~is_risk & (rng.random(n) < 0.02)
    fraud[sporadic] = rng.integers(1, 3, int(sporadic.sum()))
    spike[planted("spend_spike")] *= rng.uniform(2.5, 5.0, int(planted("spend_spike").sum()))
    cash_surge[planted("cash_out")] += rng.uniform(1.0, 4.0, int(planted("cash_out").sum()))
    m = planted("late_repayer")
    loan_count[m] = np.maximum(loan_count[m], 2)
    late[m] = rng.uniform(0.4, 0.9, int(m.sum()))
    burst[planted("cross_border_burst")] += rng.uniform(3.0, 10.0, int(planted("cross_border_burst").sum()))

    label_p = np.where(is_risk, 0.6, 0.04)
    label = (rng.random(n) < label_p).astype(int)

    features = pd.DataFrame(
        {
            "customer_id": ids,
            "total_spend": avg_monthly * months,
            "txn_count": txn_count,
            "months_observed": months,
            "frequency": frequency,
            "monetary_avg": avg_monthly / frequency,
            "avg_monthly_spend": avg_monthly,
            "spend_volatility": count_volatility * 1.2,
            "txn_count_volatility": count_volatility,
            **{f"{c}_txn_share": channels[:, i] for i, c in enumerate(CHANNELS)},
            "cross_border_txn_share": cross,
            "night_txn_share": night,
            **{f"{c}_purchase_share": purchases[:, i] for i, c in enumerate(PURCHASES)},
            "income_utilisation": avg_monthly / income,
            "monthly_income": income,
            "loan_count": loan_count,
            "loans_per_year": loan_count * 12 / months,
            "avg_repayment_days": np.where(loan_count > 0, rng.normal(30, 8, n), np.nan),
            "late_repayment_share": late,
            "age": rng.integers(18, 80, n).astype(float),
            "tenure_months": rng.integers(1, 200, n).astype(float),
            "fraud_txn_count": fraud,
            "spend_spike_ratio": spike,
            "txn_count_spike_ratio": spike ** 0.6,
            "cash_withdrawal_surge": cash_surge,
            "cross_border_txn_surge": burst,
            "label": label,
        }
    )
    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "persona": persona,
            "is_planted_risk": is_risk.astype(int),
            "risk_pattern": pattern,
        }
    )
    return features, truth
