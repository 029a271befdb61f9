"""A per-connection token bucket, driven by an injected clock so tests never sleep."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "limited", "abusive"]


@dataclass(slots=True)
class TokenBucket:
    """``rate`` messages per second sustained, ``burst`` at once.

    ``take`` answers "ok", "limited" (drop this message and warn once per streak) or
    "abusive" (``abuse_limit`` refusals in a row: close the connection).
    """

    rate: float
    burst: int
    abuse_limit: int
    now: Callable[[], float]
    _tokens: float = -1.0
    _stamp: float = 0.0
    streak: int = 0

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._stamp = self.now()

    def take(self) -> Verdict:
        now = self.now()
        self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.streak = 0
            return "ok"
        self.streak += 1
        return "abusive" if self.streak >= self.abuse_limit else "limited"
