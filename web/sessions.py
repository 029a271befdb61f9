"""The app's registry of player sessions: issues tokens, finds them, expires them, closes them all.

A token (``secrets.token_urlsafe``) must open its WebSocket within ``session_token_ttl_seconds``;
after a socket drops, the session waits ``ws_resume_seconds`` for the same token to come back.
Past either window the session is closed and its token answers "expired". One registry per app.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import OrderedDict
from typing import Literal

import structlog

from digital_actors.clock import Clock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.errors import DigitalActorsError
from digital_actors.logging import short_hash
from web.catalog import SceneCatalog
from web.metrics import ACTIVE_SESSIONS
from web.player import PlayerSession

log = structlog.get_logger()
TokenProblem = Literal["missing", "unknown", "expired"]
TOMBSTONES = 10_000  # hashes of expired tokens remembered, so a late reconnect hears "expired"


class RegistryFull(DigitalActorsError):
    """This process holds as many sessions as WEB_MAX_SESSIONS allows."""


class SessionRegistry:
    """Player sessions by token. Owned by the app (``cleanup_ctx``); never a module global."""

    def __init__(self, settings: Settings, *, engine: Engine, catalog: SceneCatalog, clock: Clock, pace: float) -> None:
        self.settings, self.engine, self.catalog = settings, engine, catalog
        self.clock, self.pace = clock, pace
        self._sessions: dict[str, PlayerSession] = {}
        self._expired: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def issue(self, player_id: str) -> PlayerSession:
        """A new session with a fresh token for ``player_id``."""
        if len(self._sessions) >= self.settings.web_max_sessions:
            raise RegistryFull("This server is full.", hint="try again in a minute")
        token = secrets.token_urlsafe(32)
        player = PlayerSession(token, player_id, engine=self.engine, catalog=self.catalog,
                               clock=self.clock, pace=self.pace)
        self._sessions[token] = player
        ACTIVE_SESSIONS.inc()
        player.log.info("session_issued", event_type="session_issued")
        return player

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
