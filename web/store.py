"""The session store port: tokens, per-client admission and (when shared) sessions other processes go on with.

The registry (web/sessions.py) keeps the live sessions of this process and asks the store for
everything that must hold across processes: a client's rate of new sessions, how many sessions it
holds and which of its tokens gives way at its cap, which tokens have expired. ``LocalSessionStore``
(here) keeps that in this process: the default, with nothing to run. ``RedisSessionStore``
(web/redis_store.py, with REDIS_URL) keeps it in Redis and adds ``sharing``: a session's snapshot
and its owner, so that a socket reconnecting to another process, or to another machine, goes on
with the scene.

Tokens are never stored: records are keyed by ``token_key(token)``, a SHA-256 of it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from digital_actors.clock import Clock
from digital_actors.errors import DigitalActorsError
from web.ratelimit import ClientBuckets

TOMBSTONES = 10_000  # keys of expired tokens remembered in-process, so a late reconnect hears "expired"
# What one process tells another about a session it owns: let it go (a socket with its token came to
# the sender), it let it go (the answer), or its token gave way to the same client's newer one.
Message = Literal["release", "released", "evicted"]


class StoreUnavailable(DigitalActorsError):
    """The shared store did not answer: no new session now, no reconnect to a moved one (retryable)."""

    retry_after = 5.0


def token_key(token: str) -> str:
    """What stores know a token by: its SHA-256 (a leaked store yields no usable token)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token as the store holds it: who it belongs to, and which client asked for it."""

    key: str
    player_id: str
    client: str


@dataclass(frozen=True, slots=True)
class Admission:
    """``admitted``, with the tokens of the same client that gave way for it: ``(key, owner)``, the
    owner being the process that holds the session ("" when it is this one, or none)."""

    admitted: bool
    evicted: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """A token this process now owns: its record, the owner before (``""``: none, or this one) and the
    session's last snapshot (None: no socket ever reached it, or it was never saved)."""

    record: TokenRecord
    previous_owner: str
    snapshot: bytes | None


class SessionStore(Protocol):
    """Admission state for one app; ``sharing`` (None: in-process only) adds what other processes need."""

    @property
    def sharing(self) -> Sharing | None: ...

    async def take(self, client: str) -> float:
        """Spend one of ``client``'s new-session tokens: 0, or the seconds until one is free (nothing spent)."""
        ...

    async def admit(self, record: TokenRecord, *, cap: int, ttl: float) -> Admission:
        """Hold ``record`` for its client, whose oldest token that never connected gives way when it
        holds ``cap`` already; refused (nothing held) when every one has connected. ``ttl``: seconds
        the token waits for its first socket."""
        ...

    async def attached(self, key: str) -> None:
        """A socket reached the token: it no longer gives way to newer ones."""
        ...

    async def forget(self, key: str, *, expired: bool = True) -> None:
        """The session ended here; ``expired``: a late reconnect hears "expired" rather than "unknown"."""
        ...

    async def expired(self, key: str) -> bool:
        """Whether ``key`` belonged to a session that ended (rather than never existed)."""
        ...

    async def aclose(self) -> None: ...


class Sharing(Protocol):
    """Sessions other processes can go on with: owned by one process at a time, saved as snapshots."""

    @property
    def instance(self) -> str:
        """This process's name among the others (the owner it writes)."""
        ...

    async def start(self) -> None:
        """Begin listening for what other processes tell this one (``on_message``)."""
        ...

    async def claim(self, key: str) -> Claim | None:
        """Own ``key`` from now on (a socket arrived here with its token); None when no process knows it."""
        ...

    async def save(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Write snapshots of sessions this process owns, in one round trip; returns how many were
        written (a session another process has claimed since is left alone)."""
        ...

    async def detach(self, key: str, snapshot: bytes, *, keep_for: float) -> None:
        """The socket went away: save the snapshot and keep the session ``keep_for`` seconds for a reconnect."""
        ...

    async def refresh(self, held: Iterable[TokenRecord]) -> None:
        """This process is alive and still owns these connected sessions: extend their lease."""
        ...

    async def owner(self, key: str) -> str | None:
        """The process that owns ``key`` now ("" when it is this one or none; None: no process knows it)."""
        ...

    async def release(self, owner: str, key: str) -> None:
        """Ask ``owner`` to save ``key``'s snapshot and let it go, and wait (briefly) for its answer;
        at once when ``owner`` is gone (a process that died hears nothing)."""
        ...

    async def tell(self, owner: str, message: Message, key: str) -> None:
        """Tell process ``owner`` something about its session ``key`` (the sender is this process)."""
        ...

    def on_message(self, handler: Callable[[Message, str, str], Awaitable[None]]) -> None:
        """Call ``handler(message, key, sender)`` for what other processes tell this one."""
        ...

    async def problem(self) -> str | None:
        """Why sessions cannot be shared right now (for /health), or None."""
        ...


class LocalSessionStore:
    """The store in this process: rate buckets, each client's tokens in issue order, tombstones.

    The default; every session lives and ends in the process that issued its token.
    """

    sharing: Sharing | None = None

    def __init__(self, *, per_minute: float, burst: int, clock: Clock) -> None:
        self._rates = ClientBuckets(per_minute=per_minute, burst=burst, now=clock.now)
        self._held: dict[str, OrderedDict[str, bool]] = {}  # client -> key -> still waiting for a socket
        self._client: dict[str, str] = {}  # key -> client
        self._expired: OrderedDict[str, None] = OrderedDict()

    async def take(self, client: str) -> float:
        return self._rates.take(client)

    async def admit(self, record: TokenRecord, *, cap: int, ttl: float) -> Admission:
        mine = self._held.setdefault(record.client, OrderedDict())
        evicted: tuple[tuple[str, str], ...] = ()
        if len(mine) >= cap:
            oldest = next((key for key, waiting in mine.items() if waiting), None)
            if oldest is None:
                if not mine:
                    del self._held[record.client]
                return Admission(False)
            await self.forget(oldest)
            evicted = ((oldest, ""),)
            mine = self._held.setdefault(record.client, OrderedDict())
        mine[record.key] = True
        self._client[record.key] = record.client
        return Admission(True, evicted)

    async def attached(self, key: str) -> None:
        client = self._client.get(key)
        if client is not None:
            self._held[client][key] = False

    async def forget(self, key: str, *, expired: bool = True) -> None:
        client = self._client.pop(key, None)
        if client is not None:
            mine = self._held[client]
            mine.pop(key, None)
            if not mine:
                del self._held[client]
        if expired:
            self._expired[key] = None
            while len(self._expired) > TOMBSTONES:
                self._expired.popitem(last=False)

    async def expired(self, key: str) -> bool:
        return key in self._expired

    async def aclose(self) -> None:
        """Nothing to release."""


def still_wanted() -> None:
    """Raise CancelledError when the current task was asked to stop. A cancellation that arrives
    during a Redis command can be swallowed by the client library: the task stays "cancelling" and
    its loop would go on (shutdown then waited for ever). Every store loop checks it each turn."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
