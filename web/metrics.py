"""Prometheus metrics of the web front end, each defined once (DESIGN §6).

Errors reuse the engine's ``digital_actors_errors_total`` (defined in ``digital_actors.llm.metrics``)
so one counter, labelled by type, covers every layer — retries and background calls included, so
it is no error *rate*. What players saw is ``digital_actors_player_visible_errors_total``, counted
per turn, which the error-rate alert divides by the turns.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from digital_actors.llm.metrics import ERRORS, count_error

REQUESTS = Counter(
    "digital_actors_requests_total",
    "Player turns (say or press) sent to a character, by scene, character and kind.",
    ["scene", "character", "kind"],
)
RESPONSE_SECONDS = Histogram(
    "digital_actors_response_seconds",
    "Time from a player's turn to the first text of the character's reply, by scene.",
    ["scene"],
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0),
)
# livesum: with several worker processes (`serve --workers`), the sum over the live ones.
ACTIVE_SESSIONS = Gauge(
    "digital_actors_active_sessions",
    "Web player sessions held by this process (connected, or paused within the resume window).",
    multiprocess_mode="livesum",
)
WS_CONNECTIONS = Gauge(
    "digital_actors_ws_connections",
    "Open WebSocket connections.",
    multiprocess_mode="livesum",
)
WS_DISCONNECTS = Counter(
    "digital_actors_ws_disconnects_total",
    "WebSocket connections closed, by reason (client_closed, error, too_big, rate_limited, "
    "replaced, shutdown, auth, origin).",
    ["reason"],
)
PLAYER_VISIBLE_ERRORS = Counter(
    "digital_actors_player_visible_errors_total",
    "Failures a player saw, by kind: actor_failed (a turn's reply was the script's stand-in or "
    "was cut short because the model failed), turn_failed (a turn ended in a TurnFailed frame), "
    "error_frame (a command was answered with an internal-error frame). At most one per turn; "
    "divide by digital_actors_requests_total for the share of turns that failed.",
    ["kind"],
)
for _kind in ("actor_failed", "turn_failed", "error_frame"):
    PLAYER_VISIBLE_ERRORS.labels(_kind)  # every series exists from the start: rates read 0, not "no data"
SESSIONS_REFUSED = Counter(
    "digital_actors_sessions_refused_total",
    "POST /api/session refused, by reason: rate (one address asking too fast, 429), client_cap (one "
    "address holding its share, 429), full (every place held by a connected player, 503).",
    ["reason"],
)
SESSIONS_MOVED = Counter(
    "digital_actors_sessions_moved_total",
    "Sessions a socket reconnected to in this process after another process held them (shared store), "
    "by outcome: resumed (the scene went on from its snapshot), fresh (no scene was playing yet), "
    "lost (the snapshot could not be used: the player starts again).",
    ["outcome"],
)
SNAPSHOT_WRITES = Counter(
    "digital_actors_session_snapshot_writes_total",
    "Session snapshots written to the shared store (one per session per flush that changed it).",
)
SNAPSHOT_BYTES = Histogram(
    "digital_actors_session_snapshot_bytes",
    "Size of the session snapshots written to the shared store.",
    buckets=(1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072),
)
HTTP_REQUESTS = Counter(
    "digital_actors_http_requests_total",
    "HTTP requests, by route, method and status.",
    ["route", "method", "status"],
)

__all__ = [
    "ACTIVE_SESSIONS",
    "ERRORS",
    "HTTP_REQUESTS",
    "PLAYER_VISIBLE_ERRORS",
    "REQUESTS",
    "RESPONSE_SECONDS",
    "SESSIONS_MOVED",
    "SESSIONS_REFUSED",
    "SNAPSHOT_BYTES",
    "SNAPSHOT_WRITES",
    "WS_CONNECTIONS",
    "WS_DISCONNECTS",
    "count_error",
]
