"""Services: domain plans carried out against the adapters, with no Dagster in them."""
