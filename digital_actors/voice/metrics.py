"""Prometheus metrics for voices; the lead gathers them in ``digital_actors.metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TTS_LATENCY = Histogram(
    "digital_actors_tts_latency_seconds",
    "Time from asking a voice for a sentence to its first audio chunk.",
    ["provider"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0),
)
TTS_ERRORS = Counter(
    "digital_actors_tts_errors_total",
    "Speech synthesis and playback failures, by provider and kind.",
    ["provider", "type"],
)


def record_error(provider: str, kind: str) -> None:
    """Count one failure of ``kind`` (auth, rate_limit, server, timeout, network, ...)."""
    TTS_ERRORS.labels(provider=provider, type=kind).inc()

VOICE_CACHE = Counter(
    "digital_actors_voice_cache_total",
    "Voice cache lookups, by result (hit or miss).",
    ["result"],
)

TTS_POOL_WAIT = Histogram(
    "digital_actors_tts_pool_wait_seconds",
    "Time a local synthesis job waited for a worker, by priority (a line's first piece or later).",
    ["priority"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0),
)
TTS_POOL_DROPPED = Counter(
    "digital_actors_tts_pool_dropped_total",
    "Local synthesis jobs dropped before they ran because their line was cut off.",
)
