"""Spans around external calls, asserted through the SDK's in-memory exporter."""

import pytest

from clawbot_assets.observability import tracing


def test_a_call_records_its_attributes_and_an_error_only_by_type(spans):
    with tracing.external_call("airtable", "GET", "appX/task_queue_sales") as call:
        call.record(attempts=2, retries=1, rate_limited=1)
    with pytest.raises(RuntimeError):
        with tracing.external_call("hubspot", "deal search"):
            raise RuntimeError("token patSECRET in a message")
    first, second = spans.get_finished_spans()
    assert first.name == "airtable GET" and first.attributes["clawbot.target"] == "appX/task_queue_sales"
    assert (first.attributes["clawbot.attempts"], first.attributes["clawbot.rate_limited"]) == (2, 1)
    assert second.status.description == "RuntimeError" and not second.events
    assert "patSECRET" not in str(second.to_json())


def test_an_attribute_outside_the_allowed_names_is_refused(spans):
    with pytest.raises(ValueError, match="not one of"):
        with tracing.external_call("airtable", "GET") as call:
            call.record(authorization="Bearer x")


def test_an_otlp_endpoint_that_is_down_costs_at_most_the_exporter_timeout(monkeypatch):
    import time

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    provider = tracing.configure()
    started = time.perf_counter()
    for _ in range(200):
        with tracing.external_call("airtable", "GET", "app/t") as call:
            call.record(attempts=1)
    in_the_run = time.perf_counter() - started
    started = time.perf_counter()
    provider.shutdown()
    at_exit = time.perf_counter() - started
    monkeypatch.delenv("OTEL_TRACES_EXPORTER")
    tracing.configure()
    assert in_the_run < 0.5, "exporting happens off the run's thread"
    assert at_exit < 1 + 2, "the final flush gives up after the exporter's timeout"
