"""Sensors. None yet: the DLQ-depth and failed-check alert sensors come with the dispatch work."""
