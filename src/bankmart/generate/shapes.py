"""Shapes of bank the generator can write besides its own: what real extracts look like.

A real bank's files are rarely the generator's: tables are missing, columns are left out, dates
are day-first with two-digit years or month-first, date and time arrive in separate columns or
the time not at all, most customers never spend, transactions name the customer instead of an
account. A ``Shape`` turns each generated table into such a file, after the dirty rows are
planted, so the warehouse can be built and tested against every one of them
(tests/python/test_bank_shapes.py). The ground truth is untouched.

Shapes rewrite text, never values: a date written '2/8/16' is the same day as '2016-08-02', so
what the warehouse builds can be compared with the plain bank's.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankmart.errors import BankmartError
from bankmart.raw_schema import ESSENTIAL_TABLES, RAW_TABLES

DATE_STYLES = ("iso", "dmy", "dmy2", "mdy")

# Date columns per generated table, as written (text), and whether they hold a time of day.
_DATE_COLUMNS: dict[str, dict[str, bool]] = {
    "customers": {"birth_date": False, "joined_date": False},
    "accounts": {"opened_date": False, "closed_date": False},
    "transactions": {"transaction_at": True, "transaction_date": False},
    "loans": {"disbursed_date": False, "due_date": False},
    "loan_repayments": {"paid_date": False},
}


@dataclass(frozen=True)
class Shape:
    """How the written bank departs from the generator's own layout (default: not at all)."""

    omit_tables: tuple[str, ...] = ()
    # "table.column" of optional columns to leave out of every file
    omit_columns: tuple[str, ...] = ()
    # iso: 2026-05-03; dmy: 3/5/2026; dmy2: 3/5/26; mdy: 5/3/2026
    date_style: str = "iso"
    # transactions carry transaction_date + an unpadded HHMMSS transaction_time
    split_datetime: bool = False
    # transactions carry a date and no time of day
    date_only: bool = False
    # transactions name their customer (customer_id); without an accounts table, instead of
    # the account
    link_customers: bool = False
    # share of customers whose transactions are all left out (they never spend)
    zero_spend_share: float = 0.0
    _omit_by_table: dict[str, set[str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.omit_tables) - set(RAW_TABLES))
        if unknown:
            raise BankmartError(f"--omit-tables: {unknown} are not raw tables ({', '.join(RAW_TABLES)})")
        essential = sorted(set(self.omit_tables) & set(ESSENTIAL_TABLES))
        if essential:
            raise BankmartError(f"--omit-tables: every bank needs {', '.join(essential)}")
        for item in self.omit_columns:
            table, _, column = item.partition(".")
            columns = {c.name: c for c in RAW_TABLES.get(table, [])}
            if column not in columns:
                raise BankmartError(f"--omit-columns: {item!r} is not a raw column (write table.column)")
            if columns[column].required:
                raise BankmartError(f"--omit-columns: {item} is required by the raw contract")
            self._omit_by_table.setdefault(table, set()).add(column)
        if self.date_style not in DATE_STYLES:
            raise BankmartError(f"--date-style must be one of {', '.join(DATE_STYLES)}, got {self.date_style!r}")
        if not 0.0 <= self.zero_spend_share < 1.0:
            raise BankmartError(f"--zero-spend-share must be in [0, 1), got {self.zero_spend_share}")
        if self.split_datetime and self.date_only:
            raise BankmartError("--split-datetime and --date-only exclude each other")
        if "accounts" in self.omit_tables and "transactions" not in self.omit_tables and not self.link_customers:
            raise BankmartError(
                "--omit-tables accounts leaves transactions without an owner: add --link-customers"
            )

    @property
    def is_plain(self) -> bool:
        return self == Shape()

    def describe(self) -> dict:
        """For the manifest."""
        return {
            "omit_tables": list(self.omit_tables),
            "omit_columns": list(self.omit_columns),
            "date_style": self.date_style,
            "split_datetime": self.split_datetime,
            "date_only": self.date_only,
            "link_customers": self.link_customers,
            "zero_spend_share": self.zero_spend_share,
        }

    def apply(self, tables: dict[str, pa.Table], seed: int) -> dict[str, pa.Table]:
        """The chunk's tables as this shape writes them; omitted tables are dropped."""
        if self.is_plain:
            return tables
        out = dict(tables)
        if "transactions" in out:
            out["transactions"] = self._transactions(out["transactions"], out.get("accounts"), seed)
        for name in list(out):
            if name in self.omit_tables:
                del out[name]
                continue
            table = out[name]
            for column, has_time in _DATE_COLUMNS.get(name, {}).items():
                if column in table.column_names:
                    table = _set(table, column, _restyle(table.column(column).combine_chunks(), self.date_style, has_time))
            drop = [c for c in self._omit_by_table.get(name, ()) if c in table.column_names]
            out[name] = _in_contract_order(name, table.drop_columns(drop))
        return out

    def _transactions(self, t: pa.Table, accounts: pa.Table | None, seed: int) -> pa.Table:
        if self.link_customers or self.zero_spend_share:
            if accounts is None:
                raise BankmartError("shapes need the chunk's accounts to find each transaction's customer")
            owner = dict(zip(accounts.column("account_id").to_pylist(), accounts.column("customer_id").to_pylist(), strict=True))
            customers = pa.array([owner.get(a) for a in t.column("account_id").to_pylist()], pa.string())
            if self.zero_spend_share:
                keep = ~_never_spends(customers, self.zero_spend_share, seed)
                t, customers = t.filter(pa.array(keep)), customers.filter(pa.array(keep))
            if self.link_customers:
                t = t.append_column("customer_id", customers)
                if "accounts" in self.omit_tables:
                    t = t.drop_columns(["account_id"])
        if self.split_datetime or self.date_only:
            text = t.column("transaction_at").combine_chunks()
            exact = pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
            exact = pc.fill_null(exact, False)
            date_part = pc.if_else(exact, pc.utf8_slice_codeunits(text, 0, 10), text)
            if self.split_datetime:
                clock = pc.utf8_slice_codeunits(text, 11, 19)
                hhmmss = pc.replace_substring(clock, ":", "")
                unpadded = pc.utf8_ltrim(hhmmss, characters="0")
                unpadded = pc.if_else(pc.equal(unpadded, ""), "0", unpadded)
                t = t.append_column("transaction_time", pc.if_else(exact, unpadded, pa.scalar(None, pa.string())))
                t = t.append_column("transaction_date", date_part)
                t = t.drop_columns(["transaction_at"])
            else:
                t = _set(t, "transaction_at", date_part)
        return t


