"""Spend tiers: how total spend is distributed, where the tier edges fall, who is in each tier."""

from __future__ import annotations

import math

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from bankmart.dashboard import data, queries

st.title("Spend tiers")
filters = data.current_filters(data.PAGE_FILTERS["spend-tiers"])
st.caption(data.describe_filters(filters) + " · tiers rank each customer's whole history.")

if not data.no_spend_note("Spend tiers") and not data.not_built(queries.TIERS, what="Spend tiers"):
    sizes = data.query("tier_sizes", f=filters)
    histogram = data.query("spend_histogram", f=filters)
    if sizes.empty:
        st.info("No tiered customers for these filters.")
    else:
        cards = st.columns(len(sizes))
        for card, row in zip(cards, sizes.itertuples(index=False), strict=True):
            card.metric(f"{row.tier_name}", data.count(row.customers), border=True,
                        help=f"{row.tier_code}: {data.inr(row.min_value)} – {data.inr(row.max_value)}")

        fig = go.Figure(go.Scatter(
            x=histogram["bin_mid"], y=histogram["customers"], mode="lines",
            line_shape="hvh", fill="tozeroy", name="Customers",
            customdata=histogram[["bin_start", "bin_end"]],
            hovertemplate="₹%{customdata[0]:,.0f} – ₹%{customdata[1]:,.0f}: "
                          "%{y:,} customers<extra></extra>",
        ))
        fig.update_layout(title="Customers by tier measure (log scale), tier edges dashed",
                          xaxis_title="Tier measure (INR, log scale)", yaxis_title="Customers",
                          showlegend=False)
        fig.update_xaxes(type="log")
        if data.has(queries.TIER_THRESHOLDS):
            thresholds = data.query("tier_thresholds")
            floor = max(float(histogram["bin_start"].min()), 1.0)
            for row in thresholds.itertuples(index=False):
                lower, upper = getattr(row, "lower_edge", None), getattr(row, "upper_edge", None)
                if row.tier_rank < thresholds["tier_rank"].max() and upper is not None and upper > 0:
                    fig.add_vline(x=float(upper), line_dash="dash", line_color="#d62728")
                if lower is not None and upper is not None and upper > 0:
                    # Tier name at the geometric middle of its range, above the curve.
                    # Narrow middle tiers alternate between two heights so names never overlap.
                    middle = (max(float(lower), floor) * float(upper)) ** 0.5
                    fig.add_annotation(x=math.log10(middle), y=1.0, yref="paper",
                                       text=str(row.tier_name), showarrow=False,
                                       yanchor="bottom", yshift=14 * (row.tier_rank % 2),
                                       font={"size": 11})
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
