"""Sensors: the playbooks change sensor (re-audits the SSOT). The DLQ-depth and failed-check alert sensors come with the dispatch work."""
