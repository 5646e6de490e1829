"""Relationship analytics warehouse: Dagster code location and its small libraries."""
