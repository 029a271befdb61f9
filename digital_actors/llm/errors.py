"""Provider failures as ``ModelError``s with a machine-readable ``kind`` (for retries and metrics).

What the provider said (its error text, which can quote the API key back) is kept apart in
``detail``, scrubbed of the key: it goes to the logs, never into ``message``, which is a fixed
sentence built from the kind and status and may be shown to a player or on ``/health``.
"""

from __future__ import annotations

import email.utils
import importlib
import time
from collections.abc import Mapping
from typing import Literal

from digital_actors.errors import ModelError
from digital_actors.logging import redact_text

Kind = Literal[
    "auth", "permission", "not_found", "bad_request", "quota", "rate_limit", "overloaded",
    "server", "timeout", "first_token_timeout", "connection", "incomplete", "invalid_output",
    "replay", "circuit_open", "unexpected",
]

RETRYABLE_KINDS: frozenset[str] = frozenset(
    {"rate_limit", "overloaded", "server", "timeout", "first_token_timeout", "connection",
     "incomplete", "invalid_output"})
# The provider itself is unwell: unreachable, silent, erroring or shedding load. These (after
# the driver's retries) count towards opening the circuit breaker and, at start-up, keep the
# model behind an open breaker instead of giving up on it. Everything else (a bad request or
# key, an unknown model, exhausted quota, a malformed answer) says nothing about an outage.
OUTAGE_KINDS: frozenset[str] = frozenset(
    {"rate_limit", "overloaded", "server", "timeout", "first_token_timeout", "connection",
     "incomplete"})

_HINTS: dict[str, str] = {
    "auth": "check {key}: the provider rejected it (401). The understudy performs meanwhile.",
    "permission": "check {key}: it is not allowed to use this model (403).",
    "not_found": "check the model name setting; the provider does not know this model (404).",
    "bad_request": "the provider refused the request (400); run with LOG_LEVEL=DEBUG for details.",
    "quota": "the account behind {key} is out of credit or quota; top it up or use another key.",
    "rate_limit": "the provider is rate-limiting this key; wait a moment or raise your limits.",
    "overloaded": "the provider is overloaded; it usually recovers within a minute.",
    "server": "the provider had an internal error; it usually recovers within a minute.",
    "timeout": "the provider did not answer in time; check the network or raise LLM_TIMEOUT_SECONDS.",
    "first_token_timeout": "no text arrived in time; raise LLM_FIRST_TOKEN_TIMEOUT_SECONDS "
                           "or use a faster model.",
    "connection": "could not reach the provider; check the network or the base URL setting.",
    "incomplete": "the provider closed the stream before the reply was complete.",
    "invalid_output": "the provider sent a reply that could not be read; it is tried once more, "
                      "then the script's line stands in.",
}


class ProviderError(ModelError):
    """A ``ModelError`` raised by an adapter: ``kind``, ``provider``, HTTP ``status`` if any, and
    ``detail``: what the provider or the transport said (for logs only; already scrubbed)."""

    def __init__(self, message: str, hint: str | None = None, *, kind: str, provider: str,
                 status: int | None = None, retryable: bool | None = None,
                 retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(message, hint,
                         retryable=kind in RETRYABLE_KINDS if retryable is None else retryable,
                         retry_after=retry_after)
        self.kind = kind
        self.provider = provider
        self.status = status
        self.detail = detail


MAX_DETAIL = 300  # characters of a provider's error text kept for the log


def provider_error(kind: str, provider: str, detail: str, *, key_name: str = "the API key",
                   status: int | None = None, retry_after: float | None = None,
                   secrets: tuple[str | None, ...] = ()) -> ProviderError:
    """Build a ProviderError with the standard message and hint for ``kind``.

    ``detail`` (the provider's own words) is scrubbed of ``secrets`` (the adapter's key) and of
    anything shaped like a key or a token, and kept out of the message."""
    hint = _HINTS.get(kind, "see the log for details").format(key=key_name)
    where = f" (HTTP {status})" if status else ""
    return ProviderError(f"{provider} call failed: {kind.replace('_', ' ')}{where}", hint,
                         kind=kind, provider=provider, status=status, retry_after=retry_after,
                         detail=redact_text(str(detail), secrets)[:MAX_DETAIL])


def kind_for_status(status: int, error_type: str | None = None) -> str:
    """Classify an HTTP status (and the body's error type, e.g. ``overloaded_error``)."""
    if error_type == "overloaded_error" or status == 529:
        return "overloaded"
    if error_type == "rate_limit_error" or status == 429:
        return "rate_limit"
    if error_type in {"api_error", "internal_server_error"} or status >= 500:
        return "server"
    if status == 401 or error_type == "authentication_error":
        return "auth"
    if status == 403 or error_type == "permission_error":
        return "permission"
    if status == 404 or error_type == "not_found_error":
        return "not_found"
    if status == 408:
        return "timeout"
    return "bad_request"


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def refused(error: BaseException) -> bool:
    """Whether a "timeout" was really a refused or failed connection. The SDKs' aiohttp transport
    reports every connection error as a connect timeout; the OS error in the cause chain tells."""
    seen: BaseException | None = error
    for _ in range(8):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if seen is None:
            return False
        if isinstance(seen, OSError) and not isinstance(seen, TimeoutError):
            return True
    return False


def _transport_errors() -> tuple[type[Exception], ...]:
    """The HTTP libraries' transport errors: raw disconnects surface as these mid-stream."""
    found: list[type[Exception]] = []
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found.append(module.TransportError)
    return tuple(found)


TRANSPORT_ERRORS: tuple[type[Exception], ...] = _transport_errors()


def body_error_field(name: str, body: object) -> str | None:
    """``error.<name>`` from an error body (``{"error": {...}}``, the bare inner dict, or a list)."""
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return None
    inner = body.get("error", body)
    value = inner.get(name) if isinstance(inner, dict) else None
    return value if isinstance(value, str) else None
