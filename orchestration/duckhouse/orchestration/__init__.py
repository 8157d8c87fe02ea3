"""Dagster definitions, split by concern; assembled in duckhouse.orchestration.definitions."""
