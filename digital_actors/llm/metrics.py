"""Prometheus metrics for model calls and circuit breakers, plus the generic errors counter others reuse."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from digital_actors.llm.base import Usage

LLM_LATENCY = Histogram(
    "digital_actors_llm_latency_seconds",
    "Model call latency: phase=first_token (time to first text) or total (whole reply).",
    ["provider", "model", "phase", "purpose"],
    buckets=(0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0),
)

LLM_TOKENS = Counter(
    "digital_actors_llm_tokens_total",
    "Tokens used by model calls, by kind (input, output, cache_read, cache_write).",
    ["provider", "model", "kind"],
)

LLM_BREAKER_TRANSITIONS = Counter(
    "digital_actors_llm_breaker_transitions_total",
    "Circuit-breaker state changes, by provider and the state entered (open, half_open, closed).",
    ["provider", "state"],
)

LLM_BREAKER_STATE = Gauge(
    "digital_actors_llm_breaker_state",
    "Circuit-breaker state by provider: 0 closed (the model answers), 1 half_open (one probe "
    "call in flight), 2 open (calls fail at once; the understudy answers).",
    ["provider"],
    multiprocess_mode="max",  # several workers (`serve --workers`): the worst of them
)

LLM_REQUESTS = Counter(
    "digital_actors_llm_requests_total",
    "Requests sent to a model provider, by provider: every attempt, retries included.",
    ["provider"],
)

LLM_REQUEST_ERRORS = Counter(
    "digital_actors_llm_request_errors_total",
    "Requests to a model provider that failed, by provider and kind (rate_limit, server, "
    "timeout, ...), retries included: divided by digital_actors_llm_requests_total, the "
    "provider's error rate.",
    ["provider", "kind"],
)

ERRORS = Counter(
    "digital_actors_errors_total",
    "Errors by type (e.g. llm_rate_limit, llm_timeout, tts_connection).",
    ["type"],
)


def count_usage(provider: str, model: str, usage: Usage) -> None:
    """Add one call's usage to the token counter."""
    for kind, value in (("input", usage.input_tokens), ("output", usage.output_tokens),
                        ("cache_read", usage.cache_read_tokens),
                        ("cache_write", usage.cache_write_tokens)):
        if value:
            LLM_TOKENS.labels(provider, model, kind).inc(value)


def count_error(error_type: str) -> None:
    """Count one error of ``error_type`` (a short snake_case name, bounded cardinality)."""
    ERRORS.labels(error_type).inc()
