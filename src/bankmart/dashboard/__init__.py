"""The bankmart dashboard: a Streamlit app over the published serving file (never the build)."""
