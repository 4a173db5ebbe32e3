"""Customer 360: one customer's profile, spending, tier, segment and risk on one page."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from bankmart.dashboard import data

st.title("Customer 360")

examples = data.query("example_customers")
search = st.text_input("Customer id", key="customer_search",
                       placeholder=f"e.g. {examples[0]}" if examples else "customer id")
matches = data.query("search_customers", text=search) if search.strip() else examples
if search.strip() and not matches:
    st.warning(f"No customer id starts with “{search.strip()}”.")
    st.stop()
customer_id = st.selectbox(
    "Matching customers" if search.strip() else "Top of the alert queue", matches,
    key="customer_pick",
)
if customer_id is None:
    st.stop()

profile = data.query("customer_profile", customer_id=customer_id)
if profile is None:
    st.warning(f"Customer {customer_id} is not in the published warehouse.")
    st.stop()

st.header(customer_id)
cards = st.columns(4)
cards[0].metric("Spend tier", profile.get("tier_name") or "–", border=True)
cards[1].metric("Segment", profile.get("segment_name") or "–", border=True)
risk_score = profile.get("risk_score")
cards[2].metric("Risk score", "–" if risk_score is None or risk_score != risk_score
                else f"{risk_score:.1f}" if risk_score > 1 else f"{risk_score:.3f}", border=True)
cards[3].metric("Risk tier", profile.get("risk_tier") or "–", border=True)

left, right = st.columns([1, 2])
with left:
    st.subheader("Profile")
    fields = [
        ("Age", profile.get("age")), ("Age band", profile.get("age_band")),
        ("Gender", profile.get("gender")), ("Occupation", profile.get("occupation")),
        ("City", profile.get("city")), ("Region", profile.get("region")),
        ("Monthly income", data.inr(profile.get("monthly_income"))),
        ("Income band", profile.get("income_band")),
        ("Tenure (months)", profile.get("tenure_months")),
        ("Loyalty class", profile.get("loyalty_class")),
        ("Products", profile.get("product_count")),
        ("Total spend", data.inr(profile.get("total_spend")) if "total_spend" in profile else None),
        ("Income utilisation", data.percent(profile.get("income_utilisation"))
         if "income_utilisation" in profile else None),
    ]
    st.table({"": [name for name, value in fields if value is not None],
              "value": [str(value) for _, value in fields if value is not None]})
    reasons = [profile.get(f"reason_{i}") for i in (1, 2, 3)]
    reasons = [data.label(r) for r in reasons if r]
    if reasons:
        st.markdown("**Risk reasons:** " + " · ".join(reasons))
    if profile.get("segment_recommended_action"):
        st.markdown(f"**Segment action:** {profile['segment_recommended_action']}")
with right:
    monthly = data.query("customer_monthly_spend", customer_id=customer_id)
    if monthly.empty:
        st.info("No transactions for this customer.")
    else:
        monthly["category"] = monthly["category"].map(data.label)
        fig = px.bar(monthly, x="month", y="spend", color="category",
                     title="Monthly spend by category",
                     labels={"month": "", "spend": "Spend (INR)", "category": ""})
        st.plotly_chart(fig, config=data.PLOTLY_CONFIG)
