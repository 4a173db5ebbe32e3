"""Portfolio: the headline measures, their monthly trend, and where the money goes."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from bankmart.dashboard import data

st.title("Portfolio")
filters = data.current_filters(data.PAGE_FILTERS["portfolio"])
st.caption(data.describe_filters(filters))

kpis = data.query("portfolio_kpis", f=filters)
if data.delivers_spend():
    cards = st.columns(4)
    cards[0].metric("Customers", data.count(kpis["customers"]), border=True,
                    help="Customers passing the city, segment and tier filters.")
    cards[1].metric("Active customers", data.count(kpis["active_customers"]), border=True,
                    help="Customers who spent or transacted in the months shown.")
    cards[2].metric("Total spend", data.inr(kpis["total_spend"]), border=True,
                    help="Spend in the home currency.")
    cards[3].metric("Avg spend per customer", data.inr(kpis["avg_spend_per_customer"]),
                    border=True, help="Total spend over the customers observed in the months "
                    "shown.")
    cards = st.columns(4)
    cards[0].metric("Transactions", data.count(kpis["txn_count"]), border=True)
    cards[1].metric("Income utilisation", data.percent(kpis["income_utilisation"]), border=True,
                    help="Spend as a share of stated monthly income, summed over the months "
                    "of the customers who state an income.")
    cards[2].metric("Fraud rate", data.percent(kpis["fraud_rate"], 2), border=True,
                    help="Confirmed fraud among the transactions that carry a fraud label.")
    cards[3].metric("Open alerts", data.count(kpis["alert_count"]), border=True,
                    help="Customers in the risk alert queue (Risk page).")
else:
    # a bank without spend (a holdings extract, a loan book): only what it has
    cards = st.columns(2)
    cards[0].metric("Customers", data.count(kpis["customers"]), border=True,
                    help="Customers passing the city, segment and tier filters.")
    cards[1].metric("Open alerts", data.count(kpis["alert_count"]), border=True,
                    help="Customers in the risk alert queue (Risk page).")

if not data.no_spend_note("Spend"):
    trend = data.query("monthly_trend", f=filters)
    if trend.empty:
        st.info("No transactions for these filters.")
    else:
        left, right = st.columns(2)
        fig = px.bar(trend, x="month", y="total_spend", title="Monthly spend (INR)",
                     labels={"month": "", "total_spend": "Spend (INR)"})
        left.plotly_chart(fig, config=data.PLOTLY_CONFIG)
        fig = px.line(trend, x="month", y="active_customers", markers=True,
                      title="Active customers per month",
                      labels={"month": "", "active_customers": "Active customers"})
        right.plotly_chart(fig, config=data.PLOTLY_CONFIG)

        # A breakdown the bank's data cannot make (no categories, no payment types) is left out.
        by_category = data.query("spend_breakdown", f=filters, by="category")
        by_category = by_category[(by_category["total_spend"] > 0) & (by_category["category"] != "unknown")]
        by_payment = data.query("spend_breakdown", f=filters, by="payment_type")
        by_payment = by_payment[(by_payment["total_spend"] > 0) & (by_payment["payment_type"] != "unknown")]
        left, right = st.columns(2)
        if not by_category.empty:
            by_category = by_category.assign(label=by_category["category"].map(data.label))
            fig = px.bar(by_category.sort_values("total_spend"), x="total_spend", y="label",
                         orientation="h", title="Spend by category",
                         labels={"total_spend": "Spend (INR)", "label": ""})
            left.plotly_chart(fig, config=data.PLOTLY_CONFIG)
        if not by_payment.empty:
            by_payment = by_payment.assign(label=by_payment["payment_type"].map(data.label))
            fig = px.pie(by_payment, names="label", values="total_spend", hole=0.45,
                         title="Spend by payment type")
            (right if not by_category.empty else left).plotly_chart(fig, config=data.PLOTLY_CONFIG)
        if by_category.empty or by_payment.empty:
            lacking = [name for name, frame in (("spend categories", by_category),
                                                ("payment types", by_payment)) if frame.empty]
            st.caption(f"This bank's data carries no {' and no '.join(lacking)}: those breakdowns are left out.")
