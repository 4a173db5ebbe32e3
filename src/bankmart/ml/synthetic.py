"""Synthetic ``customer_features`` rows with a known answer, for tests and timing.

This mimics the generator's personas and planted risk patterns at the feature level (no raw
transactions), so the ML functions can be tested and timed at 100k+ customers in seconds. The
personas overlap on purpose: a segmentation that recovers them perfectly would be suspicious.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PERSONAS = (
    "digital_spender",
    "stable_essentials",
    "cash_heavy",
    "high_volatility",
    "cross_border_lifestyle",
    "microloan_borrower",
)
RISK_PATTERNS = ("fraud_victim", "spend_spike", "cash_out", "late_repayer", "cross_border_burst")


def synthetic_customer_features(
    n_customers: int,
    seed: int = 0,
    risk_rate: float = 0.08,
    separation: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features, ground_truth) for ``n_customers`` customers.

    features has the customer_features contract's numeric columns plus a ``label`` (a later
    outcome correlated with planted risk); ground_truth has customer_id, persona,
    is_planted_risk, risk_pattern. ``separation`` scales how far personas sit apart.
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    ids = np.array([f"C{i:07d}" for i in range(n)], dtype=object)
    persona_idx = rng.integers(0, len(PERSONAS), n)
    persona = np.array(PERSONAS, dtype=object)[persona_idx]

    def by_persona(default: float, **values: float) -> np.ndarray:
        table = np.array([values.get(p, default) for p in PERSONAS])
        return table[persona_idx]

    s = separation
    income = rng.lognormal(np.log(60_000), 0.5, n)
    avg_monthly = income * np.clip(
        rng.normal(by_persona(0.45, cross_border_lifestyle=0.45 + 0.25 * s, stable_essentials=0.4), 0.12),
        0.02, None,
    )
    frequency = rng.gamma(4.0, by_persona(8.0, digital_spender=8.0 + 4 * s, cash_heavy=5.0) / 4.0)
    frequency = np.clip(frequency, 0.2, None)
    online = rng.beta(by_persona(2.0, digital_spender=2.0 + 6 * s), 4.0)
    atm = rng.beta(by_persona(1.2, cash_heavy=1.2 + 5 * s), 6.0)
    cross = rng.beta(by_persona(0.4, cross_border_lifestyle=0.4 + 4 * s), 12.0)
    essential = rng.beta(by_persona(4.0, stable_essentials=4.0 + 6 * s), 4.0)
    volatility = rng.gamma(3.0, by_persona(0.12, high_volatility=0.12 + 0.3 * s, stable_essentials=0.06) / 1.0)
    night = rng.beta(1.0, 12.0, n)
    loan_count = rng.poisson(by_persona(0.3, microloan_borrower=0.3 + 3.5 * s))
    late = np.where(
        loan_count > 0,
        rng.beta(by_persona(1.0, microloan_borrower=1.0 + 1.5 * s), 8.0),
        np.nan,
    )
    months = rng.integers(6, 25, n).astype(float)
    txn_count = np.round(frequency * months)
    total = avg_monthly * months
    fraud = np.zeros(n)
    recent_ratio = rng.lognormal(0.0, 0.2, n)

    is_risk = rng.random(n) < risk_rate
    pattern = np.full(n, None, dtype=object)
    pattern[is_risk] = np.array(RISK_PATTERNS, dtype=object)[
        rng.integers(0, len(RISK_PATTERNS), int(is_risk.sum()))
    ]
    fraud[pattern == "fraud_victim"] = rng.integers(1, 6, int((pattern == "fraud_victim").sum()))
    recent_ratio[pattern == "spend_spike"] *= rng.uniform(2.5, 5.0, int((pattern == "spend_spike").sum()))
    atm[pattern == "cash_out"] = rng.uniform(0.55, 0.9, int((pattern == "cash_out").sum()))
    m = pattern == "late_repayer"
    loan_count[m] = np.maximum(loan_count[m], 1)
    late[m] = rng.uniform(0.4, 0.9, int(m.sum()))
    cross[pattern == "cross_border_burst"] = rng.uniform(0.3, 0.7, int((pattern == "cross_border_burst").sum()))

    label_p = np.where(is_risk, 0.6, 0.04)
    label = (rng.random(n) < label_p).astype(int)

    features = pd.DataFrame(
        {
            "customer_id": ids,
            "total_spend": total,
            "txn_count": txn_count,
            "months_active": months,
            "recency_days": rng.integers(0, 60, n).astype(float),
            "frequency": frequency,
            "monetary_avg": avg_monthly / frequency,
            "avg_monthly_spend": avg_monthly,
            "max_monthly_spend": avg_monthly * (1 + volatility * 2),
            "spend_volatility": volatility,
            "atm_share": atm,
            "online_share": online * (1 - atm),
            "cross_border_share": cross,
            "night_share": night,
            "discretionary_share": 1 - essential,
            "essential_share": essential,
            "income_utilisation": avg_monthly / income,
            "monthly_income": income,
            "loan_count": loan_count.astype(float),
            "loan_avg_amount": np.where(loan_count > 0, rng.lognormal(np.log(20_000), 0.5, n), 0.0),
            "loan_total_amount": 0.0,
            "avg_repayment_days": np.where(loan_count > 0, rng.normal(30, 8, n), np.nan),
            "late_repayment_share": late,
            "age": rng.integers(18, 80, n).astype(float),
            "tenure_months": rng.integers(1, 200, n).astype(float),
            "product_count": rng.integers(1, 6, n).astype(float),
            "fraud_txn_count": fraud,
            "recent_spend_ratio": recent_ratio,
            "label": label,
        }
    )
    features["loan_total_amount"] = features["loan_avg_amount"] * features["loan_count"]
    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "persona": persona,
            "is_planted_risk": is_risk.astype(int),
            "risk_pattern": pattern,
        }
    )
    return features, truth
