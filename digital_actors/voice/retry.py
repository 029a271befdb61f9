"""Backoff with jitter for voice providers, honouring a server's Retry-After."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), if present."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value.strip() else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None,
                  rng: random.Random) -> float:
    """Delay before retry number ``attempt`` (0-based).

    With Retry-After: that many seconds plus up to 10% jitter (so clients don't return in step).
    Without: "equal jitter" exponential backoff, half fixed and half random, capped at ``cap``.
    """
    if retry_after is not None:
        return retry_after * (1.0 + 0.1 * rng.random())
    step = min(cap, base * (2.0 ** attempt))
    return step / 2.0 + rng.uniform(0.0, step / 2.0)
