"""Card, ATM, transfer and UPI transactions for one chunk of customers.

Counts come first (a Poisson draw per customer-month from the customer's activity, the calendar
month's seasonality and the customer's own month-to-month volatility); then every attribute is
drawn for all rows of the chunk at once: channel from the customer's channel mix, whether it
happens abroad, hour of day, category, merchant, payment type, account and a log-normal amount.

Planted risk adds rows of its own kind (ATM cash-out, cross-border burst, fraud burst) or
changes the customer's last months (spend spike). Fraud is also sprinkled thinly over everyone,
and decoy customers get legitimate transactions that merely look suspicious.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankmart.generate import encode
from bankmart.generate import reference as ref
from bankmart.generate.accounts import Accounts
from bankmart.generate.merchants import FOREIGN_CATEGORY_SHARE, Merchants
from bankmart.generate.personas import R_CASH_OUT, R_CROSS_BORDER, R_FRAUD, R_SPIKE, Customers
from bankmart.generate.sampling import choose, choose_rows_batched, lognormal_mean_one
from bankmart.generate.timeline import Timeline
from bankmart.raw_schema import arrow_schema

K_NORMAL, K_CASH_OUT, K_CROSS_BORDER, K_FRAUD, K_LOOKALIKE = range(5)
SPORADIC_FRAUD_SHARE = 0.02  # customers hit by a little fraud over 24 months
PENDING_LABEL_SHARE = 0.03  # last month's rows whose fraud label is not yet known (NULL)
MISSING_CATEGORY_SHARE = 0.01  # merchant rows without a category: staging uses the merchant's
TXN_CURRENCIES = [ref.HOME_CURRENCY, *ref.COUNTRY_CURRENCIES]
MONTH_COLUMN = "__month"  # window month index; drives the txn_month partition, never written


@dataclass
class Transactions:
    customer: np.ndarray
    account: np.ndarray  # chunk-local account index
    merchant: np.ndarray  # -1 = none
    seconds: np.ndarray
    month: np.ndarray
    amount: np.ndarray
    channel: np.ndarray
    payment_type: np.ndarray
    category: np.ndarray
    country: np.ndarray  # index into COUNTRIES, -1 = India
    is_fraud: np.ndarray  # 1, 0, or -1 for unknown
    category_missing: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)


def risk_months(timeline: Timeline) -> np.ndarray:
    """Mask of the final months where planted risk shows."""
    return np.arange(timeline.months) >= timeline.months - timeline.recent_months


def draw_transactions(
    rng: np.random.Generator, c: Customers, a: Accounts, m: Merchants, timeline: Timeline
) -> Transactions:
    n, months = len(c), timeline.months
    cal = timeline.calendar_month
    month_start = timeline.month_start_days[:-1]
    active = month_start[None, :] > c.joined_day[:, None]
    recent = risk_months(timeline)
    pattern = np.where(c.risk >= 0, c.risk, c.decoy)  # decoys behave like a mild version

    lam = (
        c.activity[:, None]
        * ref.MONTH_ACTIVITY[cal][None, :]
        * lognormal_mean_one(rng, c.volatility[:, None], (n, months))
    )
    spike = (pattern == R_SPIKE)[:, None] & recent[None, :]
    lam = np.where(spike, lam * (1 + 1.2 * c.risk_intensity[:, None]), lam)
    counts = {K_NORMAL: rng.poisson(lam * active)}
    for kind, risk_code, base, slope in (
        (K_CASH_OUT, R_CASH_OUT, 1.5, 2.5),
        (K_CROSS_BORDER, R_CROSS_BORDER, 3.0, 4.0),
    ):
        lam_k = (pattern == risk_code)[:, None] & recent[None, :] & active
        counts[kind] = rng.poisson(lam_k * (base + slope * c.risk_intensity[:, None]))

    # Fraud burst (planted victims, labelled) or look-alike burst (decoys, legitimate), in one
    # month of the customer's history: fraud is not a recent-months phenomenon.
    first_active = np.searchsorted(month_start, c.joined_day, side="right")
    has_history = first_active < months
    burst_month = first_active + (rng.random(n) * (months - first_active)).astype(np.int64)
    burst_month = np.minimum(burst_month, months - 1)
    victim = (c.risk == R_FRAUD) & has_history
    lookalike = (c.decoy == R_FRAUD) & has_history
    burst_size = 1 + rng.poisson(11.0 * min(months, 24) / 24, n)
    fraud_burst = np.where(victim, burst_size, 0)
    lookalike_burst = np.where(lookalike, 2 + rng.poisson(2.0, n), 0)
    # Sporadic fraud on ordinary customers: real, labelled, but not planted risk, so a risk
    # model that flags them scores a false positive (as it would in a real bank).
    hit = has_history & (rng.random(n) < SPORADIC_FRAUD_SHARE * max(months / 24, 0.25))
    sporadic = np.where(hit, 1 + rng.poisson(1.5, n), 0)

    cust_parts, month_parts, kind_parts = [], [], []
    rows, cols = np.indices((n, months))
    for kind, matrix in counts.items():
        flat = matrix.ravel()
        cust_parts.append(np.repeat(rows.ravel(), flat))
        month_parts.append(np.repeat(cols.ravel(), flat))
        kind_parts.append(np.full(int(flat.sum()), kind))
    for kind, size, month_of in (
        (K_FRAUD, fraud_burst, burst_month),
        (K_LOOKALIKE, lookalike_burst, burst_month),
    ):
        cust_parts.append(np.repeat(np.arange(n), size))
        month_parts.append(np.repeat(month_of, size))
        kind_parts.append(np.full(int(size.sum()), kind))
    spor_cust = np.repeat(np.arange(n), sporadic)
    spor_month = first_active[spor_cust] + (
        rng.random(len(spor_cust)) * (months - first_active[spor_cust])
    ).astype(np.int64)
    cust_parts.append(spor_cust)
    month_parts.append(np.minimum(spor_month, months - 1))
    kind_parts.append(np.full(len(spor_cust), K_FRAUD))

    cust = np.concatenate(cust_parts).astype(np.int64)
    month = np.concatenate(month_parts).astype(np.int64)
    kind = np.concatenate(kind_parts).astype(np.int64)
    return _attributes(rng, c, a, m, timeline, cust, month, kind, burst_month, recent, pattern)


@dataclass
class _Rows:
    """What every row of the chunk is, before its attributes are drawn."""

    cust: np.ndarray
    month: np.ndarray
    kind: np.ndarray
    cal: np.ndarray

    @property
    def fraud(self) -> np.ndarray:
        return self.kind == K_FRAUD

    @property
    def odd(self) -> np.ndarray:
        """Looks suspicious (night, abroad, big, unfamiliar merchant): fraud and look-alikes."""
        return (self.kind == K_FRAUD) | (self.kind == K_LOOKALIKE)


def _attributes(
    rng: np.random.Generator,
    c: Customers,
    a: Accounts,
    m: Merchants,
    timeline: Timeline,
    cust: np.ndarray,
    month: np.ndarray,
    kind: np.ndarray,
    burst_month: np.ndarray,
    recent: np.ndarray,
    pattern: np.ndarray,
) -> Transactions:
    """Draw every attribute of every row; each step is a helper so its temporaries die young."""
    r = _Rows(cust, month, kind, timeline.calendar_month[month])
    channel = _channels(rng, c, r)
    abroad, destination = _abroad(rng, c, r, channel, timeline)
    category = _categories(rng, c, r, channel, abroad)
    merchant, category, country = _merchants(rng, c, m, r, channel, abroad, destination, category)
    seconds = _seconds(rng, c, r, channel, burst_month, timeline)
    payment, account = _payment_and_account(rng, c, a, r, channel, abroad)
    amount = _amounts(rng, c, r, channel, category, abroad, pattern, recent)

    is_fraud = r.fraud.astype(np.int8)
    pending = (month == timeline.months - 1) & (rng.random(len(cust)) < PENDING_LABEL_SHARE)
    is_fraud[pending] = -1
    category_missing = (merchant >= 0) & (rng.random(len(cust)) < MISSING_CATEGORY_SHARE)

    order = np.argsort(seconds)  # introsort: deterministic, and faster than stable sorts
    return Transactions(
        customer=cust[order],
        account=account[order],
        merchant=merchant[order],
        seconds=seconds[order],
        month=month[order],
        amount=amount[order],
        channel=channel[order],
        payment_type=payment[order],
        category=category[order],
        country=country[order],
        is_fraud=is_fraud[order],
        category_missing=category_missing[order],
    )


def _channels(rng: np.random.Generator, c: Customers, r: _Rows) -> np.ndarray:
    k = len(r.cust)
    channel = np.empty(k, dtype=np.int64)
    normal = r.kind == K_NORMAL
    normal_cust = r.cust[normal]
    channel[normal] = choose_rows_batched(
        rng, len(normal_cust), lambda rows: c.channel_mix[normal_cust[rows]]
    )
    channel[r.kind == K_CASH_OUT] = ref.CH_ATM
    xb = r.kind == K_CROSS_BORDER
    channel[xb] = np.where(rng.random(int(xb.sum())) < 0.6, ref.CH_ONLINE, ref.CH_CARD)
    fraud = r.fraud
    channel[fraud] = np.array([ref.CH_ONLINE, ref.CH_CARD, ref.CH_ATM])[
        choose(rng, [0.6, 0.25, 0.15], int(fraud.sum()))
    ]
    look = r.kind == K_LOOKALIKE
    channel[look] = np.where(rng.random(int(look.sum())) < 0.7, ref.CH_ONLINE, ref.CH_CARD)
    return channel


def _abroad(
    rng: np.random.Generator, c: Customers, r: _Rows, channel: np.ndarray, timeline: Timeline
) -> tuple[np.ndarray, np.ndarray]:
    """Card and ATM use abroad happens on trips (a few months a year for travellers); online
    purchases from foreign sites any time. Returns (abroad, destination country)."""
    k = len(r.cust)
    season = ref.MONTH_CROSS_BORDER[timeline.calendar_month]
    trip_p = np.clip(c.cross_border[:, None] * 2.5 * season[None, :], 0, 0.9)
    on_trip = rng.random((len(c), timeline.months)) < trip_p
    u = rng.random(k)
    card_or_atm = (channel == ref.CH_CARD) | (channel == ref.CH_ATM)
    abroad = np.where(card_or_atm, on_trip[r.cust, r.month] & (u < 0.55), False)
    online = channel == ref.CH_ONLINE
    abroad[online] = u[online] < c.cross_border[r.cust[online]] * 0.6
    abroad = np.where(r.kind == K_CROSS_BORDER, u < 0.92, abroad)
    abroad = np.where(r.odd, u < 0.6, abroad)
    abroad &= (channel != ref.CH_TRANSFER) & (channel != ref.CH_INSTANT)
    destination = np.where(
        rng.random(k) < 0.7, c.home_country[r.cust], choose(rng, ref.COUNTRY_WEIGHTS, k)
    )
    return abroad, destination


# (calendar month, channel, abroad) -> weight per merchant category: seasonality x what the
# channel is used for x (abroad) only where foreign merchants trade.
_CATEGORY_CONTEXT = (
    ref.MONTH_CATEGORY[:, None, None, :]
    * ref.CHANNEL_CATEGORY_AFFINITY[None, :, None, :]
    * np.stack([np.ones(ref.N_MERCHANT_CATEGORIES), (FOREIGN_CATEGORY_SHARE > 0) * 1.0])[None, None]
).reshape(-1, ref.N_MERCHANT_CATEGORIES)
# Where stolen cards go: electronics, travel, entertainment, others, apparel.
_ODD_CATEGORIES = np.array([7, 8, 5, 9, 6])
_ODD_CATEGORY_WEIGHTS = [0.35, 0.25, 0.15, 0.15, 0.1]


def _categories(
    rng: np.random.Generator, c: Customers, r: _Rows, channel: np.ndarray, abroad: np.ndarray
) -> np.ndarray:
    category = np.full(len(r.cust), ref.CAT_CASH, dtype=np.int64)
    category[channel == ref.CH_TRANSFER] = ref.CAT_TRANSFERS
    shop = (channel != ref.CH_ATM) & (channel != ref.CH_TRANSFER)
    odd = r.odd
    plain = shop & ~odd
    plain_cust = r.cust[plain]
    plain_context = (r.cal[plain] * len(ref.CHANNELS) + channel[plain]) * 2 + abroad[plain]
    category[plain] = choose_rows_batched(
        rng,
        len(plain_cust),
        lambda rows: c.category_mix[plain_cust[rows]] * _CATEGORY_CONTEXT[plain_context[rows]],
    )
    odd_shop = shop & odd
    category[odd_shop] = _ODD_CATEGORIES[choose(rng, _ODD_CATEGORY_WEIGHTS, int(odd_shop.sum()))]
    return category


def _merchants(
    rng: np.random.Generator,
    c: Customers,
    m: Merchants,
    r: _Rows,
    channel: np.ndarray,
    abroad: np.ndarray,
    destination: np.ndarray,
    category: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shops near home (popular ones most), online anywhere in India, abroad in the trip's
    country; fraud at a uniformly random merchant. Returns (merchant, category, country)."""
    k = len(r.cust)
    odd = r.odd
    shop = (channel != ref.CH_ATM) & (channel != ref.CH_TRANSFER)
    merchant = np.full(k, -1, dtype=np.int64)
    u1, u2 = rng.random(k), rng.random(k)
    dom = shop & ~abroad
    local = np.flatnonzero(dom & (channel != ref.CH_ONLINE) & (u1 < 0.8) & ~odd)
    key = category[local] * len(ref.CITIES) + c.city[r.cust[local]]
    merchant[local] = m.by_category_city.pick(key, u2[local], skew=2.2)
    national = dom & (merchant < 0) & ~odd
    merchant[national] = m.by_category.pick(category[national], u2[national], skew=1.8)
    odd_dom = dom & odd
    merchant[odd_dom] = m.by_category.pick(category[odd_dom], u2[odd_dom], skew=1.0)
    away = np.flatnonzero(shop & abroad)
    fkey = category[away] * len(ref.COUNTRIES) + destination[away]
    merchant[away] = m.foreign_by_category_country.pick(fkey, u2[away], skew=1.5)
    fallback = away[merchant[away] < 0]
    merchant[fallback] = m.foreign_by_category.pick(category[fallback], u2[fallback], skew=1.2)
    still = away[merchant[away] < 0]
    merchant[still] = m.foreign[(u2[still] * len(m.foreign)).astype(np.int64)]
    has_merchant = merchant >= 0
    category[has_merchant] = m.category[merchant[has_merchant]]
    country = np.where(abroad, destination, -1)
    country[away] = m.country[merchant[away]]
    return merchant, category, country


