"""duckhouse: a dbt-centric, multi-tenant analytics lakehouse."""
