"""The session store in Redis (REDIS_URL): every process and machine that serves the game shares it.

Tokens (by their SHA-256), each client's holdings and new-session rate, and a snapshot of every
live session with the process that owns it. A socket that reconnects to another process claims the
session (the owner before is told, and lets go) and goes on from the last snapshot. Each change to a
record is one Lua script (web/redis_lua.py), so two processes never overwrite each other's changes;
a process writes a session's snapshot only while it owns it.

How long a record lives (Redis drops it itself, so a process that dies leaves nothing behind for
long): a token that never connected, SESSION_TOKEN_TTL_SECONDS; a connected session, a lease its
owner renews every few seconds (WS_RESUME_SECONDS plus two renewals: a player whose server died
has the whole resume window to come back); a session whose socket went away, WS_RESUME_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from web import redis_lua
from web.metrics import count_error
from web.store import Admission, Claim, Message, StoreUnavailable, TokenRecord, still_wanted

log = structlog.get_logger()
PREFIX = "da:"
TOMBSTONE_SECONDS = 3600.0  # how long an expired token is answered "expired" rather than "unknown"
TIMEOUT = 2.0  # seconds one Redis round trip may take before the store counts as unavailable
MESSAGES = ("release", "released", "evicted")
RELEASE_WAIT = 1.0  # seconds a claim waits for the owner's last snapshot (it answers within milliseconds)
RECONNECT_MAX = 10.0


def instance_name() -> str:
    """A process's name among the others: host, pid and a random part (a restarted pid is a new name)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisSessionStore:
    """``SessionStore`` and ``Sharing`` on one Redis. ``lease``: seconds a connected session's record
    lives without a renewal (its owner renews it every CLEANUP_INTERVAL)."""

    def __init__(self, url: str, *, per_minute: float, burst: int, lease: float, prefix: str = PREFIX,
                 instance: str | None = None, client: aioredis.Redis | None = None,
                 max_connections: int = 50) -> None:
        # Two quick retries: a pooled connection that a Redis restart closed is replaced, not reported.
        retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), 2)
        # A blocking pool: past ``max_connections`` a caller waits for a connection (up to TIMEOUT)
        # instead of failing at once ("Too many connections": 749 of 1,000 sessions refused at a burst).
        self._redis = client or aioredis.Redis.from_pool(aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=TIMEOUT, socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT, health_check_interval=30, retry=retry,
            retry_on_error=[RedisConnectionError, RedisTimeoutError]))
        self._owns_client = client is None
        self.url_for_logs = _without_password(url)
        self.rate, self.burst, self.lease, self.prefix = per_minute / 60.0, burst, lease, prefix
        self._instance = instance or instance_name()
        r = self._redis
        self._admit, self._claim = r.register_script(redis_lua.ADMIT), r.register_script(redis_lua.CLAIM)
        self._save, self._detach = r.register_script(redis_lua.SAVE), r.register_script(redis_lua.DETACH)
        self._refresh, self._forget = r.register_script(redis_lua.REFRESH), r.register_script(redis_lua.FORGET)
        self._take = r.register_script(redis_lua.TAKE)
        self._handlers: list[Callable[[Message, str, str], Awaitable[None]]] = []
        self._released: dict[str, asyncio.Future[None]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._tried = asyncio.Event()  # the listener tried to subscribe once (and perhaps failed)
        self.last_error: str | None = None
        self.handled = 0  # messages from other processes handled so far
        self._handled = asyncio.Condition()

    @property
    def sharing(self) -> RedisSessionStore:
        return self

    @property
    def instance(self) -> str:
        return self._instance

    def _k(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Listen for what other processes tell this one. Never fails: an unreachable Redis is
        retried in the background, and /health says so meanwhile."""
        self._listener = asyncio.create_task(self._listen())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(TIMEOUT):
                await self._tried.wait()

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._owns_client:
            await self._redis.aclose()

    # --- admission ---------------------------------------------------------------------
    async def take(self, client: str) -> float:
        wait = await self._call("take", self._take(keys=[self._k("r", client)], args=[self.rate, self.burst]))
        return float(wait)

    async def admit(self, record: TokenRecord, *, cap: int, ttl: float) -> Admission:
        got = await self._call("admit", self._admit(
            keys=[self._k("c", record.client), f"{self.prefix}seq", self._k("s", record.key)],
            args=[self.prefix, record.key, record.player_id, record.client, self._instance, cap, _ms(ttl),
                  _ms(TOMBSTONE_SECONDS)]))
        if not got or int(got[0]) == 0:
            return Admission(False)
        evicted = ((_text(got[1]), _text(got[2])),) if len(got) >= 3 else ()
        return Admission(True, tuple((key, "" if owner == self._instance else owner) for key, owner in evicted))

    async def attached(self, key: str) -> None:
        """Nothing to do: ``claim`` marked it attached."""

    async def forget(self, key: str, *, expired: bool = True) -> None:
        await self._call("forget", self._forget(
            keys=[self._k("s", key), self._k("x", key)],
            args=[self.prefix, self._instance, key, _ms(TOMBSTONE_SECONDS) if expired else 0]))

    async def expired(self, key: str) -> bool:
        return bool(await self._call("expired", self._redis.exists(self._k("x", key))))

    # --- sharing -------------------------------------------------------------------------
    async def claim(self, key: str) -> Claim | None:
        got = await self._call("claim", self._claim(keys=[self._k("s", key)],
                                                     args=[self.prefix, self._instance, _ms(self.lease)]))
        if not got:
            return None
        player, client, owner, snap = got
        before = _text(owner)
        return Claim(TokenRecord(key, _text(player), _text(client)), "" if before == self._instance else before,
                     None if snap is None else bytes(snap))

    async def save(self, items: Iterable[tuple[str, bytes]]) -> int:
        pipe = self._redis.pipeline(transaction=False)
        count = 0
        for key, blob in items:
            await self._save(keys=[self._k("s", key)], args=[self._instance, blob], client=pipe)
            count += 1
        if not count:
            return 0
        results = await self._call("save", pipe.execute())
        return sum(int(r) for r in results)

    async def detach(self, key: str, snapshot: bytes, *, keep_for: float) -> None:
        await self._call("detach", self._detach(keys=[self._k("s", key)],
                                                args=[self._instance, snapshot, _ms(keep_for)]))

    async def refresh(self, held: Iterable[TokenRecord]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        count = 0
        for record in held:
            await self._refresh(keys=[self._k("s", record.key), self._k("c", record.client)],
                                args=[self._instance, _ms(self.lease)], client=pipe)
            count += 1
        if count:
            await self._call("refresh", pipe.execute())

    async def owner(self, key: str) -> str | None:
        owner = await self._call("owner", self._redis.hget(self._k("s", key), "owner"))
        if owner is None:
            return None
        name = _text(owner)
        return "" if name == self._instance else name

    async def release(self, owner: str, key: str) -> None:
        answer = asyncio.get_running_loop().create_future()
        self._released[key] = answer
        try:
            heard = await self._call("release", self._redis.publish(self._k("to", owner),
                                                                   f"release {key} {self._instance}"))
            if int(heard) == 0:
                return  # nobody listens on that name: the owner is gone
            async with asyncio.timeout(RELEASE_WAIT):
                await answer
        except TimeoutError:
            log.warning("session_release_unanswered", event_type="session_moved", owner=owner)
        finally:
            if self._released.get(key) is answer:
                del self._released[key]

    async def tell(self, owner: str, message: Message, key: str) -> None:
        await self._call("tell", self._redis.publish(self._k("to", owner), f"{message} {key} {self._instance}"))

    def on_message(self, handler: Callable[[Message, str, str], Awaitable[None]]) -> None:
        self._handlers.append(handler)

    async def problem(self) -> str | None:
        try:
            async with asyncio.timeout(TIMEOUT):
                await self._redis.ping()
        except (RedisError, OSError, TimeoutError) as e:
            return f"session store (Redis at {self.url_for_logs}) unreachable: {_describe(e)}"
        if not self._listening.is_set():
            return f"session store (Redis at {self.url_for_logs}): not yet listening for moved sessions"
        return None

    # --- internals ----------------------------------------------------------------------
    async def _call(self, operation: str, pending: Awaitable[Any]) -> Any:
        try:
            async with asyncio.timeout(TIMEOUT * 2):
                result = await pending
        except (RedisError, OSError, TimeoutError) as e:
            count_error(f"session_store_{operation}")
            self.last_error = _describe(e)
            raise StoreUnavailable(f"the session store did not answer ({operation}: {self.last_error})",
                                   hint="check REDIS_URL and that Redis is running") from e
        self.last_error = None
        return result

    async def _listen(self) -> None:
        """Messages to this process (``tell``), until cancelled; reconnects with backoff."""
        channel = self._k("to", self._instance)
        wait = 0.5
        while True:
            still_wanted()
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                self._listening.set()
                self._tried.set()
                wait = 0.5
                while True:
                    still_wanted()
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                    if message is not None and message.get("type") == "message":
                        await self._deliver(_text(message["data"]))
            except (RedisError, OSError) as e:
                self._listening.clear()
                self._tried.set()
                log.warning("session_store_listen_failed", error=_describe(e), retry_in=wait)
                await asyncio.sleep(wait)
                wait = min(RECONNECT_MAX, wait * 2)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _deliver(self, text: str) -> None:
        words = text.split(" ")
        if len(words) != 3 or words[0] not in MESSAGES:
            log.warning("session_store_bad_message", message=text[:80])
            return
        message, key, sender = words
        if message == "released":
            answer = self._released.get(key)
            if answer is not None and not answer.done():
                answer.set_result(None)
        else:
            for handler in self._handlers:
                try:
                    await handler(message, key, sender)  # type: ignore[arg-type]
                except Exception:  # one bad session must not stop the listener
                    log.exception("session_store_message_failed", message=message)
        async with self._handled:
            self.handled += 1
            self._handled.notify_all()

    async def listening(self) -> None:
        """Until this process hears what others tell it (subscribed). A message published before that
        is lost to it, as Redis pub/sub keeps nothing: tests wait on this before they move sessions."""
        await self._listening.wait()

    async def wait_handled(self, count: int) -> None:
        """Until ``count`` messages from other processes have been handled (tests and benchmarks wait
        on this rather than on the clock)."""
        async with self._handled:
            await self._handled.wait_for(lambda: self.handled >= count)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _without_password(url: str) -> str:
    """``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0`` for logs and /health."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
