"""Cities: which segments each large city is made of, and how the cities compare."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from bankmart.dashboard import data, queries

st.title("Cities")
filters = data.current_filters(data.PAGE_FILTERS["cities"])
st.caption(data.describe_filters(filters))

if not data.not_built(queries.SEGMENTS, what="City x segment view"):
    top_n = st.slider("Largest cities shown", min_value=3, max_value=40, value=15, key="top_cities")
    mix = data.query("city_segment_mix", f=filters, top_n=top_n)
    if mix.empty and not filters.narrows_customers:
        st.info("No customer has a known home city: this bank's data carries none.")
    elif mix.empty:
        st.info("No customers for these filters.")
    else:
        cities = list(dict.fromkeys(mix["city"]))
        heat = mix.pivot_table(index="city", columns="segment_name", values="share_of_city",
                               fill_value=0).reindex(cities)
        fig = px.imshow(heat, text_auto=".0%", aspect="auto", color_continuous_scale="Blues",
                        title="Share of each city's customers by segment",
                        labels={"x": "Segment", "y": "City", "color": "Share"})
        fig.update_layout(height=max(350, 28 * len(cities) + 150))
        st.plotly_chart(fig, config=data.PLOTLY_CONFIG)

        st.subheader("Normalised city profiles")
        if not data.not_built(queries.CITY_PROFILES, what="Normalised city profiles"):
            profiles = data.query("city_profiles", cities=cities)
            long = profiles.melt(id_vars=["city", "customers"],
                                 value_vars=["norm_recency", "norm_frequency", "norm_spend"],
                                 var_name="measure", value_name="value")
            long["measure"] = long["measure"].str.removeprefix("norm_").str.capitalize()
            fig = px.bar(long, x="city", y="value", color="measure", barmode="group",
                         title="Recency (days since last transaction), frequency and spend: "
                         "0 = lowest of these cities, 1 = highest",
                         labels={"city": "", "value": "Normalised (0–1)", "measure": ""},
                         category_orders={"city": cities})
            st.plotly_chart(fig, config=data.PLOTLY_CONFIG)
            with st.expander("City averages (original units)"):
                st.dataframe(
                    profiles[["city", "customers", "recency_days", "frequency", "spend"]],
                    hide_index=True,
                    column_config={
                        "recency_days": st.column_config.NumberColumn("Recency (days)", format="%.0f"),
                        "frequency": st.column_config.NumberColumn("Txns / month", format="%.2f"),
                        "spend": st.column_config.NumberColumn("Avg spend (INR)", format="%.0f"),
                    },
                )
