"""Segments: who the clusters are, how big, and how the number of segments was chosen."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from bankmart.dashboard import data, queries

st.title("Segments")
filters = data.current_filters(data.PAGE_FILTERS["segments"])
st.caption(data.describe_filters(filters))

if not data.not_built(queries.SEGMENTS, queries.SEGMENT_PROFILES, what="Customer segments"):
    bubbles = data.query("segment_bubbles", f=filters)
    if bubbles.empty:
        st.info("No segmented customers for these filters.")
    else:
        fig = px.scatter(
            bubbles, x="avg_frequency", y="avg_total_spend", size="customers",
            color="segment_name", size_max=70, hover_data={"avg_recency_days": ":.0f"},
            title="Segments: frequency vs spend (bubble size = customers)",
            labels={"avg_frequency": "Transactions per month", "avg_total_spend":
                    "Average total spend (INR)", "segment_name": "Segment"},
        )
        st.plotly_chart(fig, config=data.PLOTLY_CONFIG)

    profiles = data.query("segment_profiles")
    st.subheader("Profiles")
    for row in profiles.to_dict("records"):
        with st.container(border=True):
            left, right = st.columns([1, 3])
            left.markdown(f"**{row.get('segment_name', row.get('segment_id'))}**")
            left.metric("Customers", data.count(row.get("customers")),
                        delta=None if row.get("share") is None else data.percent(row["share"]),
                        delta_color="off")
            right.markdown(row.get("description") or "")
            if row.get("recommended_action"):
                right.markdown(f":material/lightbulb: **Recommended action:** "
                               f"{row['recommended_action']}")
    centroid_columns = [c for c in profiles.columns if c.startswith(("avg_", "centroid_"))]
    if centroid_columns:
        with st.expander("Segment centroids (original units)"):
            st.dataframe(profiles[["segment_name", *centroid_columns]], hide_index=True)

    st.subheader("Choosing the number of segments")
    if not data.not_built(queries.SEGMENT_K, what="k diagnostics"):
        diagnostics = data.query("segment_k_diagnostics")
        left, right = st.columns(2)
        fig = px.line(diagnostics, x="k", y="inertia", markers=True, title="Elbow: inertia by k")
        chosen = diagnostics[diagnostics["is_chosen"].fillna(False).astype(bool)]
        for k in chosen["k"]:
            fig.add_vline(x=int(k), line_dash="dash", line_color="#d62728",
                          annotation_text=f"chosen k={int(k)}")
        left.plotly_chart(fig, config=data.PLOTLY_CONFIG)
        fig = px.line(diagnostics, x="k", y="silhouette", markers=True,
                      title="Silhouette score by k")
        for k in chosen["k"]:
            fig.add_vline(x=int(k), line_dash="dash", line_color="#d62728")
        right.plotly_chart(fig, config=data.PLOTLY_CONFIG)
