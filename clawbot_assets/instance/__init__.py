"""Glue to the Dagster instance and to Dagster itself: schedule state, check history, the pool
guard, run tags, Dagster's own schedule rules, the containers' health checks, and
``dagster_internals``, the one module that reaches past Dagster's public API."""
