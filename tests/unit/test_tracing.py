"""Spans around external calls, asserted through the SDK's in-memory exporter."""

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from clawbot_assets.observability import tracing


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.configure(exporter, processor_factory=SimpleSpanProcessor)
    yield exporter
    tracing.configure()


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
