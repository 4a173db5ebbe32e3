"""Microloans and their repayments.

Mostly the microloan_borrower persona borrows, a few others now and then. Loans are short
(30-180 days) and repaid in monthly instalments; most borrowers pay around the due dates, a
customer's lateness propensity makes some loans late, and a few late loans stop being repaid.
Planted late_repayer customers always borrow and are late on most loans, with an intensity that
varies, so the pattern is strong on average but not on every customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankmart.generate import encode
from bankmart.generate import reference as ref
from bankmart.generate.personas import R_LATE, Customers
from bankmart.generate.sampling import choose, lognormal_mean_one
from bankmart.generate.timeline import Timeline
from bankmart.raw_schema import arrow_schema

TERMS_DAYS = np.array([30, 60, 90, 120, 180])
TERM_WEIGHTS = np.array([0.2, 0.2, 0.25, 0.15, 0.2])
BOOKED_SHARE = 0.9  # the rest come from a lending partner: no loan account in our books


@dataclass
class Loans:
    customer: np.ndarray  # chunk-local customer index
    disbursed_day: np.ndarray
    principal: np.ndarray
    term_days: np.ndarray
    rate: np.ndarray
    booked: np.ndarray
    total_due: np.ndarray
    closed_day: np.ndarray  # -1 while still outstanding at the end of the window
    repaid_loan: np.ndarray  # one entry per repayment: chunk-local loan index
    repaid_day: np.ndarray
    repaid_amount: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)

    @property
    def due_day(self) -> np.ndarray:
        return self.disbursed_day + self.term_days


def draw_loans(rng: np.random.Generator, c: Customers, timeline: Timeline) -> Loans:
    n = len(c)
    loan_trait = ref.PERSONA_TRAITS["loan"][c.persona]
    per_year = ref.PERSONA_TRAITS["loans_per_year"][c.persona]
    planted_late = c.risk == R_LATE
    decoy_late = c.decoy == R_LATE
    earliest = np.maximum(timeline.first_day, c.joined_day + 30)
    latest = timeline.last_day - 15
    can_borrow = earliest < latest
    borrows = (rng.random(n) < loan_trait * np.where(c.income < 60000, 1.0, 0.6)) | planted_late
    borrows |= decoy_late
    borrows &= can_borrow
    years = (latest - earliest) / 365.25
    expected = per_year * np.clip(years, 0, None) * lognormal_mean_one(rng, 0.4, n)
    count = np.where(borrows, np.maximum(rng.poisson(expected), 1), 0)
    count = np.where(planted_late & borrows, np.maximum(count, 2), count)

    customer = np.repeat(np.arange(n), count)
    k = len(customer)
    span = (latest - earliest)[customer]
    disbursed = earliest[customer] + (rng.random(k) * span).astype(np.int64)
    income = c.income[customer]
    principal = 18000.0 * (income / 30000.0) ** 0.5 * rng.lognormal(0.0, 0.6, k)
    principal = np.round(np.clip(principal, 2000, 300000) / 500) * 500
    term = TERMS_DAYS[choose(rng, TERM_WEIGHTS, k)]
    rate = np.round(0.15 + 0.11 * rng.random(k) + np.where(income < 25000, 0.05, 0.0), 4)
    booked = rng.random(k) < BOOKED_SHARE
    total_due = np.round(principal * (1 + rate * term / 365.0), 2)

    # Lateness: a customer trait, pushed up for planted (and, less, decoy) late repayers.
    intensity = c.risk_intensity[customer]
    late_p = np.where(planted_late[customer], np.clip(0.45 + 0.3 * intensity, 0.3, 0.97),
                      np.where(decoy_late[customer], 0.35, c.late[customer]))
    is_late = rng.random(k) < late_p
    scale = np.where(planted_late[customer], 10 + 8 * intensity, 9.0)
    delay = np.where(
        is_late,
        6 + rng.gamma(2.0, scale),
        np.clip(np.round(rng.normal(-2.0, 2.5, k)), -10, 2),
    ).astype(np.int64)
    instalments = np.maximum(term // 30, 1)
    paid_count = np.where(
        is_late & (rng.random(k) < 0.2), rng.integers(0, instalments + 1), instalments
    )

    loan = np.repeat(np.arange(k), paid_count)
    j = np.arange(len(loan)) - np.repeat(np.cumsum(paid_count) - paid_count, paid_count)
    scheduled = disbursed[loan] + np.round(term[loan] * (j + 1) / instalments[loan]).astype(np.int64)
    jitter = np.round(rng.normal(0, 1.5, len(loan))).astype(np.int64)
    paid_day = np.maximum(scheduled + delay[loan] + jitter, disbursed[loan] + 1)
    amount = total_due[loan] / instalments[loan]
    amount = np.round(amount * np.where(paid_day > scheduled + 3, 1.015, 1.0), 2)  # late fee
    in_window = paid_day <= timeline.last_day
    loan, paid_day, amount = loan[in_window], paid_day[in_window], amount[in_window]
    order = np.lexsort((paid_day, loan))
    loan, paid_day, amount = loan[order], paid_day[order], amount[order]

    paid_in_window = np.bincount(loan, minlength=k)
    fully = (paid_in_window == instalments) & (paid_count == instalments)
    last_paid = np.full(k, -1, dtype=np.int64)
    np.maximum.at(last_paid, loan, paid_day)
    closed = np.where(fully, last_paid, -1)
    return Loans(customer, disbursed, principal, term, rate, booked, total_due, closed,
                 loan, paid_day, amount)


def loans_table(loans: Loans, customer_numbers: np.ndarray, account_numbers: np.ndarray,
                loan_account: np.ndarray, first_number: int) -> pa.Table:
    """The raw `loans` rows of a chunk; account_id is NULL for loans booked by a partner."""
    booked = loan_account >= 0
    columns = {
        "loan_id": encode.ids("L", np.arange(first_number, first_number + len(loans)), 8),
        "customer_id": encode.ids("C", customer_numbers[loans.customer], 7),
        "account_id": pc.if_else(
            pa.array(booked),
            encode.ids("A", account_numbers[np.maximum(loan_account, 0)], 8),
            pa.scalar(None, pa.string()),
        ),
        "disbursed_date": encode.dates(loans.disbursed_day),
        "principal_amount": pa.array(loans.principal.astype(np.float64)),
        "due_date": encode.dates(loans.due_day),
        "interest_rate": pa.array(loans.rate.astype(np.float64)),
    }
    return pa.table(columns, schema=arrow_schema("loans", only=columns))


def repayments_table(loans: Loans, first_loan_number: int, first_number: int) -> pa.Table:
    """The raw `loan_repayments` rows of a chunk."""
    n = len(loans.repaid_loan)
    columns = {
        "repayment_id": encode.ids("R", np.arange(first_number, first_number + n), 9),
        "loan_id": encode.ids("L", first_loan_number + loans.repaid_loan, 8),
        "paid_date": encode.dates(loans.repaid_day),
        "amount": pa.array(loans.repaid_amount.astype(np.float64)),
    }
    return pa.table(columns, schema=arrow_schema("loan_repayments", only=columns))
