"""Streamlit glue: where the serving file is, cached queries, filters and shared page parts.

Caching is keyed on the serving file's identity (inode, size, modification time), so a new
publish is picked up on the next interaction without restarting the dashboard, and an unchanged
file is never queried twice for the same thing. The connection is opened per cache miss and
closed straight away: the dashboard never holds the file, so on Windows it never blocks a publish.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from bankmart.dashboard import queries
from bankmart.dashboard.queries import Filters
from bankmart.settings import load_settings

FileVersion = tuple[int, int, int]

# Session-state keys of the global filters (shared by app.py and the pages).
CITY_KEY, SEGMENT_KEY, TIER_KEY, MONTH_KEY = "filter_city", "filter_segment", "filter_tier", "filter_months"

# Which global filters each page applies, by the page's url path. Tier and segment results are
# computed over each customer's whole history, so the month range does not apply to them.
PAGE_FILTERS: dict[str, set[str]] = {
    "portfolio": {"city", "segment", "tier", "month"},
    "spend-tiers": {"city", "segment", "tier"},
    "segments": {"city", "tier"},
    "cities": {"city", "segment", "tier"},
    "risk": {"city", "segment", "tier"},
    "customer-360": set(),
    "analyses": set(),
}


def serving_path() -> Path:
    return load_settings().serving_path


def file_version(path: Path) -> FileVersion | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(path: str, version: FileVersion, name: str, kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """Run ``queries.<name>`` once per serving-file version and arguments."""
    function: Callable[..., Any] = getattr(queries, name)
    with queries.open_serving(Path(path)) as con:
        arguments = dict(kwargs)
        if "tables" in function.__code__.co_varnames[: function.__code__.co_argcount]:
            arguments["tables"] = queries.available_tables(con)
        return function(con, **arguments)


def query(name: str, **kwargs: Any) -> Any:
    """A cached call of a function of :mod:`bankmart.dashboard.queries`."""
    path = serving_path()
    version = file_version(path)
    if version is None:
        raise FileNotFoundError(path)
    return _cached(str(path), version, name, tuple(sorted(kwargs.items())))


def tables() -> frozenset[str]:
    return query("available_tables")


def has(*names: str) -> bool:
    return all(name in tables() for name in names)


def delivers_spend() -> bool:
    """Whether the bank delivered spend at all (transactions or monthly spend aggregates)."""
    return bool(query("delivered_tables") & {"transactions", "monthly_spend"})


def no_spend_note(what: str) -> bool:
    """A note instead of spend figures for a bank that delivers no spend; True if the caller
    should skip them (a holdings extract or a loan book has no spend, not a spend of zero)."""
    if delivers_spend():
        return False
    st.info(f"**{what}: not applicable.** This bank's data has no transactions and no monthly "
            "spend, so there is no spend to show.", icon=":material/info:")
    return True


def not_built(*names: str, what: str) -> bool:
    """Show a clear "not built yet" note when a mart is missing; True if the caller should skip."""
    missing = [name for name in names if name not in tables()]
    if not missing:
        return False
    st.info(
        f"**{what}: not built yet.** The serving file has no "
        + ", ".join(f"`{m}`" for m in missing)
        + ". It appears here once the build produces it: run `make run` "
        "(or `bankmart build && bankmart publish`).",
        icon=":material/construction:",
    )
    return True


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


def month_options() -> list[date]:
    return query("month_options")


def current_filters(use: set[str]) -> Filters:
    """The global filters, restricted to those a page applies (``city``, ``segment``, ...)."""
    state = st.session_state
    months = state.get(MONTH_KEY) if "month" in use else None
    if not (isinstance(months, tuple | list) and len(months) == 2):
        months = None
    elif months and tuple(months) == _full_month_range():
        months = None  # every month offered: no month filter (keeps months the slider cannot show)
    return Filters(
        cities=tuple(state.get(CITY_KEY) or ()) if "city" in use else (),
        segments=tuple(state.get(SEGMENT_KEY) or ()) if "segment" in use else (),
        tiers=tuple(state.get(TIER_KEY) or ()) if "tier" in use else (),
        month_from=months[0] if months else None,
        month_to=months[1] if months else None,
    )


def _full_month_range() -> tuple[date, date] | None:
    months = month_options()
    return (months[0], months[-1]) if months else None


def render_filters(use: set[str]) -> None:
    """Sidebar widgets for the filters a page applies; values persist across pages."""
    if not use:
        return
    options = query("filter_options")
    sidebar = st.sidebar
    sidebar.header("Filters")
    if "city" in use:
        sidebar.multiselect("City", options["cities"], key=CITY_KEY, persist_state="session",
                            placeholder="All cities")
    if "segment" in use and options["segments"]:
        sidebar.multiselect("Segment", options["segments"], key=SEGMENT_KEY,
                            persist_state="session", placeholder="All segments")
    if "tier" in use and options["tiers"]:
        sidebar.multiselect("Spend tier", options["tiers"], key=TIER_KEY,
                            persist_state="session", placeholder="All tiers")
    if "month" in use:
        months = month_options()
        if len(months) > 1:
            current = st.session_state.get(MONTH_KEY)
            if current is not None and not (
                isinstance(current, tuple | list) and len(current) == 2
                and current[0] in months and current[1] in months
            ):
                del st.session_state[MONTH_KEY]  # a new publish changed the months on offer
            sidebar.select_slider("Months", options=months, value=(months[0], months[-1]),
                                  key=MONTH_KEY, persist_state="session",
                                  format_func=lambda d: d.strftime("%b %Y"))


def describe_filters(f: Filters) -> str:
    parts = []
    if f.cities:
        parts.append("cities: " + ", ".join(f.cities))
    if f.segments:
        parts.append("segments: " + ", ".join(f.segments))
    if f.tiers:
        parts.append("tiers: " + ", ".join(f.tiers))
    if f.month_from and f.month_to:
        parts.append(f"{f.month_from:%b %Y} to {f.month_to:%b %Y}")
    return "Filtered to " + "; ".join(parts) if parts else "All customers"


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


def inr(value: float | None) -> str:
    """Rupees the way Indian readers expect large sums: lakh (1e5) and crore (1e7)."""
    if value is None or pd.isna(value):
        return "–"
    amount = float(value)
    if abs(amount) >= 1e7:
        return f"₹{amount / 1e7:,.2f} Cr"
    if abs(amount) >= 1e5:
        return f"₹{amount / 1e5:,.2f} L"
    return f"₹{amount:,.0f}"


def percent(value: float | None, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def count(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{int(value):,}"


def label(code: str | None) -> str:
    """snake_case codes as words for chart labels (the codes stay in downloads)."""
    return "Unknown" if code is None else str(code).replace("_", " ").capitalize()


PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
