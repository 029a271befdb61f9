"""The app's registry of player sessions: admits, issues, finds, expires and closes them.

A token (``secrets.token_urlsafe``) must open its WebSocket within ``session_token_ttl_seconds``;
after a socket drops, the session waits ``ws_resume_seconds`` for the same token to come back.
Past either window the session is closed and its token answers "expired". One registry per app;
it holds this process's live sessions, and its store (web/store.py) what must hold across processes.

Admission, so that a bot cannot lock players out (docs/DEPLOYMENT.md, "Floods"):

- each client address (``web/clients.py``) may ask for SESSION_RATE_BURST tokens at once and
  SESSION_RATE_PER_MINUTE after that (429), and hold WEB_MAX_SESSIONS_PER_CLIENT sessions (429,
  after giving up its own oldest token that never connected);
- at WEB_MAX_SESSIONS a new player takes the place of the oldest token that never connected;
  only sessions that hold a socket (or are inside their resume window) can fill the server (503).
  Tokens cost a flood one request each, so they never hold a place against a player.

With a shared store (REDIS_URL) the per-client rate and share count across every process, and a
socket may reconnect to any of them: the registry claims the session and goes on from its last
snapshot (written a moment after each change, see ``flush``); the process that held it lets go.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
from collections.abc import Iterable
from typing import Literal

import structlog

from digital_actors.clock import Clock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.errors import DigitalActorsError
from web import snapshot
from web.catalog import SceneCatalog
from web.metrics import ACTIVE_SESSIONS, SESSIONS_MOVED, SESSIONS_REFUSED, SNAPSHOT_BYTES, SNAPSHOT_WRITES
from web.player import Link, PlayerSession
from web.store import (
    Claim,
    LocalSessionStore,
    Message,
    SessionStore,
    StoreUnavailable,
    TokenRecord,
    still_wanted,
    token_key,
)

log = structlog.get_logger()
TokenProblem = Literal["missing", "unknown", "expired"]
FULL_RETRY_AFTER = 30.0  # seconds a refused player is told to wait when places are held by sockets
CLEANUP_INTERVAL = 5.0  # seconds between two sweeps of expired sessions (and lease renewals when shared)
FLUSH_INTERVAL = 0.25  # seconds between two snapshot writes of a changed session (coalesces a turn's events)


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

    def __init__(self, settings: Settings, *, engine: Engine, catalog: SceneCatalog, clock: Clock, pace: float,
                 store: SessionStore | None = None) -> None:
        self.settings, self.engine, self.catalog = settings, engine, catalog
        self.clock, self.pace = clock, pace
        self.store: SessionStore = store or LocalSessionStore(
            per_minute=settings.session_rate_per_minute, burst=settings.session_rate_burst, clock=clock)
        self._sessions: dict[str, PlayerSession] = {}  # issue order: the oldest first
        self._keys: dict[str, PlayerSession] = {}
        self._claiming: dict[str, asyncio.Lock] = {}
        sharing = self.store.sharing
        if sharing is not None:
            sharing.on_message(self._told)

    def __len__(self) -> int:
        return len(self._sessions)

    def held_by(self, client: str) -> int:
        """Sessions ``client`` holds in this process now."""
        return sum(1 for p in self._sessions.values() if p.client == client)

    async def limit(self, client: str) -> None:
        """Spend one of ``client``'s new-session tokens, or raise ClientLimited (nothing else happens)."""
        wait = await self.store.take(client)
        if wait > 0:
            SESSIONS_REFUSED.labels("rate").inc()
            raise ClientLimited("Too many new sessions from your address.",
                                hint=f"try again in {wait:.0f} s", retry_after=wait)

    async def issue(self, player_id: str, *, client: str) -> PlayerSession:
        """A new session with a fresh token for ``player_id``, held by ``client``. Raises
        ClientLimited (this client holds its share), RegistryFull (every place has a socket) or
        StoreUnavailable (a shared store did not answer)."""
        token = secrets.token_urlsafe(32)
        record = TokenRecord(token_key(token), player_id, client)
        admission = await self.store.admit(record, cap=self.settings.web_max_sessions_per_client,
                                           ttl=self.settings.session_token_ttl_seconds + CLEANUP_INTERVAL)
        if not admission.admitted:
            SESSIONS_REFUSED.labels("client_cap").inc()
            raise ClientLimited("Your address already holds as many sessions as it may.",
                                hint="close another tab, or try again in a minute",
                                retry_after=self.settings.session_token_ttl_seconds)
        for key, owner in admission.evicted:
            await self._gave_way(key, owner)
        if len(self._sessions) >= self.settings.web_max_sessions:
            if not await self._evict_waiting(self._sessions.values(), "evicted_for_new_player"):
                await self._quietly(self.store.forget(record.key, expired=False))  # the token was never handed out
                SESSIONS_REFUSED.labels("full").inc()
                raise RegistryFull("This server is full.", hint="try again in a minute")
        player = PlayerSession(token, player_id, engine=self.engine, catalog=self.catalog,
                               clock=self.clock, pace=self.pace, client=client)
        self._add(player)
        player.log.info("session_issued", event_type="session_issued")
        return player

    def _add(self, player: PlayerSession) -> None:
        self._sessions[player.token] = self._keys[player.key] = player
        ACTIVE_SESSIONS.inc()

    async def _gave_way(self, key: str, owner: str) -> None:
        """The client's token ``key`` gave way to its newer one (the store has forgotten it already)."""
        player = self._keys.get(key)
        if player is not None:
            await self._drop(player, "replaced_by_same_client", forget=False)
        elif owner and (sharing := self.store.sharing) is not None:
            await self._quietly(sharing.tell(owner, "evicted", key))

    async def _evict_waiting(self, candidates: Iterable[PlayerSession], why: str) -> bool:
        """Close the oldest of ``candidates`` that never connected; False if every one has."""
        for player in list(candidates):
            if player.waiting:
                await self._drop(player, why)
                return True
        return False

    def lookup(self, token: str | None) -> PlayerSession | TokenProblem:
        """This process's live session for ``token``, or why there is none (no store asked)."""
        if not token:
            return "missing"
        player = self._sessions.get(token)
        if player is None:
            return "unknown"
        if self._due(player):
            return "expired"
        return player

    async def connect(self, token: str | None) -> PlayerSession | TokenProblem:
        """The session a socket with ``token`` plays: this process's, or (with a shared store) one that
        another process held, claimed and resumed here. Raises StoreUnavailable."""
        found = self.lookup(token)
        if not token or found == "expired":
            return found
        key = token_key(token)
        sharing = self.store.sharing
        if sharing is None:
            if isinstance(found, PlayerSession):
                return found
            return "expired" if await self.store.expired(key) else "unknown"
        lock = self._claiming.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                return await self._claim(token, key)
        finally:
            if not lock.locked() and self._claiming.get(key) is lock:
                del self._claiming[key]

    async def _claim(self, token: str, key: str) -> PlayerSession | TokenProblem:
        sharing = self.store.sharing
        assert sharing is not None
        local = self._sessions.get(token)
        owner = await sharing.owner(key)
        if owner:  # another process plays it (or played it, and died): its last snapshot first
            await sharing.release(owner, key)
        claim = await sharing.claim(key)
        if claim is None and local is not None:  # the store lost it (a Redis restart): this process still plays it
            await self.store.admit(TokenRecord(key, local.player_id, local.client), cap=sys.maxsize,
                                   ttl=self.settings.session_token_ttl_seconds)
            claim = await sharing.claim(key)
        if claim is None:
            return "expired" if await self.store.expired(key) else "unknown"
        if local is not None and not claim.previous_owner:
            return local
        if local is not None:  # it moved away and came back: what this process holds is stale
            await self._drop(local, "moved", forget=False, hand_off=True)
        return await self._adopt(token, claim)

    async def _adopt(self, token: str, claim: Claim) -> PlayerSession:
        """A session another process held (or issued) goes on here from its last snapshot."""
        record = claim.record
        player = PlayerSession(token, record.player_id, engine=self.engine, catalog=self.catalog,
                               clock=self.clock, pace=self.pace, client=record.client)
        outcome = "fresh"
        if claim.snapshot is not None:
            try:
                await player.restore(snapshot.loads(claim.snapshot))
                outcome = "resumed" if player.session is not None else "fresh"
            except (ValueError, DigitalActorsError) as e:  # a damaged snapshot, a scene that no longer loads
                outcome = "lost"
                player.log.warning("session_not_resumed", event_type="session_moved", error=str(e)[:200])
        SESSIONS_MOVED.labels(outcome).inc()
        player.log.info("session_moved", event_type="session_moved", outcome=outcome,
                        from_elsewhere=bool(claim.previous_owner))
        self._add(player)
        return player

    async def attach(self, player: PlayerSession, link: Link) -> None:
        """A socket attached to ``player`` (it replaces any older socket; the scene clock resumes)."""
        await player.attach(link)
        await self._quietly(self.store.attached(player.key))

    async def detach(self, player: PlayerSession, link: Link) -> None:
        """The socket went away: the scene pauses; with a shared store its snapshot is written now, so
        a reconnect to any process finds the scene as it is."""
        player.detach(link)
        sharing = self.store.sharing
        if sharing is None or player.link is not None or player.closed:
            return
        blob = player.take_snapshot()
        SNAPSHOT_BYTES.observe(len(blob))
        try:
            await sharing.detach(player.key, blob, keep_for=self.settings.ws_resume_seconds + CLEANUP_INTERVAL)
            SNAPSHOT_WRITES.inc()
        except StoreUnavailable as e:
            player.mark_changed()
            player.log.warning("session_snapshot_failed", event_type="session_store", error=e.message)

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

    async def run_cleanup(self, interval: float = CLEANUP_INTERVAL) -> None:
        """Expire sessions (and, when shared, renew the lease of connected ones) every ``interval``
        seconds until cancelled."""
        while True:
            still_wanted()
            await self.clock.sleep(interval)
            try:
                await self.expire_due()
                sharing = self.store.sharing
                if sharing is not None:
                    await sharing.refresh(TokenRecord(p.key, p.player_id, p.client)
                                          for p in self._sessions.values() if p.connected)
            except StoreUnavailable as e:
                log.warning("session_lease_failed", event_type="session_store", error=e.message)
            except Exception:  # the sweeper must outlive one bad session
                log.exception("session_cleanup_failed")

    async def flush(self) -> int:
        """Write the snapshot of every session that changed since its last one (a shared store only).
        A session whose only change is its clock is written every ``CLOCK_EVERY`` seconds of it."""
        sharing = self.store.sharing
        if sharing is None:
            return 0
        now = self.clock.now()
        due = [p for p in self._sessions.values() if p.snapshot_due(now)]
        if not due:
            return 0
        items = [(p.key, p.take_snapshot()) for p in due]
        for _, blob in items:
            SNAPSHOT_BYTES.observe(len(blob))
        try:
            written = await sharing.save(items)
        except StoreUnavailable as e:
            for player in due:
                player.mark_changed()
            log.warning("session_snapshot_failed", event_type="session_store", error=e.message, sessions=len(due))
            return 0
        SNAPSHOT_WRITES.inc(written)
        return written

    async def run_flusher(self, interval: float = FLUSH_INTERVAL) -> None:
        """``flush`` every ``interval`` seconds until cancelled (a shared store only)."""
        while True:
            still_wanted()
            await self.clock.sleep(interval)
            try:
                await self.flush()
            except Exception:
                log.exception("session_flush_failed")

    async def _told(self, message: Message, key: str, sender: str) -> None:
        """Another process asks for this process's session ``key`` (a socket with its token reached it):
        its snapshot is saved, it is let go here, and the sender hears so. Or the token gave way to
        the same client's newer one."""
        sharing = self.store.sharing
        assert sharing is not None
        player = self._keys.get(key)
        if message == "evicted":
            if player is not None:
                await self._drop(player, "replaced_by_same_client", forget=False)
            return
        try:
            if player is not None and not player.waiting:
                blob = player.take_snapshot()
                SNAPSHOT_BYTES.observe(len(blob))
                SNAPSHOT_WRITES.inc(await sharing.save([(key, blob)]))
        finally:
            await self._quietly(sharing.tell(sender, "released", key))
        if player is not None:  # after the answer: closing its socket may take a while
            await self._drop(player, "moved", forget=False, hand_off=True)

    async def _drop(self, player: PlayerSession, why: str, *, forget: bool = True, hand_off: bool = False) -> None:
        if self._sessions.get(player.token) is not player:
            return
        del self._sessions[player.token]
        self._keys.pop(player.key, None)
        ACTIVE_SESSIONS.dec()
        player.log.info("session_closed", event_type="session_closed", reason=why)
        if forget:
            await self._quietly(self.store.forget(player.key))
        if hand_off:
            await player.hand_off()
        else:
            await player.close()

    async def close_all(self, within: float = 15.0) -> None:
        """Close every session and wait (bounded) for their memory writes. With a shared store the
        sessions are handed over instead: saved, kept for the resume window, and not recorded here
        (the process a player reconnects to goes on with the attempt)."""
        players = list(self._sessions.values())
        if not players:
            return
        sharing = self.store.sharing
        if sharing is not None:
            await self._hand_over(players)
        tasks = [asyncio.ensure_future(self._drop(p, "shutdown", forget=sharing is None, hand_off=sharing is not None))
                 for p in players]
        done, pending = await asyncio.wait(tasks, timeout=within)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        failed = sum(1 for t in done if not t.cancelled() and t.exception() is not None)
        if pending or failed:
            log.error("sessions_close_incomplete", pending=len(pending), failed=failed)

    async def _hand_over(self, players: list[PlayerSession]) -> None:
        sharing = self.store.sharing
        assert sharing is not None
        keep = self.settings.ws_resume_seconds + CLEANUP_INTERVAL
        handed = 0
        for player in players:
            if player.waiting:
                continue
            try:
                await sharing.detach(player.key, player.take_snapshot(), keep_for=keep)
                handed += 1
            except StoreUnavailable as e:
                player.log.warning("session_hand_over_failed", event_type="session_store", error=e.message)
        log.info("sessions_handed_over", event_type="shutdown", sessions=handed)

    async def _quietly(self, pending: object) -> None:
        """Await a store call whose failure must not stop what the caller is doing (logged)."""
        try:
            await pending  # type: ignore[misc]
        except StoreUnavailable as e:
            log.warning("session_store_failed", event_type="session_store", error=e.message)

    async def problems(self) -> list[str]:
        """Why sessions cannot move between processes now (a shared store only): for /health."""
        sharing = self.store.sharing
        if sharing is None:
            return []
        problem = await sharing.problem()
        return [problem] if problem else []
