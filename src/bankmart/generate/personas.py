"""Customers: a latent persona, demographics that loosely follow it, and personal behaviour.

The persona only sets the *centre* of each customer's behaviour. Every customer draws their own
channel mix, category mix, ticket size, activity and so on around that centre with wide spread,
and demographics shift those draws too, so personas overlap the way real segments do and a
clustering can recover them only approximately.

A few customers also get planted risk behaviour (the ground truth the risk models are judged
on), and a few ordinary customers get a milder look-alike of it ("decoys"), so that risk is
detectable but never a clean cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bankmart.generate import encode
from bankmart.generate import reference as ref
from bankmart.generate.sampling import beta_around, choose, choose_rows, lognormal_mean_one
from bankmart.generate.timeline import Timeline
from bankmart.raw_schema import GROUND_TRUTH_COLUMNS, arrow_schema

RISK_PATTERNS = ["fraud_victim", "spend_spike", "cash_out", "late_repayer", "cross_border_burst"]
R_FRAUD, R_SPIKE, R_CASH_OUT, R_LATE, R_CROSS_BORDER = range(5)
RISK_PATTERN_WEIGHTS = np.array([0.24, 0.22, 0.18, 0.18, 0.18])
PLANTED_RISK_SHARE = 0.04
DECOY_SHARE = 0.03


@dataclass
class Customers:
    """One chunk of customers as parallel numpy arrays (index i = the i-th customer of the chunk)."""

    number: np.ndarray  # global customer number, 1-based: C0000001
    persona: np.ndarray
    occupation: np.ndarray
    age: np.ndarray
    birth_day: np.ndarray
    gender: np.ndarray  # index into GENDERS, -1 = not recorded
    marital: np.ndarray
    city: np.ndarray
    income: np.ndarray
    joined_day: np.ndarray
    loyalty: np.ndarray
    fee: np.ndarray
    relationship: np.ndarray
    nationality: np.ndarray
    risk_weighting: np.ndarray
    first_name: np.ndarray
    surname: np.ndarray
    birth_date_known: np.ndarray  # False: the source system holds only age / age group
    age_known: np.ndarray
    # behaviour
    activity: np.ndarray  # transactions per active month
    channel_mix: np.ndarray  # (n, 5)
    category_mix: np.ndarray  # (n, 10)
    ticket: np.ndarray
    spread: np.ndarray
    cross_border: np.ndarray
    night: np.ndarray
    volatility: np.ndarray
    credit_pref: np.ndarray
    late: np.ndarray
    home_country: np.ndarray  # favourite destination abroad (index into COUNTRIES)
    # risk
    risk: np.ndarray  # index into RISK_PATTERNS, -1 = none
    risk_intensity: np.ndarray
    decoy: np.ndarray  # look-alike pattern for ordinary customers, -1 = none

    def __len__(self) -> int:
        return len(self.number)


def draw_customers(
    rng: np.random.Generator, first_number: int, n: int, timeline: Timeline
) -> Customers:
    """Draw n customers numbered first_number, first_number + 1, ..."""
    as_of = timeline.last_day
    persona = choose(rng, ref.PERSONA_SHARE, n)
    traits = {name: values[persona] for name, values in ref.PERSONA_TRAITS.items()}

    occupation = choose_rows(rng, ref.PERSONA_OCCUPATION[persona])
    lo = np.array([o[3][0] for o in ref.OCCUPATIONS])[occupation]
    hi = np.array([o[3][1] for o in ref.OCCUPATIONS])[occupation]
    age_float = lo + (hi - lo) * rng.beta(2.0, 2.4, n) + traits["age_shift"] + rng.normal(0, 4, n)
    age_float = np.clip(age_float, np.maximum(18, lo - 2), np.minimum(80, hi + 6))
    birth_day = (as_of - age_float * 365.25).astype(np.int64)
    age = _age_on(birth_day, as_of)

    gender = choose(rng, [0.52, 0.475, 0.005], n)
    gender[rng.random(n) < 0.004] = -1
    married_p = 1 / (1 + np.exp(-(age - 28.0) / 3.5)) * 0.88
    marital = np.where(rng.random(n) < married_p, 1, 0)
    later = rng.random(n)
    marital[(marital == 1) & (later < 0.05)] = 2
    marital[(marital == 1) & (age > 55) & (later > 1 - (age - 55) / 80)] = 3

    city_weights = np.tile(ref.CITY_WEIGHTS, (n, 1))
    metro_bias = np.select(
        [persona == ref.P_CASH, np.isin(persona, [ref.P_DIGITAL, ref.P_CROSS_BORDER])],
        [0.6, 1.4],
        1.0,
    )
    city_weights[:, : ref.N_METROS] *= metro_bias[:, None]
    city = choose_rows(rng, city_weights)

    median = np.array([o[1] for o in ref.OCCUPATIONS])[occupation]
    sigma = np.array([o[2] for o in ref.OCCUPATIONS])[occupation]
    working = ~np.isin(occupation, [5, 6])
    age_factor = np.where(working, np.exp(0.022 * (np.minimum(age, 50) - 35)), 1.0)
    metro = np.where(city < ref.N_METROS, 1.15, 0.92)
    income = median * age_factor * metro * traits["income"] * np.exp(rng.normal(0, sigma, n))
    income = np.round(np.clip(income, 10_000, 1_000_000), -2)

    # Tenure (at most 20 years at the as-of date): most customers are years old; a few join
    # during the window (they have fewer active months, as new customers do).
    window_years = (as_of - timeline.first_day) / 365.25
    years = np.minimum(rng.gamma(1.6, 3.8, n), np.minimum(20.0, age - 18.0) - window_years)
    joined_day = (timeline.first_day - np.maximum(years, 0.05) * 365.25).astype(np.int64)
    new_customer = rng.random(n) < 0.07
    window_days = max(timeline.last_day - timeline.first_day - 28, 1)
    joined_day = np.where(
        new_customer, timeline.first_day + (rng.random(n) * window_days).astype(np.int64), joined_day
    )
    tenure_years = (as_of - joined_day) / 365.25

    income_z = (np.log(income) - np.log(50000.0)) / 0.7
    loyalty_score = 0.55 * (tenure_years - 6.0) / 5.0 + 0.45 * income_z + rng.normal(0, 0.6, n)
    loyalty = np.searchsorted([-0.14, 0.49, 1.19], loyalty_score)
    fee_by_loyalty = np.array([[0.55, 0.35, 0.10], [0.35, 0.50, 0.15], [0.15, 0.50, 0.35],
                               [0.05, 0.25, 0.70]])
    fee = choose_rows(rng, fee_by_loyalty[loyalty])
    relationship = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    relationship[(occupation == 3) & (u < 0.45)] = 3
    relationship[(income > 200_000) & (u > 0.5)] = 2
    relationship[rng.random(n) < 0.015] = 1
    nationality_w = np.tile(ref.NATIONALITY_WEIGHTS, (n, 1))
    nationality_w[persona == ref.P_CROSS_BORDER, 1:] *= 3
    nationality = choose_rows(rng, nationality_w)
    risk_weighting = 1 + np.searchsorted([-0.8, -0.1, 0.5, 1.2], income_z + rng.normal(0, 0.5, n))

    first_name = np.where(
        gender == 1,
        rng.integers(0, len(ref.FIRST_NAMES_FEMALE), n),
        rng.integers(0, len(ref.FIRST_NAMES_MALE), n),
    )
    surname = rng.integers(0, len(ref.SURNAMES), n)
    missing = rng.random(n)
    birth_date_known = missing >= 0.03
    age_known = missing >= 0.01  # 1%: only the age group survives the source system

    behaviour = _draw_behaviour(rng, persona, traits, age, income, occupation, city)
    # Risk is planted only on customers with history before the recent months: a pattern
    # needs a normal past to stand out from.
    seasoned = joined_day < timeline.recent_start_day - 31
    risk, intensity, decoy = _draw_risk(rng, persona, seasoned)
    return Customers(
        number=np.arange(first_number, first_number + n, dtype=np.int64),
        persona=persona,
        occupation=occupation,
        age=age,
        birth_day=birth_day,
        gender=gender,
        marital=marital,
        city=city,
        income=income,
        joined_day=joined_day,
        loyalty=loyalty,
        fee=fee,
        relationship=relationship,
        nationality=nationality,
        risk_weighting=risk_weighting,
        first_name=first_name,
        surname=surname,
        birth_date_known=birth_date_known,
        age_known=age_known,
        risk=risk,
        risk_intensity=intensity,
        decoy=decoy,
        **behaviour,
    )


def _age_on(birth_day: np.ndarray, day: int) -> np.ndarray:
    """Whole years between birth and the given day."""
    by, bm, bd = encode.days_to_ymd(birth_day)
    y, m, d = (int(v[0]) for v in encode.days_to_ymd(np.array([day])))
    before_birthday = (bm > m) | ((bm == m) & (bd > d))
    return (y - by - before_birthday).astype(np.int64)


def _draw_behaviour(
    rng: np.random.Generator,
    persona: np.ndarray,
    traits: dict[str, np.ndarray],
    age: np.ndarray,
    income: np.ndarray,
    occupation: np.ndarray,
    city: np.ndarray,
) -> dict[str, np.ndarray]:
    n = len(persona)
    # Older customers use fewer digital channels and more cash; metros the reverse.
    channel_mean = ref.PERSONA_CHANNEL_MIX[persona].copy()
    digital_tilt = np.exp(-0.018 * (age - 38) + np.where(city < ref.N_METROS, 0.15, -0.15))
    channel_mean[:, ref.CH_ONLINE] *= digital_tilt
    channel_mean[:, ref.CH_INSTANT] *= digital_tilt
    channel_mean[:, ref.CH_ATM] /= digital_tilt
    channel_mean /= channel_mean.sum(axis=1, keepdims=True)
    channel_mix = _dirichlet_rows(rng, channel_mean, 9.0)

    category_mean = ref.PERSONA_CATEGORY_MIX[persona].copy()
    category_mean[occupation == 6, 2] *= 1.8  # retired: health
    category_mean[occupation == 5, 4] *= 1.5  # students: food
    category_mean /= category_mean.sum(axis=1, keepdims=True)
    category_mix = _dirichlet_rows(rng, category_mean, 12.0)

    income_ratio = income / 50000.0
    activity = traits["activity"] * income_ratio**0.08 * lognormal_mean_one(rng, 0.5, n)
    ticket = traits["ticket"] * income_ratio**0.4 * lognormal_mean_one(rng, 0.4, n)
    return {
        "activity": activity,
        "channel_mix": channel_mix,
        "category_mix": category_mix,
        "ticket": ticket,
        "cross_border": beta_around(rng, traits["cross_border"] * np.minimum(income_ratio, 3) ** 0.3, 8.0),
        "night": beta_around(rng, traits["night"], 14.0),
        "volatility": traits["volatility"] * lognormal_mean_one(rng, 0.35, n),
        "spread": traits["spread"] * lognormal_mean_one(rng, 0.15, n),
        "credit_pref": beta_around(rng, traits["credit_pref"], 6.0),
        "late": beta_around(rng, traits["late"], 5.0),
        "home_country": choose(rng, ref.COUNTRY_WEIGHTS, n),
    }


def _dirichlet_rows(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    """Per-row Dirichlet draws around each row's mean (gamma trick: vectorised across rows)."""
    draws = rng.gamma(mean * concentration)
    draws += 1e-12
    return draws / draws.sum(axis=1, keepdims=True)


