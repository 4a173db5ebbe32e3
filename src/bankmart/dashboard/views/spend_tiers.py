"""Spend tiers: how total spend is distributed, where the tier edges fall, who is in each tier."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from bankmart.dashboard import data, queries

st.title("Spend tiers")
filters = data.current_filters(data.PAGE_FILTERS["spend-tiers"])
st.caption(data.describe_filters(filters) + " · tiers rank each customer's whole history.")

if not data.not_built(queries.TIERS, what="Spend tiers"):
    sizes = data.query("tier_sizes", f=filters)
    histogram = data.query("spend_histogram", f=filters)
    if sizes.empty:
        st.info("No tiered customers for these filters.")
    else:
        cards = st.columns(len(sizes))
        for card, row in zip(cards, sizes.itertuples(index=False), strict=True):
            card.metric(f"{row.tier_name}", data.count(row.customers), border=True,
                        help=f"{row.tier_code}: {data.inr(row.min_value)} – {data.inr(row.max_value)}")

        histogram["label"] = histogram.apply(
            lambda r: f"{data.inr(r.bin_start)} – {data.inr(r.bin_end)}", axis=1
        )
        fig = px.bar(histogram, x="bin_start", y="customers",
                     hover_data={"label": True, "bin_start": False},
                     title="Customers by tier measure (last bar: top 1% and above)",
                     labels={"bin_start": "Tier measure (INR)", "customers": "Customers"})
        fig.update_traces(width=None)
        if data.has(queries.TIER_THRESHOLDS):
            thresholds = data.query("tier_thresholds")
            top = histogram["bin_end"].max()
            for row in thresholds.itertuples(index=False):
                edge = getattr(row, "upper_edge", None)
                if edge is not None and edge == edge and edge < top and row.tier_rank < len(thresholds):
                    fig.add_vline(x=float(edge), line_dash="dash", line_color="#d62728",
                                  annotation_text=str(row.tier_name), annotation_position="top")
        else:
            st.caption("Tier edges not marked: `marts.spend_tier_thresholds` is not built yet.")
        st.plotly_chart(fig, config=data.PLOTLY_CONFIG)

        left, right = st.columns(2)
        fig = px.bar(sizes, x="tier_name", y="customers", title="Tier sizes",
                     labels={"tier_name": "", "customers": "Customers"},
                     hover_data={"mean_value": ":,.0f"})
        left.plotly_chart(fig, config=data.PLOTLY_CONFIG)
        fig = px.bar(sizes, x="tier_name", y="mean_value", title="Average tier measure",
                     labels={"tier_name": "", "mean_value": "INR"})
        right.plotly_chart(fig, config=data.PLOTLY_CONFIG)

        left, right = st.columns(2)
        for column, by, title in ((left, "occupation", "Occupation by tier"),
                                  (right, "age_band", "Age band by tier")):
            mix = data.query("tier_mix", f=filters, by=by)
            fig = px.bar(mix, x="tier_name", y="share_of_tier", color=by, title=title,
                         labels={"tier_name": "", "share_of_tier": "Share of tier", by: ""},
                         category_orders={"tier_name": list(sizes["tier_name"])})
            fig.update_layout(yaxis_tickformat=".0%", barmode="stack")
            column.plotly_chart(fig, config=data.PLOTLY_CONFIG)

        if data.has(queries.TIER_THRESHOLDS):
            with st.expander("Tier thresholds (as published)"):
                st.dataframe(data.query("tier_thresholds"), hide_index=True)
