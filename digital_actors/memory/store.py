"""The MemoryStore port and its SQLite implementation (aiosqlite, WAL, one connection per store).

One store serves many sessions: its operations are serialised on one connection by an
asyncio lock, writes take ``BEGIN IMMEDIATE`` so another process on the same file waits in
SQLite's busy handler instead of deadlocking, and a still-locked database is retried a
bounded number of times with backoff and jitter before a clear MemoryStoreError.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite
import structlog

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import location, maintenance, migrations, queries
from digital_actors.memory.metrics import DB_ERRORS, DB_LOCK_RETRIES, DB_QUERY_SECONDS
from digital_actors.memory.records import (
    AttemptHandle,
    IntegrityReport,
    MemoryNote,
    PlayerRecord,
    SalvageReport,
    utc_now,
)
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.salvage import salvage_database
from digital_actors.memory.snapshot import PlayerMemory

log = structlog.get_logger()
T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Awaitable[T]]


class MemoryStore(Protocol):
    """What sessions, front ends and the web server need from a player-memory store."""

    async def player(self, name: str, kind: str = "terminal") -> PlayerRecord: ...
    async def create_player(self, kind: str = "web", name: str | None = None) -> PlayerRecord: ...
    async def get_player(self, player_id: str) -> PlayerRecord | None: ...
    async def find_player(self, name: str, kind: str | None = None) -> PlayerRecord | None: ...
    async def list_players(self) -> list[PlayerRecord]: ...
    async def snapshot(self, player_id: str, scene_id: str, character_id: str) -> PlayerMemory: ...
    async def begin_attempt(
        self, player_id: str, scene_id: str, character_id: str, *, session_id: str | None = None
    ) -> AttemptHandle: ...
    async def finish_attempt(
        self,
        handle: AttemptHandle,
        outcome: str,
        ending_id: str | None,
        stats: AttemptStats,
        memories: list[MemoryNote],
        *,
        elapsed: float | None = None,
    ) -> bool: ...
    async def forget(
        self,
        player_id: str,
        *,
        memory_id: int | None = None,
        character_id: str | None = None,
        everything: bool = False,
    ) -> dict[str, int]: ...
    async def export(self, player_id: str) -> dict[str, Any]: ...
    async def healthy(self) -> tuple[bool, str]: ...


class SqliteMemoryStore:
    """The default store: one SQLite file (or ``:memory:``), migrated on open.

    Build with ``async with SqliteMemoryStore.open(path_or_url) as store`` (or ``connect`` and
    ``close`` for a long-lived server). ``None`` means the default file in the data dir.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout_ms: int = 5000,
        lock_retries: int = 4,
        retry_base_seconds: float = 0.05,
        wall_clock: Callable[[], datetime] = utc_now,
        memory_limit: int = 5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._lock_retries = lock_retries
        self._retry_base = retry_base_seconds
        self._now = wall_clock
        self._memory_limit = memory_limit
        self._sleep = sleep  # the pause between lock retries (tests inject their own)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def path(self) -> Path | str:
        """The database file, or ``":memory:"``."""
        return self._path

    @classmethod
    async def connect(
        cls, where: str | os.PathLike[str] | None = None, *, quick_check: bool = True, **options: Any
    ) -> SqliteMemoryStore:
        """Open (creating and migrating if needed) the store at ``where``; call ``close`` after."""
        store = cls(location.resolve(where), **options)
        await store._connect(quick_check=quick_check)
        return store

    @classmethod
    @asynccontextmanager
    async def open(
        cls, where: str | os.PathLike[str] | None = None, **options: Any
    ) -> AsyncIterator[SqliteMemoryStore]:
        """``async with SqliteMemoryStore.open(path) as store``: connected, migrated, then closed."""
        store = await cls.connect(where, **options)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        """Close the connection (SQLite checkpoints the WAL when the last connection closes)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    # --- connection ----------------------------------------------------------------------

    async def _connect(self, *, quick_check: bool) -> None:
        path = self._path
        if path != location.MEMORY:
            assert isinstance(path, Path)
            location.prepare_dir(path)
            if location.file_kind(path) == "other":
                raise MemoryStoreError(f"{path} is not a SQLite database.", location.RECOVERY)
        try:
            conn = await aiosqlite.connect(
                str(path), isolation_level=None, timeout=self._busy_timeout_ms / 1000
            )
        except sqlite3.Error as e:
            raise location.store_error(e, path, "open") from e
        self._conn = conn
        try:
            await self._run("open", lambda c: self._setup(c, quick_check), mode="none")
        except BaseException:
            await self.close()
            raise

    async def _setup(self, conn: aiosqlite.Connection, quick_check: bool) -> None:
        await conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        done = await migrations.applied(conn)  # the first read: fails on a damaged header
        if not done:
            async with conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ) as cur:
                row = await cur.fetchone()
            if row and row[0]:
                raise MemoryStoreError(
                    f"{self._path} is a SQLite database, but not a Digital Actors memory file.",
                    "Point DIGITAL_ACTORS_DB at another file; this one was left untouched.",
                )
        newer = sorted(set(done) - set(migrations.known_names()))
        if newer:
            raise MemoryStoreError(
                f"{self._path} was written by a newer Digital Actors ({', '.join(newer)}).",
                "Upgrade digital-actors, or restore a backup made by this version.",
            )
        if quick_check and done:
            async with conn.execute("PRAGMA quick_check(5)") as cur:
                bad = [r[0] for r in await cur.fetchall() if r[0] != "ok"]
            if bad:
                raise MemoryStoreError(
                    f"The player-memory database {self._path} is damaged: {'; '.join(bad)}.",
                    location.RECOVERY,
                )
        async with conn.execute("PRAGMA journal_mode=WAL") as cur:
            mode = (await cur.fetchone() or ("?",))[0]
        if self._path != location.MEMORY and str(mode).lower() != "wal":
            log.warning("memory_wal_unavailable", journal_mode=mode, path=str(self._path))
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
        await migrations.migrate(conn)

    def _require(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise MemoryStoreError("The memory store is closed.", "Open it again with open().")
        return self._conn

    async def _run(self, operation: str, work: Work[T], *, mode: str = "write") -> T:
        """Run ``work`` under the store lock, in a transaction, retrying a locked database."""
        started = time.perf_counter()
        try:
            async with self._lock:
                conn = self._require()
                attempt = 0
                while True:
                    try:
                        return await self._transaction(conn, work, mode)
                    except sqlite3.OperationalError as e:
                        if not location.is_locked(e) or attempt >= self._lock_retries:
                            raise
                        attempt += 1
                        DB_LOCK_RETRIES.labels(operation).inc()
                        delay = min(1.0, self._retry_base * 2 ** (attempt - 1))
                        delay *= 0.5 + random.random()
                        log.warning("memory_db_locked", operation=operation, attempt=attempt,
                                    retry_in_s=round(delay, 3))
                        await self._sleep(delay)
        except sqlite3.Error as e:
            DB_ERRORS.labels(operation, location.error_kind(e)).inc()
            raise location.store_error(e, self._path, operation) from e
        finally:
            DB_QUERY_SECONDS.labels(operation).observe(time.perf_counter() - started)

    @staticmethod
    async def _transaction(conn: aiosqlite.Connection, work: Work[T], mode: str) -> T:
        if mode == "none":
            return await work(conn)
        await conn.execute("BEGIN IMMEDIATE" if mode == "write" else "BEGIN")
        try:
            result = await work(conn)
            await conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:
                try:
                    await conn.execute("ROLLBACK")
                except sqlite3.Error as e:
                    log.warning("memory_rollback_failed", error=str(e))
            raise

    # --- players ---------------------------------------------------------------------------

    async def player(self, name: str, kind: str = "terminal") -> PlayerRecord:
        """The profile called ``name`` (case-insensitive), created on first use. Ids never change."""
        now = self._now()
        return await self._run(
            "player", lambda c: queries.get_or_create_player(c, name, kind, now)
        )

    async def create_player(self, kind: str = "web", name: str | None = None) -> PlayerRecord:
        """A new profile (the web server issues these); the name defaults to ``<kind>-<8 hex>``."""
        chosen = name or f"{kind}-{os.urandom(4).hex()}"
        return await self.player(chosen, kind)

    async def get_player(self, player_id: str) -> PlayerRecord | None:
        return await self._run("get_player", lambda c: queries.get_player(c, player_id), mode="read")

    async def find_player(self, name: str, kind: str | None = None) -> PlayerRecord | None:
        """A profile by name without creating one; terminal profiles win when no kind is given."""
        return await self._run(
            "find_player", lambda c: queries.find_player(c, name, kind), mode="read"
        )

    async def list_players(self) -> list[PlayerRecord]:
        """Every profile, most recently seen first."""
        return await self._run("list_players", queries.list_players, mode="read")

    # --- play ------------------------------------------------------------------------------

    async def snapshot(self, player_id: str, scene_id: str, character_id: str) -> PlayerMemory:
        """What a session starting now knows about this player, this scene and this character."""
        limit = self._memory_limit
        return await self._run(
            "snapshot",
            lambda c: queries.snapshot(c, player_id, scene_id, character_id, limit),
            mode="read",
        )

    async def begin_attempt(
        self, player_id: str, scene_id: str, character_id: str, *, session_id: str | None = None
    ) -> AttemptHandle:
        """Write the session row (unless ``session_id`` continues one) and an in_progress attempt.

        Attempts of this player still in_progress (a crash, a killed server) become abandoned.
        """
        now = self._now()
        handle, abandoned = await self._run(
            "begin_attempt",
            lambda c: queries.begin_attempt(c, player_id, scene_id, character_id, session_id, now),
        )
        if abandoned:
            log.info("memory_attempts_abandoned", count=abandoned, scene=scene_id)
        return handle

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
        now = self._now()
        notes = list(memories)
        written = await self._run(
            "finish_attempt",
            lambda c: queries.finish_attempt(
                c, handle, outcome, ending_id, stats, notes, elapsed, now
            ),
        )
        if not written:
            log.warning("memory_attempt_not_written", reason="already finished or forgotten")
        return written

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
        return await self._run(
            "forget",
            lambda c: queries.forget(c, player_id, memory_id, character_id, everything),
        )

    async def export(self, player_id: str) -> dict[str, Any]:
        """Everything stored about one player, JSON-ready."""
        now = self._now()
        return await self._run("export", lambda c: queries.export(c, player_id, now), mode="read")

    # --- operations ------------------------------------------------------------------------

    def _file(self, operation: str) -> Path:
        if not isinstance(self._path, Path):
            raise MemoryStoreError(f"An in-memory store has no file to {operation}.",
                                   "Use a file path for DIGITAL_ACTORS_DB.")
        return self._path

    async def backup(self, dest_dir: str | os.PathLike[str], keep_days: float | None = None) -> Path:
        """A consistent, gzipped, timestamped copy in ``dest_dir``; prunes copies past keep_days."""
        db, now = self._file("back up"), self._now()
        with DB_QUERY_SECONDS.labels("backup").time():
            final, _ = await asyncio.to_thread(
                maintenance.backup_database, db, Path(dest_dir), now, keep_days
            )
        return final

    async def restore(self, backup: str | os.PathLike[str]) -> Path | None:
        """Replace the database with an integrity-checked backup; returns where the old file went."""
        db, now = self._file("restore"), self._now()
        async with self._lock:
            await self.close()
            try:
                with DB_QUERY_SECONDS.labels("restore").time():
                    aside = await asyncio.to_thread(
                        maintenance.restore_database, db, Path(backup), now
                    )
            finally:
                await self._connect_locked()
        return aside

    async def _connect_locked(self) -> None:
        # _connect takes the lock through _run, so release ours around it
        self._lock.release()
        try:
            await self._connect(quick_check=True)
        finally:
            await self._lock.acquire()

    async def pragmas(self) -> dict[str, Any]:
        """The connection settings that matter for safety: journal mode, foreign keys, busy timeout."""

        async def work(conn: aiosqlite.Connection) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous"):
                async with conn.execute(f"PRAGMA {name}") as cur:
                    row = await cur.fetchone()
                out[name] = row[0] if row else None
            return out

        return await self._run("pragmas", work, mode="none")

    async def integrity(self) -> IntegrityReport:
        """``PRAGMA integrity_check`` and ``foreign_key_check`` on the open database."""

        async def work(conn: aiosqlite.Connection) -> IntegrityReport:
            async with conn.execute("PRAGMA integrity_check(100)") as cur:
                problems = tuple(r[0] for r in await cur.fetchall() if r[0] != "ok")
            async with conn.execute("PRAGMA foreign_key_check") as cur:
                fks = tuple(f"{r[0]} row {r[1]} -> {r[2]}" for r in await cur.fetchall())
            return IntegrityReport(str(self._path), problems, fks)

        return await self._run("integrity", work, mode="none")

    async def salvage(
        self, src: str | os.PathLike[str], dest: str | os.PathLike[str]
    ) -> SalvageReport:
        """Copy every readable row of a damaged file ``src`` into a new file ``dest``."""
        with DB_QUERY_SECONDS.labels("salvage").time():
            return await asyncio.to_thread(salvage_database, Path(src), Path(dest))

    async def vacuum(self) -> tuple[int, int]:
        """Rebuild the file to reclaim space; returns its size in bytes before and after."""

        def size() -> int:
            if not isinstance(self._path, Path):
                return 0
            return sum(Path(f"{self._path}{s}").stat().st_size
                       for s in ("", "-wal") if Path(f"{self._path}{s}").exists())

        before = size()

        async def work(conn: aiosqlite.Connection) -> None:
            await conn.execute("VACUUM")
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await self._run("vacuum", work, mode="none")
        return before, size()

    async def healthy(self, within: float = 2.0) -> tuple[bool, str]:
        """For /health: (True, "ok") when a trivial read answers within ``within`` seconds."""

        async def work(conn: aiosqlite.Connection) -> int:
            async with conn.execute("SELECT count(*) FROM _migrations") as cur:
                row = await cur.fetchone()
            return int(row[0]) if row else 0

        try:
            async with asyncio.timeout(within):
                count = await self._run("health", work, mode="read")
        except TimeoutError:
            return False, f"database did not answer within {within:g}s"
        except MemoryStoreError as e:
            return False, e.message
        if count < len(migrations.MIGRATIONS):
            return False, "schema is not fully migrated"
        return True, "ok"
