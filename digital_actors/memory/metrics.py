"""Prometheus metrics of the memory store (gathered later by digital_actors/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DB_QUERY_SECONDS = Histogram(
    "digital_actors_db_query_seconds",
    "Time spent in one player-memory database operation, including lock waits.",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

DB_LOCK_RETRIES = Counter(
    "digital_actors_db_lock_retries_total",
    "Player-memory operations retried because the database was locked or busy.",
    ["operation"],
)

DB_ERRORS = Counter(
    "digital_actors_db_errors_total",
    "Player-memory operations that failed, by kind (locked, corrupt, readonly, other).",
    ["operation", "kind"],
)

MEMORY_WRITES_PENDING = Gauge(
    "digital_actors_memory_writes_pending",
    "Player-memory writes accepted but not yet in the database (queued, or kept for retry).",
    multiprocess_mode="livesum",  # several workers (`serve --workers`): the sum over the live ones
)

MEMORY_WRITE_FAILURES = Counter(
    "digital_actors_memory_write_failures_total",
    "Tries of a player-memory write that failed and were kept for retry, by kind "
    "(locked, full, readonly, io, corrupt, notadb, closed, timeout).",
    ["kind"],
)

MEMORY_WRITES_DROPPED = Counter(
    "digital_actors_memory_writes_dropped_total",
    "Player-memory writes the database refused for good (the player was forgotten, a value it rejects).",
    ["kind"],
)
