"""Glue to the Dagster instance and to Dagster itself: schedule state, check history, the pool
guard, run tags, Dagster's own schedule rules, and the containers' health checks."""
