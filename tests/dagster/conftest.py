"""Fixtures shared by the Dagster-level tests: the Slack webhook fake (``webhook``)."""

from tests.fakes.slack_webhook import webhook  # noqa: F401 (a fixture, found here by pytest)