def _draw_risk(
    rng: np.random.Generator, persona: np.ndarray, seasoned: np.ndarray
) -> tuple[np.ndarray, ...]:
    n = len(persona)
    weights = np.tile(RISK_PATTERN_WEIGHTS, (n, 1))
    weights[persona == ref.P_MICROLOAN, R_LATE] *= 3.0  # borrowers are the ones who can be late
    weights[persona == ref.P_CROSS_BORDER, R_CROSS_BORDER] *= 0.3  # a burst must stand out
    pattern = choose_rows(rng, weights)
    planted = (rng.random(n) < PLANTED_RISK_SHARE) & seasoned
    risk = np.where(planted, pattern, -1)
    # Intensity ~ 1 on average; some planted customers are mild and hard to spot.
    intensity = rng.lognormal(0.0, 0.55, n)
    decoy_pattern = choose(rng, RISK_PATTERN_WEIGHTS, n)
    decoy = np.where(~planted & seasoned & (rng.random(n) < DECOY_SHARE), decoy_pattern, -1)
    intensity = np.where(decoy >= 0, intensity * 0.45, intensity)
    return risk, intensity, decoy


def customers_table(c: Customers) -> pa.Table:
    """The raw `customers` rows of a chunk, in contract column order."""
    first = np.where(
        c.gender == 1,
        np.array(ref.FIRST_NAMES_FEMALE, dtype=object)[c.first_name % len(ref.FIRST_NAMES_FEMALE)],
        np.array(ref.FIRST_NAMES_MALE, dtype=object)[c.first_name % len(ref.FIRST_NAMES_MALE)],
    )
    full_name = pc.binary_join_element_wise(
        pa.array(first, type=pa.string()), encode.labels(ref.SURNAMES, c.surname), " "
    )
    age_group = np.searchsorted([g[1] for g in ref.AGE_GROUPS], c.age)
    columns = {
        "customer_id": encode.ids("C", c.number, 7),
        "full_name": full_name,
        "birth_date": encode.dates(c.birth_day, valid=c.birth_date_known),
        "age": pa.array(c.age.astype(np.int32), mask=~c.age_known),
        "age_group": encode.labels([g[2] for g in ref.AGE_GROUPS], age_group),
        "gender": encode.labels(ref.GENDERS, np.maximum(c.gender, 0), valid=c.gender >= 0),
        "marital_status": encode.labels(ref.MARITAL_STATUSES, c.marital),
        "city": encode.labels(ref.CITY_NAMES, c.city),
        "country_code": pa.array([ref.HOME_COUNTRY] * len(c), type=pa.string()),
        "occupation": encode.labels(ref.OCCUPATION_NAMES, c.occupation),
        "monthly_income": pa.array(c.income.astype(np.float64)),
        "joined_date": encode.dates(c.joined_day),
        "loyalty_class": encode.labels(ref.LOYALTY_CLASSES, c.loyalty),
        "fee_structure": encode.labels(ref.FEE_STRUCTURES, c.fee),
        "relationship_type": encode.labels(ref.RELATIONSHIP_TYPES, c.relationship),
        "nationality": encode.labels(ref.NATIONALITIES, c.nationality),
        "risk_weighting": pa.array(c.risk_weighting.astype(np.int32)),
    }
    return pa.table(columns, schema=arrow_schema("customers", only=columns))


def ground_truth_table(c: Customers) -> pa.Table:
    """The answer key for the ML checks: persona and planted risk per customer."""
    schema = pa.schema([(col.name, col.arrow_type) for col in GROUND_TRUTH_COLUMNS])
    planted = c.risk >= 0
    return pa.table(
        {
            "customer_id": encode.ids("C", c.number, 7),
            "persona": encode.labels(ref.PERSONAS, c.persona),
            "is_planted_risk": pa.array(planted.astype(np.int32)),
            "risk_pattern": encode.labels(RISK_PATTERNS, np.maximum(c.risk, 0), valid=planted),
        },
        schema=schema,
    )
