"""Dagster resources: configuration in, adapter clients out."""
