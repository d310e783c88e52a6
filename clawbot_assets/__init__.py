"""ClawBot orchestration on Dagster: playbooks, the sales task queue and the SSOT audit."""
