"""The portal's own OpenTelemetry traces, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set in
the environment (settings.OTEL_SELF_TRACING).

The SDK reads the standard variables itself: OTEL_EXPORTER_OTLP_ENDPOINT (the collector's
OTLP/HTTP base URL; spans go to its /v1/traces), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME
and OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER. Django requests and Celery tasks (publish
and run, linked across the broker) are instrumented.
"""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)

_provider = None  # the TracerProvider once set up, so a second call changes nothing


def setup() -> bool:
    """Install the tracer provider and the instrumentations; False when tracing is off."""
    global _provider
    if not settings.OTEL_SELF_TRACING:
        return False
    if _provider is not None:
        return True
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME})
    )
    # Batched in a background thread, so a slow collector never slows a request; the SDK
    # restarts the thread in each forked Celery pool process.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    # Adds its middleware to settings.MIDDLEWARE: must run before the WSGI handler loads it,
    # as AppConfig.ready does.
    DjangoInstrumentor().instrument(tracer_provider=provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    logger.info("tracing to %s as %s", settings.OTEL_EXPORTER_OTLP_ENDPOINT,
                settings.OTEL_SERVICE_NAME)  # fmt: skip
    return True


def flush(timeout_millis: int = 5000) -> bool:
    """Send the spans still batched (tests, and a process about to exit)."""
    return _provider.force_flush(timeout_millis) if _provider is not None else True
