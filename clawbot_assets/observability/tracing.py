"""OpenTelemetry spans around every call to an external system.

The exporter follows the standard variable ``OTEL_TRACES_EXPORTER``: ``otlp`` (the OTLP/HTTP
exporter, itself configured by ``OTEL_EXPORTER_OTLP_*``), ``console``, or ``none``, the default.
Spans are exported by a batch processor on its own thread, so an OTLP endpoint that is down
costs a run at most the exporter's timeout, at exit.

A span's attributes name the system, the operation and the table or endpoint, and count the
HTTP attempts, retries and 429s. They never carry a credential: callers pass only the names
below, and ``external_call`` refuses any other attribute key.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

SERVICE_NAME = "clawbot-dagster"
EXPORTER_VARIABLE = "OTEL_TRACES_EXPORTER"
#: The only attribute keys a span may carry (prefixed ``clawbot.`` on the span).
ALLOWED_ATTRIBUTES = frozenset({"system", "operation", "target", "attempts", "retries", "rate_limited", "status", "records"})

_lock = threading.Lock()
_provider: TracerProvider | None = None
_configured = False


def _exporter_from_environment() -> SpanExporter | None:
    choice = (os.environ.get(EXPORTER_VARIABLE) or "none").strip().lower()
    if choice == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if choice == "console":
        return ConsoleSpanExporter()
    return None


def configure(exporter: SpanExporter | None = None, *, processor_factory=BatchSpanProcessor) -> TracerProvider | None:
    """Install the process's tracer provider: with ``exporter``, or the one the environment
    names; with neither, tracing is off and spans cost nothing (a no-op tracer). Tests pass
    the SDK's in-memory exporter with a simple processor."""
    global _provider, _configured
    with _lock:
        if _provider is not None:
            _provider.shutdown()
        chosen = exporter if exporter is not None else _exporter_from_environment()
        _provider = None
        if chosen is not None:
            _provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
            _provider.add_span_processor(processor_factory(chosen))
        _configured = True
        return _provider


def _tracer() -> trace.Tracer:
    if not _configured:
        configure()
    return _provider.get_tracer("clawbot_assets") if _provider is not None else trace.NoOpTracer()


class CallSpan:
    """The live span of one external call; ``record`` adds counts as they become known."""

    def __init__(self, span: trace.Span):
        self._span = span

    def record(self, **attributes: Any) -> None:
        for name, value in attributes.items():
            if name not in ALLOWED_ATTRIBUTES:
                raise ValueError(f"span attribute {name!r} is not one of {sorted(ALLOWED_ATTRIBUTES)}")
            self._span.set_attribute(f"clawbot.{name}", value)


@contextmanager
def external_call(system: str, operation: str, target: str = "") -> Iterator[CallSpan]:
    """A span named ``<system> <operation>``; an exception marks it failed with its type only
    (exception texts can quote a request)."""
    with _tracer().start_as_current_span(f"{system} {operation}", record_exception=False, set_status_on_exception=False) as span:
        call = CallSpan(span)
        call.record(system=system, operation=operation, target=target)
        try:
            yield call
        except BaseException as error:
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
            raise