def _never_spends(customers: pa.Array, share: float, seed: int) -> np.ndarray:
    """Rows of a deterministic share of customers, chosen by a CRC of the seed and the id (the
    same customers whatever the chunk or process)."""
    encoded = customers.dictionary_encode()
    buckets = np.array(
        [zlib.crc32(f"{seed}:{c}".encode()) % 10_000 for c in encoded.dictionary.to_pylist()],
        dtype=np.int64,
    )
    chosen = buckets < int(round(share * 10_000))
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    rows = np.zeros(len(customers), dtype=bool)  # a row without a customer (dirty) is kept
    known = indices >= 0
    rows[known] = chosen[indices[known]]
    return rows


def _restyle(values: pa.Array, style: str, has_time: bool) -> pa.Array:
    """ISO 'YYYY-MM-DD[ HH:MM:SS]' text rewritten in the given style; other text unchanged."""
    if style == "iso":
        return values
    pattern = r"^(\d{4})-(\d{2})-(\d{2})( \d{2}:\d{2}:\d{2})?$"
    iso = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    year = pc.utf8_slice_codeunits(values, 0, 4)
    month = pc.utf8_ltrim(pc.utf8_slice_codeunits(values, 5, 7), characters="0")
    day = pc.utf8_ltrim(pc.utf8_slice_codeunits(values, 8, 10), characters="0")
    rest = pc.utf8_slice_codeunits(values, 10)
    if style == "dmy2":
        year = pc.utf8_slice_codeunits(year, 2, 4)
    first, second = (month, day) if style == "mdy" else (day, month)
    restyled = pc.binary_join_element_wise(first, "/", second, "/", year, rest, "")
    return pc.if_else(iso, restyled, values)


def _set(t: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return t.set_column(t.schema.get_field_index(name), name, values)


def _in_contract_order(name: str, table: pa.Table) -> pa.Table:
    """Contract columns in contract order, then the generator's own (the month partition key)."""
    contract = [c.name for c in RAW_TABLES[name]]
    order = [c for c in contract if c in table.column_names]
    return table.select(order + [c for c in table.column_names if c not in contract])
