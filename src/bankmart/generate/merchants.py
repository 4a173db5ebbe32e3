"""The merchant universe: a few thousand Indian merchants and some foreign ones.

Merchants are drawn once per bank, before any customer, so every chunk of customers shops at
the same merchants. Transactions choose merchants through group indexes (category and city,
category and country) with a popularity skew, which gives the long tail real card data has:
a handful of big merchants per city and many small ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankmart.generate import encode
from bankmart.generate import reference as ref
from bankmart.generate.sampling import choose, pick_in_groups
from bankmart.raw_schema import arrow_schema

FOREIGN_SHARE = 0.08
# Categories foreign merchants trade in (no foreign utility bills or fuel pumps worth a card).
FOREIGN_CATEGORY_SHARE = np.array([0.08, 0.0, 0.03, 0.02, 0.22, 0.12, 0.15, 0.10, 0.20, 0.08])


def merchant_count(customers: int) -> int:
    """Grows with the square root of the book: a bigger bank sees more, but not linearly more."""
    return int(round(1000 + 20 * np.sqrt(customers)))


class GroupIndex:
    """Members sorted by an integer key, with each key's start and size, for vectorised picks."""

    def __init__(self, members: np.ndarray, keys: np.ndarray, n_keys: int) -> None:
        order = np.argsort(keys, kind="stable")
        self.members = members[order]
        self.sizes = np.bincount(keys, minlength=n_keys)
        self.starts = np.cumsum(self.sizes) - self.sizes

    def pick(self, key: np.ndarray, u: np.ndarray, skew: float = 1.0) -> np.ndarray:
        """A member per row for the row's key; -1 where the key has no members."""
        sizes = self.sizes[key]
        slot = pick_in_groups(u, self.starts[key], sizes, skew)
        found = sizes > 0
        out = np.full(len(key), -1, dtype=np.int64)
        out[found] = self.members[np.minimum(slot[found], len(self.members) - 1)]
        return out


@dataclass
class Merchants:
    category: np.ndarray
    mcc: np.ndarray  # index into CATEGORY_MCCS[category]
    city: np.ndarray  # index into CITY_NAMES, -1 abroad
    country: np.ndarray  # index into COUNTRIES, -1 = India
    prefix: np.ndarray
    core: np.ndarray
    with_city: np.ndarray

    def __post_init__(self) -> None:
        idx = np.arange(len(self.category))
        domestic = self.country < 0
        n_cat, n_city, n_country = ref.N_MERCHANT_CATEGORIES, len(ref.CITIES), len(ref.COUNTRIES)
        self.by_category_city = GroupIndex(
            idx[domestic], self.category[domestic] * n_city + self.city[domestic], n_cat * n_city
        )
        self.by_category = GroupIndex(idx[domestic], self.category[domestic], n_cat)
        self.foreign_by_category = GroupIndex(idx[~domestic], self.category[~domestic], n_cat)
        self.foreign_by_category_country = GroupIndex(
            idx[~domestic],
            self.category[~domestic] * n_country + self.country[~domestic],
            n_cat * n_country,
        )
        self.foreign = idx[~domestic]

    def __len__(self) -> int:
        return len(self.category)


def draw_merchants(rng: np.random.Generator, n: int) -> Merchants:
    foreign = rng.random(n) < FOREIGN_SHARE
    category = np.where(
        foreign,
        choose(rng, FOREIGN_CATEGORY_SHARE, n),
        choose(rng, ref.MERCHANT_CATEGORY_SHARE, n),
    )
    # Merchants cluster in big cities even more than customers do.
    city = np.where(foreign, -1, choose(rng, ref.CITY_WEIGHTS**1.1, n))
    country = np.where(foreign, choose(rng, ref.COUNTRY_WEIGHTS, n), -1)
    mcc = np.zeros(n, dtype=np.int64)
    prefix = np.zeros(n, dtype=np.int64)
    core = np.zeros(n, dtype=np.int64)
    for k, name in enumerate(ref.MERCHANT_CATEGORIES):
        rows = category == k
        n_mcc = len(ref.CATEGORY_MCCS[name])
        mcc_weights = np.r_[2.0, np.ones(n_mcc - 1)]
        mcc[rows] = choose(rng, mcc_weights, int(rows.sum()))
        prefixes, cores = ref.MERCHANT_NAME_PARTS[name]
        prefix[rows] = rng.integers(0, len(prefixes), int(rows.sum()))
        core[rows] = rng.integers(0, len(cores), int(rows.sum()))
    with_city = rng.random(n) < 0.35
    return Merchants(category, mcc, city, country, prefix, core, with_city)


def merchants_table(m: Merchants) -> pa.Table:
    """The raw `merchants` rows, in contract column order."""
    n = len(m)
    # Names are assembled per category so the text work stays in Arrow, not a Python loop.
    name_col = np.empty(n, dtype=object)
    mcc_col = np.empty(n, dtype=object)
    for k, cat in enumerate(ref.MERCHANT_CATEGORIES):
        rows = np.flatnonzero(m.category == k)
        prefixes, cores = ref.MERCHANT_NAME_PARTS[cat]
        name_col[rows] = np.char.add(
            np.char.add(np.array(prefixes)[m.prefix[rows]], " "), np.array(cores)[m.core[rows]]
        )
        mcc_col[rows] = np.array(ref.CATEGORY_MCCS[cat])[m.mcc[rows]]
    domestic = m.country < 0
    city_names = np.where(
        domestic,
        np.array(ref.CITY_NAMES, dtype=object)[np.maximum(m.city, 0)],
        np.array(ref.COUNTRY_CITIES, dtype=object)[np.maximum(m.country, 0)],
    )
    name_arr = pa.array(name_col, type=pa.string())
    city_arr = pa.array(city_names, type=pa.string())
    name_arr = pc.if_else(
        pa.array(m.with_city), pc.binary_join_element_wise(name_arr, city_arr, " "), name_arr
    )
    country = np.where(
        domestic, ref.HOME_COUNTRY, np.array(ref.COUNTRY_CODES, dtype=object)[np.maximum(m.country, 0)]
    )
    columns = {
        "merchant_id": encode.ids("M", np.arange(1, n + 1), 6),
        "merchant_name": name_arr,
        "mcc": pa.array(mcc_col, type=pa.string()),
        "category": encode.labels(ref.MERCHANT_CATEGORIES, m.category),
        "city": city_arr,
        "country_code": pa.array(country, type=pa.string()),
    }
    return pa.table(columns, schema=arrow_schema("merchants", only=columns))
