"""Planted data-quality problems (`--dirty-rate`), the staging layer's test material.

With rate P, about P of each table's rows carry exactly one planted problem, split evenly
between the table's kinds, and every kind appears at least once (in the first chunk) so even a
tiny bank exercises every rule. Kinds come in three handlings, recorded in the manifest:

- quarantine: the row cannot be trusted (null, overlong or duplicate key, orphan reference,
  unparseable, future or ancient date, impossible amount: zero, negative, NaN, below a paisa,
  absurd). Planted as an *extra* row, a copy of a real row with the problem added, so the clean
  data is the same whatever the rate.
- normalise: noise staging must clean, not reject (case, stray whitespace, zero-width and
  no-break spaces inside ids, a timestamp written as an ISO instant with its +05:30 offset).
  Planted in place on real rows.
- flag: the row stays but a value becomes NULL (or is rounded) and is flagged: placeholder and
  unparseable birth dates, unknown channels and currencies, is_fraud = 7, an amount with a third
  decimal. In place.

Extra rows get ids from ranges clean data never reaches (T9..., A9..., L9..., R9...), and
orphans point at ids that exist nowhere (C9..., A8..., L8...), so clean ids never depend on
the dirty rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankmart.generate import encode


@dataclass(frozen=True)
class DirtyKind:
    name: str
    handling: str  # quarantine | normalise | flag
    description: str

    @property
    def extra(self) -> bool:
        return self.handling == "quarantine"


def _k(name: str, handling: str, description: str) -> DirtyKind:
    return DirtyKind(name, handling, description)


KINDS: dict[str, list[DirtyKind]] = {
    "customers": [
        _k("null_key", "quarantine", "copy of a customer with customer_id NULL"),
        _k("sentinel_birth_date", "flag", "birth_date replaced by a 1800-01-01 sentinel (ISO or D/M/YYYY)"),
        _k("unparseable_birth_date", "flag", "birth_date that is not a date ('not a date', '31/02/1990', '1990-13-01')"),
        _k("city_noise", "normalise", "city with stray whitespace / wrong case ('  mumbai ', 'DELHI  NCR')"),
        _k("code_noise", "normalise", "gender / marital_status / country_code with case or whitespace noise"),
    ],
    "accounts": [
        _k("null_key", "quarantine", "copy of an account with account_id NULL"),
        _k("orphan_customer", "quarantine", "extra account whose customer_id exists nowhere"),
        _k("code_noise", "normalise", "account_type / currency / status with case or whitespace noise"),
    ],
    "merchants": [
        _k("null_key", "quarantine", "copy of a merchant with merchant_id NULL"),
        _k("city_noise", "normalise", "city with stray whitespace / wrong case"),
        _k("code_noise", "normalise", "category / country_code with case or whitespace noise"),
    ],
    "transactions": [
        _k("duplicate_exact", "quarantine", "exact copy of another row (same transaction_id)"),
        _k("duplicate_conflict", "quarantine", "same transaction_id as another row, different amount"),
        _k("orphan_account", "quarantine", "account_id exists nowhere"),
        _k("null_key", "quarantine", "transaction_id or account_id NULL"),
        _k("unparseable_timestamp", "quarantine", "transaction_at not a valid timestamp ('2025-13-45 25:61:00', 'not a date', '31/02/2025')"),
        _k("future_timestamp", "quarantine", "transaction_at years after the bank's last month"),
        _k("zero_amount", "quarantine", "amount = 0"),
        _k("negative_amount", "quarantine", "amount < 0"),
        _k("absurd_amount", "quarantine", "amount >= 1e11 INR"),
        _k("not_a_number", "quarantine", "amount NaN or infinity"),
        _k("below_minor_unit", "quarantine", "amount above 0 but below half a paisa (0.004, 1e-320)"),
        _k("ancient_timestamp", "quarantine", "transaction_at from another era (0001-01-01, 1999, 2005, 2010)"),
        _k("long_id", "quarantine", "transaction_id of 100 characters"),
        _k("unknown_channel", "flag", "channel not in the code set ('card-presnt', 'XXX', ...)"),
        _k("unknown_currency", "flag", "currency not an ISO code ('XXX', 'RUP', 'US$')"),
        _k("fraud_out_of_domain", "flag", "is_fraud = 7"),
        _k("overprecise_amount", "flag", "amount with a third decimal (0.004 INR more)"),
        _k("code_noise", "normalise", "channel / payment_type / currency / country_code / category with case or whitespace noise"),
        _k("invisible_id", "normalise", "account_id with a zero-width space inside and a no-break space after"),
        _k("offset_timestamp", "normalise", "transaction_at as an ISO instant with its +05:30 offset"),
    ],
    "loans": [
        _k("null_key", "quarantine", "copy of a loan with loan_id NULL"),
        _k("orphan_customer", "quarantine", "extra loan whose customer_id exists nowhere"),
        _k("unparseable_date", "quarantine", "disbursed_date not a valid date"),
        _k("non_positive_amount", "quarantine", "principal_amount zero or negative"),
    ],
    "loan_repayments": [
        _k("null_key", "quarantine", "repayment_id NULL"),
        _k("orphan_loan", "quarantine", "loan_id exists nowhere"),
        _k("unparseable_date", "quarantine", "paid_date not a valid date"),
        _k("non_positive_amount", "quarantine", "amount zero or negative"),
    ],
    "account_balances": [
        _k("null_key", "quarantine", "account_id NULL"),
        _k("orphan_account", "quarantine", "account_id exists nowhere"),
        _k("unparseable_month", "quarantine", "balance_month not a YYYY-MM month"),
    ],
}

BAD_TIMESTAMPS = ["2025-13-45 25:61:00", "not a date", "31/02/2025", "2025-02-30 10:15:00", "??"]
BAD_DATES = ["2025-13-45", "not a date", "31/02/2025", "2024-02-30", "N/A"]
BAD_MONTHS = ["2025-13", "not a month", "13/2025", "2025-00"]
UNKNOWN_CHANNELS = ["card-presnt", "XXX", "kiosk", "cheque"]
UNKNOWN_CURRENCIES = ["XXX", "RUP", "US$"]
SENTINEL_BIRTH_DATES = ["1800-01-01", "1/1/1800"]
BAD_BIRTH_DATES = ["not a date", "31/02/1990", "1990-13-01"]
ANCIENT_TIMESTAMPS = ["0001-01-01 00:00:00", "1999-05-15 10:00:00", "2005-12-31 12:00:00", "2010-01-01 09:00:00"]

# First numbers of the id ranges dirty rows use (see the module docstring).
EXTRA_ID_BASE = {"transactions": 900_000_000_000, "accounts": 90_000_000, "loans": 90_000_000,
                 "loan_repayments": 900_000_000}
ORPHAN_CUSTOMER_BASE = 9_000_000
ORPHAN_ACCOUNT_BASE = 80_000_000
ORPHAN_LOAN_BASE = 80_000_000


@dataclass
class DirtyState:
    """Counters that run across chunks, so planted ids never repeat within a bank."""

    future_year: int
    extra_ids: dict[str, int] = field(default_factory=dict)
    orphans: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def next_ids(self, table: str, n: int) -> np.ndarray:
        start = self.extra_ids.get(table, 0)
        self.extra_ids[table] = start + n
        return EXTRA_ID_BASE[table] + start + np.arange(n)

    def next_orphans(self, n: int) -> np.ndarray:
        start = self.orphans
        self.orphans += n
        return start + np.arange(n)

    def add(self, table: str, kind: str, n: int) -> None:
        per_table = self.counts.setdefault(table, {k.name: 0 for k in KINDS[table]})
        per_table[kind] += n


def plant(
    table_name: str,
    table: pa.Table,
    rate: float,
    rng: np.random.Generator,
    state: DirtyState,
    ensure_each: bool,
) -> pa.Table:
    """Return the table with about `rate` of its rows made dirty; counts go into state."""
    kinds = KINDS[table_name]
    for kind in kinds:
        state.add(table_name, kind.name, 0)
    n = table.num_rows
    if rate <= 0 or n == 0:
        return table
    per_kind = int(round(rate * n / len(kinds)))
    wanted = [max(per_kind, 1 if ensure_each else 0) for _ in kinds]
    total = min(sum(wanted), n)
    sources = rng.choice(n, size=total, replace=False)
    extras: list[pa.Table] = []
    in_place: list[tuple[np.ndarray, pa.Table]] = []
    offset = 0
    for kind, count in zip(kinds, wanted, strict=True):
        rows = np.sort(sources[offset : offset + count])
        offset += len(rows)
        if len(rows) == 0:
            continue
        planter = _PLANTERS[(table_name, kind.name)]
        changed = planter(table.take(pa.array(rows)), rng, state)
        state.add(table_name, kind.name, len(rows))
        if kind.extra:
            extras.append(changed)
        else:
            in_place.append((rows, changed))
    if in_place:
        table = _replace_rows(table, in_place)
    if extras:
        table = pa.concat_tables([table, *extras])
    return table


def _replace_rows(table: pa.Table, changes: list[tuple[np.ndarray, pa.Table]]) -> pa.Table:
    """Put changed rows back at their positions (order of the file is kept)."""
    rows = np.concatenate([r for r, _ in changes])
    changed = pa.concat_tables([t for _, t in changes])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    changed = changed.take(pa.array(order))
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    mask_arr = pa.array(mask)
    taken = table.take(pa.array(rows))
    for i, name in enumerate(table.column_names):
        if taken.column(i).equals(changed.column(i)):
            continue  # column untouched by every planter
        replaced = pc.replace_with_mask(
            table.column(i).combine_chunks(), mask_arr, changed.column(i).combine_chunks()
        )
        table = table.set_column(i, name, replaced)
    return table


# ---------------------------------------------------------------------------- value mutators


def _set(t: pa.Table, name: str, values: pa.Array | list) -> pa.Table:
    i = t.schema.get_field_index(name)
    field_type = t.schema.field(i).type
    if not isinstance(values, pa.Array):
        values = pa.array(values, type=field_type)
    return t.set_column(i, name, values.cast(field_type))


def _null(t: pa.Table, name: str) -> pa.Table:
    return _set(t, name, pa.nulls(t.num_rows, t.schema.field(name).type))


def _one_of(rng: np.random.Generator, choices: list, n: int) -> list:
    return [choices[i] for i in rng.integers(0, len(choices), n)]


def _snake_noise(values: pa.Array, rng: np.random.Generator) -> pa.Array:
    """'card_present' -> 'CARD_PRESENT' / 'Card_Present' / ' card_present ' / 'Card_present  '."""
    variants = [
        pc.utf8_upper(values),
        pc.utf8_title(values),
        pc.binary_join_element_wise(" ", values, " ", ""),
        pc.binary_join_element_wise(pc.utf8_capitalize(values), "  ", ""),
    ]
    return pc.choose(pa.array(rng.integers(0, len(variants), len(values)).astype(np.int8)), *variants)


def _upper_code_noise(values: pa.Array, rng: np.random.Generator) -> pa.Array:
    """'INR' -> 'inr' / ' INR' / 'Inr ' / 'inr  '."""
    variants = [
        pc.utf8_lower(values),
        pc.binary_join_element_wise(" ", values, ""),
        pc.binary_join_element_wise(pc.utf8_capitalize(values), " ", ""),
        pc.binary_join_element_wise(pc.utf8_lower(values), "  ", ""),
    ]
    return pc.choose(pa.array(rng.integers(0, len(variants), len(values)).astype(np.int8)), *variants)


def _label_noise(values: pa.Array, rng: np.random.Generator) -> pa.Array:
    """'Married' -> 'MARRIED' / 'married' / ' Married ' (labels staging maps to codes)."""
    variants = [
        pc.utf8_upper(values),
        pc.utf8_lower(values),
        pc.binary_join_element_wise(" ", values, " ", ""),
    ]
    return pc.choose(pa.array(rng.integers(0, len(variants), len(values)).astype(np.int8)), *variants)


def _city_noise(values: pa.Array, rng: np.random.Generator) -> pa.Array:
    """'Delhi NCR' -> '  delhi ncr ' / 'DELHI  NCR' / 'delhi ncr' / ' Delhi NCR'."""
    variants = [
        pc.binary_join_element_wise("  ", pc.utf8_lower(values), " ", ""),
        pc.replace_substring(pc.utf8_upper(values), " ", "  "),
        pc.utf8_lower(values),
        pc.binary_join_element_wise(" ", values, ""),
    ]
    return pc.choose(pa.array(rng.integers(0, len(variants), len(values)).astype(np.int8)), *variants)


def _noise_columns(
    t: pa.Table, rng: np.random.Generator, columns: dict[str, Callable[[pa.Array, np.random.Generator], pa.Array]]
) -> pa.Table:
    """Give every row noise in exactly one of the columns.

    A row whose chosen column is NULL gets the noise in the first column instead, which must
    never be NULL, so every planted row really carries noise.
    """
    names = list(columns)
    target = rng.integers(0, len(names), t.num_rows)
    for i, name in enumerate(names[1:], start=1):
        is_null = t.column(name).combine_chunks().is_null().to_numpy(zero_copy_only=False)
        target[(target == i) & is_null] = 0
    for i, name in enumerate(names):
        values = t.column(name).combine_chunks()
        hit = target == i
        if not hit.any():
            continue
        noisy = columns[name](pc.fill_null(values, ""), rng)
        t = _set(t, name, pc.if_else(pa.array(hit), noisy, values))
    return t


def _bump_amount(t: pa.Table, name: str, factor: np.ndarray) -> pa.Table:
    values = t.column(name).to_numpy()
    return _set(t, name, pa.array(encode.money(values * factor)))


# ---------------------------------------------------------------------------- planters
Planter = Callable[[pa.Table, np.random.Generator, DirtyState], pa.Table]


def _customers_null_key(t, rng, s):
    return _null(t, "customer_id")


def _customers_sentinel(t, rng, s):
    return _set(t, "birth_date", _one_of(rng, SENTINEL_BIRTH_DATES, t.num_rows))


def _customers_bad_birth_date(t, rng, s):
    return _set(t, "birth_date", _one_of(rng, BAD_BIRTH_DATES, t.num_rows))


def _city(t, rng, s):
    return _set(t, "city", _city_noise(t.column("city").combine_chunks(), rng))


def _customers_codes(t, rng, s):
    return _noise_columns(
        t, rng, {"marital_status": _label_noise, "gender": _label_noise, "country_code": _upper_code_noise}
    )


def _accounts_null_key(t, rng, s):
    return _null(t, "account_id")


def _accounts_orphan(t, rng, s):
    t = _set(t, "account_id", encode.ids("A", s.next_ids("accounts", t.num_rows), 8))
    return _set(t, "customer_id", encode.ids("C", ORPHAN_CUSTOMER_BASE + s.next_orphans(t.num_rows), 7))


def _accounts_codes(t, rng, s):
    return _noise_columns(
        t, rng, {"account_type": _snake_noise, "currency": _upper_code_noise, "status": _snake_noise}
    )


def _merchants_null_key(t, rng, s):
    return _null(t, "merchant_id")


def _merchants_codes(t, rng, s):
    return _noise_columns(t, rng, {"category": _snake_noise, "country_code": _upper_code_noise})


def _txn_duplicate_exact(t, rng, s):
    return t


def _txn_duplicate_conflict(t, rng, s):
    return _bump_amount(t, "amount", rng.uniform(1.1, 1.9, t.num_rows))


def _txn_new_ids(t, s):
    return _set(t, "transaction_id", encode.ids("T", s.next_ids("transactions", t.num_rows), 12))


def _txn_orphan(t, rng, s):
    t = _txn_new_ids(t, s)
    return _set(t, "account_id", encode.ids("A", ORPHAN_ACCOUNT_BASE + s.next_orphans(t.num_rows), 8))


def _txn_null_key(t, rng, s):
    half = rng.random(t.num_rows) < 0.5
    t = _txn_new_ids(t, s)
    null = pa.scalar(None, pa.string())
    t = _set(t, "transaction_id", pc.if_else(pa.array(half), null, t.column("transaction_id").combine_chunks()))
    return _set(t, "account_id", pc.if_else(pa.array(~half), null, t.column("account_id").combine_chunks()))


def _txn_unparseable(t, rng, s):
    return _set(_txn_new_ids(t, s), "transaction_at", _one_of(rng, BAD_TIMESTAMPS, t.num_rows))


def _txn_future(t, rng, s):
    t = _txn_new_ids(t, s)
    rest = pc.utf8_slice_codeunits(t.column("transaction_at").combine_chunks(), 4)
    return _set(t, "transaction_at", pc.binary_join_element_wise(str(s.future_year), rest, ""))


def _txn_amount(value: Callable[[np.ndarray, np.random.Generator], np.ndarray]) -> Planter:
    def planter(t, rng, s):
        t = _txn_new_ids(t, s)
        return _set(t, "amount", pa.array(value(t.column("amount").to_numpy(), rng)))

    return planter


def _txn_unknown(column: str, choices: list[str]) -> Planter:
    def planter(t, rng, s):
        return _set(t, column, _one_of(rng, choices, t.num_rows))

    return planter


def _txn_ancient(t, rng, s):
    return _set(_txn_new_ids(t, s), "transaction_at", _one_of(rng, ANCIENT_TIMESTAMPS, t.num_rows))


def _txn_long_id(t, rng, s):
    t = _txn_new_ids(t, s)
    return _set(t, "transaction_id", pc.utf8_rpad(t.column("transaction_id").combine_chunks(), 100, "X"))


def _txn_invisible_id(t, rng, s):
    """'A00000012' -> 'A00<zero-width space>000012<no-break space>': staging strips both."""
    values = t.column("account_id").combine_chunks()
    head, tail = pc.utf8_slice_codeunits(values, 0, 3), pc.utf8_slice_codeunits(values, 3)
    spaced = pc.binary_join_element_wise(head, tail, "\u200b")
    return _set(t, "account_id", pc.binary_join_element_wise(spaced, "\u00a0", ""))


def _txn_offset(t, rng, s):
    """'2026-05-03 14:05:00' -> '2026-05-03T14:05:00+05:30': the same instant, in IST."""
    local = t.column("transaction_at").combine_chunks()
    iso = pc.replace_substring(local, " ", "T", max_replacements=1)
    return _set(t, "transaction_at", pc.binary_join_element_wise(iso, "+05:30", ""))


def _txn_fraud_out_of_domain(t, rng, s):
    return _set(t, "is_fraud", pa.array(np.full(t.num_rows, 7, dtype=np.int32)))


def _txn_overprecise(t, rng, s):
    values = t.column("amount").to_numpy()
    return _set(t, "amount", pa.array(values + 0.004))


def _txn_codes(t, rng, s):
    return _noise_columns(
        t,
        rng,
        {
            "channel": _snake_noise,
            "payment_type": _snake_noise,
            "currency": _upper_code_noise,
            "country_code": _upper_code_noise,
            "category": _snake_noise,
        },
    )


def _loans_new_ids(t, s):
    return _set(t, "loan_id", encode.ids("L", s.next_ids("loans", t.num_rows), 8))


def _loans_orphan(t, rng, s):
    t = _loans_new_ids(t, s)
    t = _null(t, "account_id")
    return _set(t, "customer_id", encode.ids("C", ORPHAN_CUSTOMER_BASE + s.next_orphans(t.num_rows), 7))


def _non_positive(t: pa.Table, name: str, rng: np.random.Generator) -> pa.Table:
    values = t.column(name).to_numpy()
    return _set(t, name, pa.array(np.where(rng.random(t.num_rows) < 0.5, 0.0, -values)))


def _repayments_new_ids(t, s):
    return _set(t, "repayment_id", encode.ids("R", s.next_ids("loan_repayments", t.num_rows), 9))


_PLANTERS: dict[tuple[str, str], Planter] = {
    ("customers", "null_key"): _customers_null_key,
    ("customers", "sentinel_birth_date"): _customers_sentinel,
    ("customers", "unparseable_birth_date"): _customers_bad_birth_date,
    ("customers", "city_noise"): _city,
    ("customers", "code_noise"): _customers_codes,
    ("accounts", "null_key"): _accounts_null_key,
    ("accounts", "orphan_customer"): _accounts_orphan,
    ("accounts", "code_noise"): _accounts_codes,
    ("merchants", "null_key"): _merchants_null_key,
    ("merchants", "city_noise"): _city,
    ("merchants", "code_noise"): _merchants_codes,
    ("transactions", "duplicate_exact"): _txn_duplicate_exact,
    ("transactions", "duplicate_conflict"): _txn_duplicate_conflict,
    ("transactions", "orphan_account"): _txn_orphan,
    ("transactions", "null_key"): _txn_null_key,
    ("transactions", "unparseable_timestamp"): _txn_unparseable,
    ("transactions", "future_timestamp"): _txn_future,
    ("transactions", "zero_amount"): _txn_amount(lambda v, rng: np.zeros_like(v)),
    ("transactions", "negative_amount"): _txn_amount(lambda v, rng: -np.maximum(v, 1.0)),
    ("transactions", "absurd_amount"): _txn_amount(
        lambda v, rng: np.round(1e12 * rng.uniform(1, 10, len(v)), -6)
    ),
    ("transactions", "not_a_number"): _txn_amount(
        lambda v, rng: np.where(rng.random(len(v)) < 0.5, np.nan, np.inf)
    ),
    ("transactions", "below_minor_unit"): _txn_amount(
        lambda v, rng: np.where(rng.random(len(v)) < 0.5, 0.004, 1e-320)
    ),
    ("transactions", "ancient_timestamp"): _txn_ancient,
    ("transactions", "long_id"): _txn_long_id,
    ("transactions", "unknown_channel"): _txn_unknown("channel", UNKNOWN_CHANNELS),
    ("transactions", "unknown_currency"): _txn_unknown("currency", UNKNOWN_CURRENCIES),
    ("transactions", "fraud_out_of_domain"): _txn_fraud_out_of_domain,
    ("transactions", "overprecise_amount"): _txn_overprecise,
    ("transactions", "code_noise"): _txn_codes,
    ("transactions", "invisible_id"): _txn_invisible_id,
    ("transactions", "offset_timestamp"): _txn_offset,
    ("loans", "null_key"): lambda t, rng, s: _null(t, "loan_id"),
    ("loans", "orphan_customer"): _loans_orphan,
    ("loans", "unparseable_date"): lambda t, rng, s: _set(
        _loans_new_ids(t, s), "disbursed_date", _one_of(rng, BAD_DATES, t.num_rows)
    ),
    ("loans", "non_positive_amount"): lambda t, rng, s: _non_positive(
        _loans_new_ids(t, s), "principal_amount", rng
    ),
    ("loan_repayments", "null_key"): lambda t, rng, s: _null(t, "repayment_id"),
    ("loan_repayments", "orphan_loan"): lambda t, rng, s: _set(
        _repayments_new_ids(t, s), "loan_id", encode.ids("L", ORPHAN_LOAN_BASE + s.next_orphans(t.num_rows), 8)
    ),
    ("loan_repayments", "unparseable_date"): lambda t, rng, s: _set(
        _repayments_new_ids(t, s), "paid_date", _one_of(rng, BAD_DATES, t.num_rows)
    ),
    ("loan_repayments", "non_positive_amount"): lambda t, rng, s: _non_positive(
        _repayments_new_ids(t, s), "amount", rng
    ),
    ("account_balances", "null_key"): lambda t, rng, s: _null(t, "account_id"),
    ("account_balances", "orphan_account"): lambda t, rng, s: _set(
        t, "account_id", encode.ids("A", ORPHAN_ACCOUNT_BASE + s.next_orphans(t.num_rows), 8)
    ),
    ("account_balances", "unparseable_month"): lambda t, rng, s: _set(
        t, "balance_month", _one_of(rng, BAD_MONTHS, t.num_rows)
    ),
}
