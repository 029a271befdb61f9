"""Bounded retries: exponential backoff with full jitter, honouring the server's retry-after.

Sleep and randomness are injectable so tests run without waiting and deterministically.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from digital_actors.errors import ModelError
from digital_actors.llm.errors import ProviderError

Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_retries`` extra attempts; delays grow ``base_delay * 2**n`` up to ``max_delay``.

    A server's retry-after is honoured when it is at most ``max_retry_after`` seconds; a longer
    one means the provider will not recover in time for this turn, so we give up at once.
    A malformed structured answer (``invalid_output``) is retried at most
    ``max_invalid_output_retries`` times within ``max_retries``, at once: the provider is
    not busy, the model answered badly, and a judge or suggestion waiting on it delays a line.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 10.0
    max_invalid_output_retries: int = 1

    def delay(self, attempt: int, error: ModelError, rand: Random = random.random, *,
              invalid_retries: int = 0) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or None to give up now.

        ``invalid_retries`` is how many of the earlier retries followed a malformed answer.
        """
        if not error.retryable or attempt >= self.max_retries:
            return None
        if isinstance(error, ProviderError) and error.kind == "invalid_output":
            return 0.0 if invalid_retries < self.max_invalid_output_retries else None
        ceiling = min(self.max_delay, self.base_delay * 2.0**attempt)
        wait = rand() * ceiling  # "full jitter": AWS Architecture Blog, Exponential Backoff and Jitter
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            wait = max(wait, float(error.retry_after))
        return wait


@dataclass(frozen=True, slots=True)
class Retrier:
    """A policy plus the sleep and random source it uses (real ones by default)."""

    policy: RetryPolicy = RetryPolicy()
    sleep: Sleep = asyncio.sleep
    rand: Random = random.random
