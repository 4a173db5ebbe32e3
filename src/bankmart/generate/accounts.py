"""Accounts: what each customer holds, and which account each kind of payment is drawn on.

Every customer has a current or savings account (their primary account, where debit-card,
UPI and net-banking payments land). Card holding follows persona and income, deposits favour
stable and older customers, foreign-currency accounts go mostly to the cross-border persona,
and every booked microloan gets a loan account. Limits scale with income.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bankmart.generate import encode
from bankmart.generate import reference as ref
from bankmart.generate.loans import Loans
from bankmart.generate.personas import Customers
from bankmart.generate.timeline import Timeline
from bankmart.raw_schema import arrow_schema

T_CURRENT, T_SAVINGS, T_CARD, T_LOAN, T_DEPOSIT, T_FX = range(6)
STATUSES = ["open", "closed", "frozen"]
CURRENCIES = [ref.HOME_CURRENCY, *ref.FX_ACCOUNT_CURRENCIES]


@dataclass
class Accounts:
    number: np.ndarray  # global account number: A00000001
    customer: np.ndarray  # chunk-local customer index
    kind: np.ndarray  # index into ACCOUNT_TYPES
    opened_day: np.ndarray
    closed_day: np.ndarray  # -1 when open
    currency: np.ndarray  # index into CURRENCIES
    credit_limit: np.ndarray  # NaN when none
    status: np.ndarray  # index into STATUSES
    amount_hint: np.ndarray  # deposit principal / loan total due, for balances
    # Per-customer lookups (chunk-local account index, -1 when the customer has none).
    primary: np.ndarray
    secondary: np.ndarray
    card: np.ndarray
    card2: np.ndarray
    fx: np.ndarray
    loan_account: np.ndarray  # per loan

    def __len__(self) -> int:
        return len(self.number)


def open_accounts(
    rng: np.random.Generator, c: Customers, loans: Loans, timeline: Timeline, first_number: int
) -> Accounts:
    n = len(c)
    traits = {k: v[c.persona] for k, v in ref.PERSONA_TRAITS.items()}
    income_ratio = c.income / 50000.0
    business = (c.occupation == 3) | (c.relationship == 3)
    primary_kind = np.where(rng.random(n) < np.where(business, 0.7, 0.15), T_CURRENT, T_SAVINGS)
    has_secondary = rng.random(n) < 0.18
    card_p = traits["credit_card"] * income_ratio**0.3 * np.where(c.occupation == 5, 0.4, 1.0)
    has_card = rng.random(n) < np.clip(card_p, 0, 0.97)
    has_card2 = has_card & (rng.random(n) < 0.12)
    deposit_p = traits["deposit"] * np.where(c.occupation == 6, 1.5, 1.0) * income_ratio**0.2
    n_deposits = (rng.random(n) < np.clip(deposit_p, 0, 0.9)) * (1 + (rng.random(n) < 0.25))
    fx_p = np.where(c.persona == ref.P_CROSS_BORDER, 0.6, 0.015) + 0.5 * c.cross_border
    has_fx = rng.random(n) < np.clip(fx_p, 0, 0.95)

    # One row per account as (customer, kind, slot); slot keeps a customer's rows ordered.
    parts = [
        (np.arange(n), primary_kind, 0),
        (np.flatnonzero(has_secondary), T_CURRENT + T_SAVINGS - primary_kind[has_secondary], 1),
        (np.flatnonzero(has_card), T_CARD, 2),
        (np.flatnonzero(has_card2), T_CARD, 3),
        (np.flatnonzero(has_fx), T_FX, 4),
        (np.repeat(np.arange(n), n_deposits), T_DEPOSIT, 5),
    ]
    booked = np.flatnonzero(loans.booked)
    parts.append((loans.customer[booked], T_LOAN, 6))
    customer = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([np.broadcast_to(p[1], len(p[0])) for p in parts]).astype(np.int64)
    slot = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    loan_of_row = np.full(len(customer), -1, dtype=np.int64)
    loan_of_row[len(customer) - len(booked):] = booked
    order = np.lexsort((_per_loan(loans.disbursed_day, loan_of_row, 0), slot, customer))
    customer, kind, slot, loan_of_row = (a[order] for a in (customer, kind, slot, loan_of_row))
    m = len(customer)

    joined = c.joined_day[customer]
    new = joined >= timeline.first_day
    before_window = joined + (rng.random(m) * np.maximum(timeline.first_day - joined, 0)).astype(np.int64)
    opened = np.where((slot == 0) | new, joined, before_window)
    closed = np.full(m, -1, dtype=np.int64)
    status = np.zeros(m, dtype=np.int64)

    deposit = kind == T_DEPOSIT
    anytime = joined + (rng.random(m) * (timeline.last_day - joined)).astype(np.int64)
    opened = np.where(deposit, anytime, opened)
    matures = opened + (365 * rng.uniform(1, 5, m)).astype(np.int64)
    closes = deposit & (matures <= timeline.last_day) & (rng.random(m) < 0.7)
    closed = np.where(closes, matures, closed)
    status = np.where(closes, 1, status)
    status = np.where(deposit & ~closes & (rng.random(m) < 0.005), 2, status)

    is_loan = loan_of_row >= 0
    opened = np.where(is_loan, _per_loan(loans.disbursed_day, loan_of_row, 0), opened)
    loan_closed = _per_loan(loans.closed_day, loan_of_row, -1)
    closed = np.where(is_loan, loan_closed, closed)
    status = np.where(is_loan & (loan_closed >= 0), 1, status)

    income = c.income[customer]
    limit = np.full(m, np.nan)
    card_limit = np.clip(np.round(income * rng.uniform(1.5, 4.0, m) / 5000) * 5000, 20000, 1_500_000)
    limit = np.where(kind == T_CARD, np.where(slot == 3, card_limit * 0.5, card_limit), limit)
    overdraft = (kind == T_CURRENT) & business[customer] & (rng.random(m) < 0.5)
    limit = np.where(overdraft, np.round(income * rng.uniform(0.5, 2.0, m) / 5000) * 5000, limit)

    fx_currency = _fx_currency(c.home_country[customer])
    currency = np.where(kind == T_FX, fx_currency, 0)
    hint = np.zeros(m)
    hint = np.where(deposit, np.round(income * rng.lognormal(np.log(4.0), 0.8, m), -3), hint)
    hint = np.where(is_loan, _per_loan(loans.total_due, loan_of_row, 0.0), hint)

    def lookup(mask: np.ndarray) -> np.ndarray:
        out = np.full(n, -1, dtype=np.int64)
        rows = np.flatnonzero(mask)
        out[customer[rows]] = rows
        return out

    loan_account = np.full(len(loans), -1, dtype=np.int64)
    loan_account[loan_of_row[is_loan]] = np.flatnonzero(is_loan)
    return Accounts(
        number=np.arange(first_number, first_number + m, dtype=np.int64),
        customer=customer,
        kind=kind,
        opened_day=opened,
        closed_day=closed,
        currency=currency,
        credit_limit=limit,
        status=status,
        amount_hint=hint,
        primary=lookup(slot == 0),
        secondary=lookup(slot == 1),
        card=lookup(slot == 2),
        card2=lookup(slot == 3),
        fx=lookup(slot == 4),
        loan_account=loan_account,
    )


def _per_loan(values: np.ndarray, loan_of_row: np.ndarray, default: float) -> np.ndarray:
    """values[loan] for loan-account rows, default elsewhere (safe when a chunk has no loans)."""
    out = np.full(len(loan_of_row), default, dtype=values.dtype)
    is_loan = loan_of_row >= 0
    out[is_loan] = values[loan_of_row[is_loan]]
    return out


def _fx_currency(country: np.ndarray) -> np.ndarray:
    """The FX account's currency: the customer's usual destination's, or USD."""
    by_country = np.array(
        [CURRENCIES.index(cur) if cur in CURRENCIES else CURRENCIES.index("USD")
         for cur in ref.COUNTRY_CURRENCIES]
    )
    return by_country[country]


def accounts_table(a: Accounts, c: Customers) -> pa.Table:
    """The raw `accounts` rows of a chunk, in contract column order."""
    columns = {
        "account_id": encode.ids("A", a.number, 8),
        "customer_id": encode.ids("C", c.number[a.customer], 7),
        "account_type": encode.labels(ref.ACCOUNT_TYPES, a.kind),
        "opened_date": encode.dates(a.opened_day),
        "closed_date": encode.dates(np.maximum(a.closed_day, 0), valid=a.closed_day >= 0),
        "currency": encode.labels(CURRENCIES, a.currency),
        "credit_limit": pa.array(a.credit_limit, mask=np.isnan(a.credit_limit)),
        "status": encode.labels(STATUSES, a.status),
    }
    return pa.table(columns, schema=arrow_schema("accounts", only=columns))
