"""Month-end balances for every open account.

Balances are not a free random walk: deposit accounts carry a customer-specific cushion that
drifts slowly plus the month's income minus what was spent from them, cards owe the month's
spend (plus some revolved balance), loan accounts owe what is left after repayments, and term
deposits grow by their interest. So a heavy-spending month shows up as a lower balance, as an
analyst would expect.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bankmart.generate import encode
from bankmart.generate import reference as ref
from bankmart.generate.accounts import (
    T_CARD,
    T_CURRENT,
    T_DEPOSIT,
    T_FX,
    T_LOAN,
    T_SAVINGS,
    Accounts,
)
from bankmart.generate.loans import Loans
from bankmart.generate.personas import Customers
from bankmart.generate.sampling import beta_around
from bankmart.generate.timeline import Timeline
from bankmart.generate.transactions import MONTH_COLUMN, Transactions
from bankmart.raw_schema import arrow_schema


def draw_balances(
    rng: np.random.Generator,
    c: Customers,
    a: Accounts,
    t: Transactions,
    loans: Loans,
    timeline: Timeline,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account index, month index, balance) for every account-month the account is open."""
    n_acc, months = len(a), timeline.months
    month_end = timeline.month_start_days[1:] - 1
    spend = np.bincount(
        t.account * months + t.month, weights=t.amount, minlength=n_acc * months
    ).reshape(n_acc, months)
    income = c.income[a.customer][:, None]
    drift = np.exp(np.cumsum(rng.normal(0, 0.08, (n_acc, months)), axis=1))
    cushion = (c.income[a.customer] * rng.lognormal(0.0, 0.9, n_acc))[:, None]
    kind = a.kind[:, None]

    deposit_like = (kind == T_SAVINGS) | (kind == T_CURRENT)
    primary = np.zeros(n_acc, dtype=bool)
    primary[a.primary] = True
    flows = np.where(primary[:, None], 0.8 * income - spend, -spend)
    balance = np.where(deposit_like, cushion * drift + flows, 0.0)
    overdraft = np.nan_to_num(a.credit_limit, nan=0.0)[:, None]
    floor = np.where(kind == T_CURRENT, -overdraft, 0.0)
    balance = np.where(deposit_like & (balance < floor), floor + rng.uniform(0, 1500, (n_acc, 1)),
                       balance)

    revolve = beta_around(rng, np.where(np.isin(c.persona[a.customer],
                                                [ref.P_MICROLOAN, ref.P_VOLATILE]), 0.3, 0.1), 6.0)
    previous = np.concatenate([np.zeros((n_acc, 1)), spend[:, :-1]], axis=1)
    owed = spend * rng.uniform(0.9, 1.0, (n_acc, 1)) + revolve[:, None] * previous
    limit = np.nan_to_num(a.credit_limit, nan=np.inf)[:, None]
    balance = np.where(kind == T_CARD, -np.minimum(owed, limit * 1.05), balance)

    grown_months = np.maximum((month_end[None, :] - a.opened_day[:, None]) / 30.44, 0)
    balance = np.where(kind == T_DEPOSIT, a.amount_hint[:, None] * 1.0055**grown_months, balance)

    fx_base = (c.income[a.customer] * rng.lognormal(np.log(1.5), 0.7, n_acc))[:, None]
    balance = np.where(kind == T_FX, np.maximum(fx_base * drift - 0.5 * spend, 0.0), balance)

    repaid = np.zeros((n_acc, months))
    loan_acc = a.loan_account[loans.repaid_loan]
    booked = loan_acc >= 0
    month_paid = timeline.month_of_day(loans.repaid_day[booked])
    np.add.at(repaid, (loan_acc[booked], month_paid), loans.repaid_amount[booked])
    outstanding = a.amount_hint[:, None] - np.cumsum(repaid, axis=1)
    balance = np.where(kind == T_LOAN, -np.maximum(outstanding, 0.0), balance)

    is_open = (a.opened_day[:, None] <= month_end[None, :]) & (
        (a.closed_day[:, None] < 0) | (a.closed_day[:, None] > month_end[None, :])
    )
    acc_idx, month_idx = np.nonzero(is_open)
    return acc_idx, month_idx, encode.money(balance[acc_idx, month_idx])


def balances_table(
    a: Accounts, acc_idx: np.ndarray, month_idx: np.ndarray, balance: np.ndarray, timeline: Timeline
) -> pa.Table:
    columns = {
        "account_id": encode.ids("A", a.number[acc_idx], 8),
        "balance_month": encode.labels(timeline.labels, month_idx),
        "balance": pa.array(balance + 0.0),  # + 0.0 turns -0.0 into 0.0
    }
    table = pa.table(columns, schema=arrow_schema("account_balances", only=columns))
    # the month drives the balance_period partition; the writer drops it
    return table.append_column(MONTH_COLUMN, pa.array(month_idx.astype(np.int16)))
