"""The app's registry of player sessions: admits, issues, finds, expires and closes them.

A token (``secrets.token_urlsafe``) must open its WebSocket within ``session_token_ttl_seconds``;
after a socket drops, the session waits ``ws_resume_seconds`` for the same token to come back.
Past either window the session is closed and its token answers "expired". One registry per app.

Admission, so that a bot cannot lock players out (docs/DEPLOYMENT.md, "Floods"):

- each client address (``web/clients.py``) may ask for SESSION_RATE_BURST tokens at once and
  SESSION_RATE_PER_MINUTE after that (429), and hold WEB_MAX_SESSIONS_PER_CLIENT sessions (429,
  after giving up its own oldest token that never connected);
- at WEB_MAX_SESSIONS a new player takes the place of the oldest token that never connected;
  only sessions that hold a socket (or are inside their resume window) can fill the server (503).
  Tokens cost a flood one request each, so they never hold a place against a player.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import OrderedDict
from collections.abc import Iterable
from typing import Literal

import structlog

from digital_actors.clock import Clock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.errors import DigitalActorsError
from digital_actors.logging import short_hash
from web.catalog import SceneCatalog
from web.metrics import ACTIVE_SESSIONS, SESSIONS_REFUSED
from web.player import PlayerSession
from web.ratelimit import ClientBuckets

log = structlog.get_logger()
TokenProblem = Literal["missing", "unknown", "expired"]
TOMBSTONES = 10_000  # hashes of expired tokens remembered, so a late reconnect hears "expired"
FULL_RETRY_AFTER = 30.0  # seconds a refused player is told to wait when places are held by sockets


class RegistryFull(DigitalActorsError):
    """Every place (WEB_MAX_SESSIONS) is held by a player with a socket."""

    retry_after = FULL_RETRY_AFTER


class ClientLimited(DigitalActorsError):
    """This client address asked for sessions too fast, or holds as many as it may."""

    def __init__(self, message: str, hint: str, *, retry_after: float) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class SessionRegistry:
    """Player sessions by token. Owned by the app (``cleanup_ctx``); never a module global."""

    def __init__(self, settings: Settings, *, engine: Engine, catalog: SceneCatalog, clock: Clock, pace: float) -> None:
        self.settings, self.engine, self.catalog = settings, engine, catalog
        self.clock, self.pace = clock, pace
        self._sessions: dict[str, PlayerSession] = {}  # issue order: the oldest first
        self._by_client: dict[str, dict[str, PlayerSession]] = {}
        self._expired: OrderedDict[str, None] = OrderedDict()
        self._rates = ClientBuckets(per_minute=settings.session_rate_per_minute, burst=settings.session_rate_burst,
                                    now=clock.now)

    def __len__(self) -> int:
        return len(self._sessions)

    def held_by(self, client: str) -> int:
        """Sessions ``client`` holds now."""
        return len(self._by_client.get(client, ()))

    def limit(self, client: str) -> None:
        """Spend one of ``client``'s new-session tokens, or raise ClientLimited (nothing else happens)."""
        wait = self._rates.take(client)
        if wait > 0:
            SESSIONS_REFUSED.labels("rate").inc()
            raise ClientLimited("Too many new sessions from your address.",
                                hint=f"try again in {wait:.0f} s", retry_after=wait)

    async def issue(self, player_id: str, *, client: str) -> PlayerSession:
        """A new session with a fresh token for ``player_id``, held by ``client``. Raises
        ClientLimited (this client holds its share) or RegistryFull (every place has a socket)."""
        mine = self._by_client.get(client, {})
        if len(mine) >= self.settings.web_max_sessions_per_client:
            if not await self._evict_waiting(mine.values(), "replaced_by_same_client"):
                SESSIONS_REFUSED.labels("client_cap").inc()
                raise ClientLimited("Your address already holds as many sessions as it may.",
                                    hint="close another tab, or try again in a minute",
                                    retry_after=self.settings.session_token_ttl_seconds)
        if len(self._sessions) >= self.settings.web_max_sessions:
            if not await self._evict_waiting(self._sessions.values(), "evicted_for_new_player"):
                SESSIONS_REFUSED.labels("full").inc()
                raise RegistryFull("This server is full.", hint="try again in a minute")
        token = secrets.token_urlsafe(32)
        player = PlayerSession(token, player_id, engine=self.engine, catalog=self.catalog,
                               clock=self.clock, pace=self.pace, client=client)
        self._sessions[token] = player
        self._by_client.setdefault(client, {})[token] = player
        ACTIVE_SESSIONS.inc()
        player.log.info("session_issued", event_type="session_issued")
        return player

    async def _evict_waiting(self, candidates: Iterable[PlayerSession], why: str) -> bool:
        """Close the oldest of ``candidates`` that never connected; False if every one has."""
        for player in list(candidates):
            if player.waiting:
                await self._drop(player, why)
                return True
        return False

    def lookup(self, token: str | None) -> PlayerSession | TokenProblem:
        """The live session for ``token``, or why there is none."""
        if not token:
            return "missing"
        player = self._sessions.get(token)
        if player is None:
            return "expired" if short_hash(token) in self._expired else "unknown"
        if self._due(player):
            return "expired"
        return player

    def _due(self, player: PlayerSession) -> bool:
        if player.connected:
            return False
        now = self.clock.now()
        if player.detached_at is None:
            return now - player.issued_at > self.settings.session_token_ttl_seconds
        return now - player.detached_at > self.settings.ws_resume_seconds

    async def expire_due(self) -> int:
        """Close every session past its window; returns how many."""
        due = [p for p in self._sessions.values() if self._due(p)]
        for player in due:
            await self._drop(player, "expired")
        return len(due)

    async def run_cleanup(self, interval: float) -> None:
        """Expire sessions every ``interval`` seconds until cancelled."""
        while True:
            await self.clock.sleep(interval)
            try:
                await self.expire_due()
            except Exception:  # the sweeper must outlive one bad session
                log.exception("session_cleanup_failed")

    async def _drop(self, player: PlayerSession, why: str) -> None:
        if self._sessions.pop(player.token, None) is None:
            return
        mine = self._by_client.get(player.client)
        if mine is not None:
            mine.pop(player.token, None)
            if not mine:
                del self._by_client[player.client]
        ACTIVE_SESSIONS.dec()
        self._expired[short_hash(player.token)] = None
        while len(self._expired) > TOMBSTONES:
            self._expired.popitem(last=False)
        player.log.info("session_closed", event_type="session_closed", reason=why)
        await player.close()

    async def close_all(self, within: float = 15.0) -> None:
        """Close every session and wait (bounded) for their memory writes."""
        players = list(self._sessions.values())
        if not players:
            return
        tasks = [asyncio.ensure_future(self._drop(p, "shutdown")) for p in players]
        done, pending = await asyncio.wait(tasks, timeout=within)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        failed = sum(1 for t in done if not t.cancelled() and t.exception() is not None)
        if pending or failed:
            log.error("sessions_close_incomplete", pending=len(pending), failed=failed)
