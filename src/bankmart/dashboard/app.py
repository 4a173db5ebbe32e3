"""bankmart dashboard: the entry script `streamlit run` executes on every interaction.

It only frames the pages: navigation, the global filters of the current page, and what the
serving file is. If there is no serving file yet, every page says how to build one.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from bankmart.dashboard import data

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="bankmart", page_icon="🏦", layout="wide")

PAGES = [
    st.Page(VIEWS / "portfolio.py", title="Portfolio", icon=":material/dashboard:",
            url_path="portfolio", default=True),
    st.Page(VIEWS / "spend_tiers.py", title="Spend tiers", icon=":material/stacked_bar_chart:",
            url_path="spend-tiers"),
    st.Page(VIEWS / "segments.py", title="Segments", icon=":material/bubble_chart:",
            url_path="segments"),
    st.Page(VIEWS / "cities.py", title="Cities", icon=":material/location_city:",
            url_path="cities"),
    st.Page(VIEWS / "risk.py", title="Risk", icon=":material/warning:", url_path="risk"),
    st.Page(VIEWS / "customer_360.py", title="Customer 360", icon=":material/person_search:",
            url_path="customer-360"),
    st.Page(VIEWS / "analyses.py", title="Data set analyses", icon=":material/query_stats:",
            url_path="analyses"),
]
page = st.navigation(PAGES)

path = data.serving_path()
if data.file_version(path) is None:
    st.title("bankmart")
    st.warning(f"No published warehouse yet: `{path}` does not exist.", icon=":material/info:")
    st.markdown(
        """
        The dashboard reads only the **serving file** that `bankmart publish` writes after a
        green build, never the warehouse dbt is building. To make one:

        ```bash
        make run          # generate the demo bank, dbt build, publish
        ```

        or, on your own raw files: `bankmart build && bankmart publish`. Set
        `BANKMART_SERVING_DIR` if the serving file lives elsewhere, then reload this page.
        """
    )
    st.stop()

with st.sidebar:
    info = data.query("publish_info")
    if info:
        published = info.get("published_at")
        revision = (info.get("git_revision") or "")[:8]
        st.caption(
            f"Published {published:%d %b %Y %H:%M} UTC"
            + (f" · build {revision}" if revision else "")
        )

data.render_filters(data.PAGE_FILTERS.get(page.url_path or "portfolio", set()))
page.run()
