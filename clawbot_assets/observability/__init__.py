"""Traces, metrics and structured logs: the operators' view of what the system does."""
