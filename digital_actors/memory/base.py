"""What both stores do the same way: players, play, player control and health, over a ``sql.Tx``.

A store supplies ``_tx``: run one function in a transaction it owns (memory/connection.py for SQLite,
memory/pgdb.py for PostgreSQL) and map the database's errors to MemoryStoreError. Everything here is
the shared SQL in queries.py, control.py and writes.py, so the two stores cannot drift apart.
"""

from __future__ import annotations

import abc
import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import structlog

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import control, migrations, queries, writes
from digital_actors.memory.records import AttemptHandle, MemoryNote, PlayerRecord, iso, utc_now
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.sql import Dialect, Mode, Tx
from digital_actors.memory.writes import Write
from digital_actors.player import Recollection

log = structlog.get_logger()
T = TypeVar("T")
TxWork = Callable[[Tx], Awaitable[T]]


def default_name(kind: str, player_id: str) -> str:
    """The profile name of a profile made from an id alone: ``web-<the id>`` (cut to 40 characters)."""
    return f"{kind}-{player_id}"[:queries.MAX_NAME]


class SqlStore(abc.ABC):
    """The store API over shared SQL. Subclasses own the connection(s) and implement ``_tx``."""

    dialect: Dialect

    def __init__(self, *, wall_clock: Callable[[], datetime] = utc_now, memory_limit: int = 5) -> None:
        self._now = wall_clock
        self._memory_limit = memory_limit

    @property
    @abc.abstractmethod
    def path(self) -> Path | str: ...

    @abc.abstractmethod
    async def _tx(self, operation: str, work: TxWork[T], *, mode: Mode = "write",
                  busy_timeout_ms: int | None = None, retry: bool = True) -> T:
        ...

    async def transaction(self, operation: str, work: TxWork[T], *, mode: Mode = "write") -> T:
        """Run ``work`` in one transaction of this store (memory/transfer.py copies and dumps with it)."""
        return await self._tx(operation, work, mode=mode)

    def now(self) -> datetime:
        """The store's wall clock (UTC): what timestamps written now will say."""
        return self._now()

    async def write(self, write: Write, *, busy_timeout_ms: int | None = None, retry: bool = True) -> bool:
        """Apply one write record (memory/writes.py) in its own transaction; False if it was already there.

        The outbox passes a short ``busy_timeout_ms`` and ``retry=False``: it waits for locks itself.
        """
        return await self._tx(writes.describe(write), lambda tx: writes.apply(tx, write),
                              busy_timeout_ms=busy_timeout_ms, retry=retry)

    async def probe_write(self, *, busy_timeout_ms: int = 250) -> None:
        """Rewrite the one-row ``_health`` table: raises MemoryStoreError when a write cannot land now."""
        stamp = iso(self._now())

        async def work(tx: Tx) -> None:
            await tx.run("INSERT INTO _health (id, probed_at) VALUES (1, ?) "
                         "ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at", (stamp,))

        await self._tx("probe", work, busy_timeout_ms=busy_timeout_ms, retry=False)

    # --- players ---------------------------------------------------------------------------

    async def player(self, name: str, kind: str = "terminal") -> PlayerRecord:
        """The profile called ``name`` (case-insensitive), created on first use. Ids never change."""
        now = self._now()
        return await self._tx("player", lambda tx: queries.get_or_create_player(tx, name, kind, now))

    async def create_player(self, kind: str = "web", name: str | None = None, *,
                            player_id: str | None = None) -> PlayerRecord:
        """A new profile (the web server issues these); the name defaults to ``<kind>-<8 hex>``.

        With ``player_id`` the profile gets that id (created if missing: the same call twice is one profile).
        """
        if player_id is None:
            chosen = name or f"{kind}-{os.urandom(4).hex()}"
            return await self.player(chosen, kind)
        await self.write(writes.EnsurePlayer(player_id, name or default_name(kind, player_id), kind,
                                             iso(self._now())))
        found = await self.get_player(player_id)
        assert found is not None
        return found

    async def get_player(self, player_id: str) -> PlayerRecord | None:
        return await self._tx("get_player", lambda tx: queries.get_player(tx, player_id), mode="read")

    async def ensure_player(self, player_id: str, kind: str = "web") -> PlayerRecord | None:
        """The profile with this id, created on first use (the web server calls it at a player's
        first scene, not when it hands out the id); None if the id belongs to another kind."""
        now = self._now()
        return await self._tx("ensure_player", lambda tx: queries.ensure_player(tx, player_id, kind, now))

    async def find_player(self, name: str, kind: str | None = None) -> PlayerRecord | None:
        """A profile by name without creating one; terminal profiles win when no kind is given."""
        return await self._tx("find_player", lambda tx: queries.find_player(tx, name, kind), mode="read")

    async def list_players(self) -> list[PlayerRecord]:
        """Every profile, most recently seen first."""
        return await self._tx("list_players", queries.list_players, mode="read")

    async def set_given_name(self, player_id: str, name: str) -> bool:
        """Remember the name the player gave the characters (never the profile id)."""
        return await self._tx("set_given_name", lambda tx: queries.set_given_name(tx, player_id, name))

    # --- play ------------------------------------------------------------------------------

    async def recollection(self, player_id: str, scene_id: str, character_id: str) -> Recollection:
        """What a session starting now knows about this player, this scene and this character."""
        limit = self._memory_limit
        # "snapshot": the operation's label in digital_actors_db_query_seconds, kept for dashboards.
        return await self._tx(
            "snapshot", lambda tx: queries.recollection(tx, player_id, scene_id, character_id, limit), mode="read")

    async def begin_attempt(
        self, player_id: str, scene_id: str, character_id: str, *, session_id: str | None = None
    ) -> AttemptHandle:
        """Write the session row (unless ``session_id`` continues one) and an in_progress attempt.

        Attempts of this player still in_progress (a crash, a killed server) become abandoned.
        """
        begin = writes.new_attempt(player_id, scene_id, character_id, at=iso(self._now()), session_id=session_id)
        await self.write(begin)
        return begin.handle

    async def finish_attempt(
        self,
        handle: AttemptHandle,
        outcome: str,
        ending_id: str | None,
        stats: AttemptStats,
        memories: list[MemoryNote],
        *,
        elapsed: float | None = None,
    ) -> bool:
        """Complete an attempt in one transaction; False if it was already finished or forgotten.

        ``elapsed`` is play time in seconds (the game clock); by default, wall time since start.
        """
        finish = writes.FinishAttempt(handle, outcome, ending_id, stats, tuple(memories), elapsed,
                                      iso(self._now()))
        written = await self.write(finish)
        if not written:
            log.warning("memory_attempt_not_written", reason="already finished or forgotten")
        return written

    async def abandon_stale(self, older_than_seconds: float) -> int:
        """Mark attempts in progress for longer than ``older_than_seconds`` abandoned; how many."""
        before = iso(self._now() - timedelta(seconds=older_than_seconds))
        return await self._tx("abandon_stale", lambda tx: queries.abandon_stale(tx, before))

    # --- player control -------------------------------------------------------------------

    async def forget(
        self,
        player_id: str,
        *,
        memory_id: int | None = None,
        character_id: str | None = None,
        everything: bool = False,
    ) -> dict[str, int]:
        """Delete one memory, all a character knows, or the whole profile; rows deleted per table."""
        return await self._tx(
            "forget", lambda tx: control.forget(tx, player_id, memory_id, character_id, everything))

    async def export(self, player_id: str) -> dict[str, Any]:
        """Everything stored about one player, JSON-ready."""
        now = self._now()
        return await self._tx("export", lambda tx: control.export(tx, player_id, now), mode="read")

    # --- health ----------------------------------------------------------------------------

    async def healthy(self, within: float = 2.0) -> tuple[bool, str]:
        """For /health: (True, "ok") when a trivial read answers within ``within`` seconds."""

        async def work(tx: Tx) -> int:
            row = await tx.one("SELECT count(*) FROM _migrations")
            return int(row[0]) if row else 0

        try:
            async with asyncio.timeout(within):
                count = await self._tx("health", work, mode="read")
        except TimeoutError:
            return False, f"database did not answer within {within:g}s"
        except MemoryStoreError as e:
            return False, e.message
        if count < len(migrations.MIGRATIONS):
            return False, "schema is not fully migrated"
        return True, "ok"
