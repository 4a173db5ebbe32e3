"""Data set analyses: what this bank delivered, and the known analyses of the public data sets
(README, "Bring a public data set") for which it has the data. A section whose mart has no rows
is left out; a bank none of them applies to gets one note."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from bankmart.dashboard import data

st.title("Data set analyses")

contents = data.query("bank_contents")
if not contents.empty:
    st.subheader("What this bank delivered")
    st.dataframe(contents, hide_index=True)

shown = 0

utilisation = data.query("income_utilisation")
if not utilisation.empty:
    shown += 1
    st.subheader("Income utilisation")
    st.caption("Average monthly spend per customer over average monthly income, by group.")
    columns = st.columns(3)
    for column, group in zip(columns, ("spend_tier", "occupation", "age_group"), strict=True):
        part = utilisation[utilisation["group_type"] == group]
        if part.empty:
            continue
        fig = px.bar(part, x="group_value", y="income_utilisation", title=data.label(group),
                     labels={"group_value": "", "income_utilisation": "Utilisation"})
        fig.update_yaxes(tickformat=".0%")
        column.plotly_chart(fig, config=data.PLOTLY_CONFIG)

by_hour = data.query("fraud_profile", by="hour_of_day")
by_band = data.query("fraud_profile", by="amount_band")
if not by_band.empty:
    shown += 1
    st.subheader("Fraud by hour and amount")
    total = by_band["transactions"].sum()
    frauds = by_band["fraud_transactions"].sum()
    cards = st.columns(3)
    cards[0].metric("Labelled transactions", data.count(total), border=True)
    cards[1].metric("Fraud transactions", data.count(frauds), border=True)
    cards[2].metric("Fraud rate", data.percent(frauds / total if total else None, 2), border=True)
    left, right = st.columns(2)
    if not by_hour.empty:
        fig = px.line(by_hour, x="hour_of_day", y="fraud_rate", markers=True, title="Fraud rate by hour",
                      labels={"hour_of_day": "Hour of day", "fraud_rate": "Fraud rate"})
        fig.update_yaxes(tickformat=".2%")
        left.plotly_chart(fig, config=data.PLOTLY_CONFIG)
    fig = px.bar(by_band, x="amount_band", y="fraud_rate", title="Fraud rate by amount band (INR)",
                 labels={"amount_band": "", "fraud_rate": "Fraud rate"})
    fig.update_yaxes(tickformat=".2%")
    right.plotly_chart(fig, config=data.PLOTLY_CONFIG)

rfm = data.query("rfm_segment_summary")
if not rfm.empty:
    shown += 1
    st.subheader("RFM + age segments")
    left, right = st.columns(2)
    fig = px.bar(rfm.astype({"rfm_segment": str}), x="rfm_segment", y="customers",
                 title="Customers per segment", labels={"rfm_segment": "Segment", "customers": "Customers"})
    left.plotly_chart(fig, config=data.PLOTLY_CONFIG)
    right.dataframe(rfm, hide_index=True)
    cities = data.query("rfm_city_profiles")
    if not cities.empty:
        fig = px.bar(cities.astype({"rfm_segment": str}), x="city", y="share_of_city", color="rfm_segment",
                     title="Segment mix of the top cities",
                     labels={"city": "", "share_of_city": "Share of city", "rfm_segment": "Segment"})
        st.plotly_chart(fig, config=data.PLOTLY_CONFIG)

repayment = data.query("repayment_segments")
if not repayment.empty:
    shown += 1
    st.subheader("Repayment behaviour segments")
    left, right = st.columns(2)
    elbow = data.query("repayment_k")
    if not elbow.empty:
        fig = px.line(elbow, x="k", y="inertia", markers=True, title="Elbow: inertia by k",
                      labels={"k": "k", "inertia": "Inertia"})
        left.plotly_chart(fig, config=data.PLOTLY_CONFIG)
    right.dataframe(repayment, hide_index=True)

holdings = data.query("holdings_profile")
if not holdings.empty:
    shown += 1
    st.subheader("Holdings")
    columns = st.columns(3)
    for column, group in zip(columns, ("loyalty_class", "fee_structure", "risk_weighting"), strict=True):
        part = holdings[holdings["group_type"] == group].drop_duplicates("group_value")
        if part.empty:
            continue
        fig = px.bar(part, x="group_value", y="customers", title=f"Customers by {data.label(group).lower()}",
                     labels={"group_value": "", "customers": "Customers"})
        column.plotly_chart(fig, config=data.PLOTLY_CONFIG)
    segments = holdings[(holdings["group_type"] == "segment") & holdings["total_balance"].notna()]
    if not segments.empty:
        fig = px.bar(segments, x="group_value", y="total_balance", color="product_label",
                     title="Balances per segment and product",
                     labels={"group_value": "", "total_balance": "Balance", "product_label": "Product"})
        st.plotly_chart(fig, config=data.PLOTLY_CONFIG)

if not shown:
    st.info("None of the public data sets' known analyses applies to this bank's data "
            "(README, \"Bring a public data set\").", icon=":material/info:")
