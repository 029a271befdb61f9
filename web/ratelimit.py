"""Token buckets, driven by an injected clock so tests never sleep: one per WebSocket connection
(messages), and one per client address for new sessions (``ClientBuckets``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "limited", "abusive"]
CLIENTS_REMEMBERED = 50_000  # buckets kept at most (~10 MB); a full bucket is forgotten first


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

    def _refill(self) -> None:
        now = self.now()
        self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = now

    def take(self) -> Verdict:
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.streak = 0
            return "ok"
        self.streak += 1
        return "abusive" if self.streak >= self.abuse_limit else "limited"

    def wait(self) -> float:
        """Seconds until one more ``take`` would be "ok" (0 if it would be now)."""
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate)

    def full(self) -> bool:
        """Refilled to ``burst``: the same as a bucket never used."""
        self._refill()
        return self._tokens >= self.burst


class ClientBuckets:
    """One bucket per client key (``web/clients.py``): ``per_minute`` sustained, ``burst`` at once.

    Memory is bounded: at ``capacity`` clients the full buckets are forgotten (a client that
    comes back gets a new full one — the same thing), then the least recently used.
    """

    def __init__(self, *, per_minute: float, burst: int, now: Callable[[], float],
                 capacity: int = CLIENTS_REMEMBERED) -> None:
        self.rate, self.burst, self.now, self.capacity = per_minute / 60.0, burst, now, capacity
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """0 when ``key`` may go ahead (a token is spent); else the seconds until it may."""
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, abuse_limit=1 << 30, now=self.now)
        else:
            self._buckets.move_to_end(key)
        if bucket.take() == "ok":
            return 0.0
        return bucket.wait()

    def _make_room(self) -> None:
        if len(self._buckets) < self.capacity:
            return
        for key in [k for k, b in self._buckets.items() if b.full()]:
            del self._buckets[key]
        # Down to 90 %, so under a many-address flood the scan above runs once per 10 % of capacity.
        while len(self._buckets) > self.capacity * 0.9:
            self._buckets.popitem(last=False)
