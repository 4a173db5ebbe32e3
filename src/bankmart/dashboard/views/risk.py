"""Risk: how customers spread over risk tiers, the alert queue to work, and how good the model is."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from bankmart.dashboard import data, queries

QUEUE_ROWS = 500  # shown on the page
DOWNLOAD_ROWS = 50_000  # in the CSV download

st.title("Risk")
filters = data.current_filters(data.PAGE_FILTERS["risk"])
st.caption(data.describe_filters(filters))

coverage = None
if not data.not_built(queries.RISK_SCORES, what="Risk scores"):
    tiers = data.query("risk_tier_distribution", f=filters)
    colours = {"Low": "#2ca02c", "Medium": "#ff7f0e", "High": "#d62728", "Not assessed": "#9e9e9e"}
    fig = px.bar(tiers, x="risk_tier", y="customers", color="risk_tier",
                 color_discrete_map=colours, title="Customers by risk tier",
                 hover_data={"avg_risk_score": ":.1f"}, labels={"risk_tier": "", "customers":
                                                                  "Customers"})
    fig.update_layout(showlegend=False)
    st.plotly_chart(fig, config=data.PLOTLY_CONFIG)
    coverage = data.query("risk_coverage", f=filters)
    st.caption(
        f"{data.count(coverage['assessed'])} of {data.count(coverage['customers'])} customers could "
        "be assessed on at least one rule; the others are \"Not assessed\": the data lacks every "
        "input the rules read (no fraud labels, no loans, no channels or countries, no history "
        "to compare with), which is not the same as low risk."
    )
    if data.has(queries.RISK_RULES):
        rules = data.query("risk_rules")
        lacking = rules[~rules["is_assessable"].fillna(False).astype(bool)]
        if not lacking.empty:
            st.info("Not assessable for this bank (its data lacks their input): "
                    + ", ".join(f"{r.reason_code} ({r.description})" for r in lacking.itertuples()))
        with st.expander("Rules and how many customers each can assess"):
            st.dataframe(rules, hide_index=True)

st.subheader("Alert queue")
if not data.not_built(queries.RISK_ALERTS, what="Alert queue"):
    everything = data.query("alert_count", f=filters)
    if everything == 0:
        # An empty queue says something different on a bank whose customers could not be assessed.
        if coverage is not None and coverage["assessed"] == 0:
            st.info("The alert queue is empty: no customer could be assessed on any rule, so no "
                    "risk was looked for, not none found.")
        else:
            st.info("The alert queue is empty: no assessed customer reaches Medium or High risk.")
    else:
        left, middle, right = st.columns(3)
        risk_tiers = left.multiselect("Risk tier", ["Medium", "High"], key="alert_tiers",
                                      placeholder="All tiers")
        reasons = data.query("alert_reason_codes")
        reason = middle.selectbox("Reason code", reasons, index=None, key="alert_reason",
                                  placeholder="Any reason", format_func=data.label)
        # Scores are the strongest signal's percentile, 0-100.
        min_score = right.slider("Minimum risk score", 0.0, 100.0, 0.0, 0.5, key="alert_min_score")
        arguments = {"f": filters, "risk_tiers": tuple(risk_tiers), "reason": reason,
                     "min_score": float(min_score)}
        total = data.query("alert_count", **arguments)
        queue = data.query("alert_queue", limit=QUEUE_ROWS, **arguments)
        st.caption(f"{total:,} alerts match" + (f"; the first {QUEUE_ROWS:,} are shown"
                                               if total > QUEUE_ROWS else ""))
        st.dataframe(
            queue, hide_index=True,
            column_config={"risk_score": st.column_config.ProgressColumn(
                "Risk score", min_value=0.0, max_value=100.0, format="%.1f")},
        )
        download = queue if total <= QUEUE_ROWS else data.query(
            "alert_queue", limit=DOWNLOAD_ROWS, **arguments)
        st.download_button(
            "Download as CSV", download.to_csv(index=False).encode("utf-8"),
            file_name="bankmart_alert_queue.csv", mime="text/csv", icon=":material/download:",
            disabled=queue.empty,
            help=f"The filtered queue, up to {DOWNLOAD_ROWS:,} rows.",
        )

st.subheader("Classifier")
if not data.not_built(queries.RISK_METRICS, what="Model metrics"):
    metrics = data.query("risk_model_metrics")
    # Rows of model "data" describe the training data (counts), not a model.
    facts = metrics[metrics["model"] == "data"]
    scores = metrics[metrics["model"] != "data"]
    table = scores.pivot_table(index="metric", columns="model", values="value")
    if table.empty:
        notes = metrics["note"].dropna().unique() if "note" in metrics else []
        st.caption("No model scores" + (f": {notes[0]}" if len(notes) else "."))
    else:
        st.dataframe(table.style.format("{:.3f}"))
    if not facts.empty:
        st.caption(" · ".join(f"{data.label(r.metric)}: {r.value:,.0f}"
                              for r in facts.itertuples(index=False)))
if not data.not_built(queries.RISK_IMPORTANCES, what="Feature importances"):
    importances = data.query("risk_feature_importances", top=12)
    if importances.empty:
        st.caption("No feature importances: the classifiers were not trained on this bank "
                   "(the model metrics above say why).")
    else:
        # One panel per model: coefficients and tree importances are not on one scale.
        fig = px.bar(importances.iloc[::-1], x="importance", y="feature", facet_col="model",
                     facet_col_spacing=0.18, orientation="h", title="Feature importances",
                     labels={"feature": "", "importance": "Importance"})
        fig.update_xaxes(matches=None)
        fig.update_yaxes(matches=None, showticklabels=True)
        fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
        fig.update_layout(height=460)
        st.plotly_chart(fig, config=data.PLOTLY_CONFIG)
