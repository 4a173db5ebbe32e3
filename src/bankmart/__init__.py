"""bankmart: a retail-bank customer analytics warehouse on dbt + DuckDB."""

__version__ = "0.1.0"