def _seconds(
    rng: np.random.Generator,
    c: Customers,
    r: _Rows,
    channel: np.ndarray,
    burst_month: np.ndarray,
    timeline: Timeline,
) -> np.ndarray:
    """Timestamp (epoch seconds): a day in the month, an hour by channel or at night."""
    k = len(r.cust)
    odd = r.odd
    night = np.where(odd, rng.random(k) < 0.6, rng.random(k) < c.night[r.cust])
    hour = np.empty(k, dtype=np.int64)
    hour[night] = ref.NIGHT_HOURS[choose(rng, ref.NIGHT_WEIGHTS, int(night.sum()))]
    day_rows = np.flatnonzero(~night)
    for ch in range(len(ref.CHANNELS)):
        rows = day_rows[channel[day_rows] == ch]
        hour[rows] = choose(rng, ref.HOUR_WEIGHTS[ch], len(rows))
    days = timeline.days_in_month[r.month]
    day = (rng.random(k) * days).astype(np.int64)
    # Fraud and look-alike bursts happen within a few days.
    burst_day = (rng.random(len(c)) * 27).astype(np.int64)
    in_burst = odd & (r.month == burst_month[r.cust])
    day = np.where(in_burst, np.minimum(burst_day[r.cust] + rng.integers(0, 4, k), days - 1), day)
    return (timeline.month_start_days[r.month] + day) * 86400 + hour * 3600 + rng.integers(0, 3600, k)


