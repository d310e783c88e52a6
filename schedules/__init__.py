"""Schedules: one per playbook, built from the SSOT snapshot, and the nightly dedupe."""
