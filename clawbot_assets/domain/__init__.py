"""Pure domain logic: no Dagster, no network, no environment reads."""