def _payment_and_account(
    rng: np.random.Generator,
    c: Customers,
    a: Accounts,
    r: _Rows,
    channel: np.ndarray,
    abroad: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Payment type follows the channel; the account follows the payment type."""
    k = len(r.cust)
    fraud = r.fraud
    cust = r.cust
    credit = (a.card[cust] >= 0) & (rng.random(k) < np.where(fraud, 0.75, c.credit_pref[cust]))
    payment = np.full(k, ref.PT_DEBIT, dtype=np.int64)
    payment[channel == ref.CH_INSTANT] = ref.PT_INSTANT
    payment[channel == ref.CH_TRANSFER] = ref.PT_NETBANKING
    card_like = (channel == ref.CH_CARD) | (channel == ref.CH_ONLINE)
    payment[card_like & credit] = ref.PT_CREDIT
    netbanking = (channel == ref.CH_ONLINE) & ~credit & (rng.random(k) < 0.2) & ~fraud
    payment[netbanking] = ref.PT_NETBANKING

    account = a.primary[cust]
    on_card = np.flatnonzero(payment == ref.PT_CREDIT)
    second = (a.card2[cust[on_card]] >= 0) & (rng.random(len(on_card)) < 0.3)
    account[on_card] = np.where(second, a.card2[cust[on_card]], a.card[cust[on_card]])
    transfer = np.flatnonzero(channel == ref.CH_TRANSFER)
    secondary = a.secondary[cust[transfer]]
    use = (secondary >= 0) & (rng.random(len(transfer)) < 0.3)
    account[transfer[use]] = secondary[use]
    debit_abroad = np.flatnonzero(abroad & (payment == ref.PT_DEBIT))
    fx = a.fx[cust[debit_abroad]]
    use = (fx >= 0) & (rng.random(len(debit_abroad)) < 0.6)  # forex card
    account[debit_abroad[use]] = fx[use]
    return payment, account


_MEDIANS = np.array([ref.CATEGORY_AMOUNT[name][0] for name in ref.CATEGORIES])
_SIGMAS = np.array([ref.CATEGORY_AMOUNT[name][1] for name in ref.CATEGORIES])


def _amounts(
    rng: np.random.Generator,
    c: Customers,
    r: _Rows,
    channel: np.ndarray,
    category: np.ndarray,
    abroad: np.ndarray,
    pattern: np.ndarray,
    recent: np.ndarray,
) -> np.ndarray:
    """INR amount: log-normal by category around the customer's own ticket size."""
    k = len(r.cust)
    cust = r.cust
    amount = _MEDIANS[category] * c.ticket[cust] * ref.MONTH_TICKET[r.cal]
    amount *= np.exp(_SIGMAS[category] * c.spread[cust] * rng.standard_normal(k))
    amount[channel == ref.CH_INSTANT] *= 0.55  # UPI: small everyday payments
    amount[abroad] *= 1.3
    spiking = np.flatnonzero((pattern[cust] == R_SPIKE) & recent[r.month])
    amount[spiking] *= 1 + 0.8 * c.risk_intensity[cust[spiking]]
    cash_out = np.flatnonzero(r.kind == K_CASH_OUT)
    amount[cash_out] = (
        8000 * np.sqrt(c.risk_intensity[cust[cash_out]]) * rng.lognormal(0, 0.4, len(cash_out))
    )
    odd = np.flatnonzero(r.odd)
    amount[odd] = rng.lognormal(np.log(12000), 0.9, len(odd))
    testing = np.flatnonzero(r.fraud & (rng.random(k) < 0.2))  # card testing: tiny amounts
    amount[testing] = rng.uniform(20, 500, len(testing))
    atm = channel == ref.CH_ATM
    amount[atm] = np.clip(np.round(amount[atm] / 100) * 100, 100, 50000)
    np.clip(amount, 1.0, 2_500_000, out=amount)
    transfer = channel == ref.CH_TRANSFER
    amount[transfer] = np.round(amount[transfer])
    return encode.money(amount)


def transactions_table(t: Transactions, a: Accounts, first_number: int) -> pa.Table:
    """The raw `transactions` rows of a chunk plus the hidden month column for partitioning."""
    has_merchant = t.merchant >= 0
    abroad = t.country >= 0
    country = np.maximum(t.country, 0)
    columns = {
        "transaction_id": encode.ids("T", np.arange(first_number, first_number + len(t)), 12),
        "account_id": encode.ids("A", a.number[t.account], 8),
        "merchant_id": pc.if_else(
            pa.array(has_merchant),
            encode.ids("M", t.merchant + 1, 6),
            pa.scalar(None, pa.string()),
        ),
        "transaction_at": encode.timestamps(t.seconds),
        "amount": pa.array(t.amount),
        "currency": encode.labels(TXN_CURRENCIES, np.where(abroad, country + 1, 0)),
        "channel": encode.labels(ref.CHANNELS, t.channel),
        "payment_type": encode.labels(ref.PAYMENT_TYPES, t.payment_type),
        "category": encode.labels(ref.CATEGORIES, t.category, valid=~t.category_missing),
        "country_code": encode.labels([ref.HOME_COUNTRY, *ref.COUNTRY_CODES],
                                      np.where(abroad, country + 1, 0)),
        "is_fraud": pa.array(t.is_fraud.astype(np.int32), mask=t.is_fraud < 0),
    }
    table = pa.table(columns, schema=arrow_schema("transactions", only=columns))
    return table.append_column(MONTH_COLUMN, pa.array(t.month.astype(np.int16)))
