"""The MemoryStore port and its SQLite implementation: what sessions, front ends and hosts call.

Both stores (this one and memory/postgres.py) share the SQL of every play and player operation
(memory/base.py over queries, control and writes); this module adds what belongs to one SQLite
file: connection safety (checks, PRAGMAs, migrations, locking, retries, metrics) in
``connection.Database``, and the file operations in ``maintenance`` and ``salvage``. Open the store
a setting names, SQLite or PostgreSQL, with ``memory.stores.connect_store``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import structlog

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import legacy, location, maintenance
from digital_actors.memory.base import SqlStore, T, TxWork, default_name
from digital_actors.memory.connection import Database, Work
from digital_actors.memory.metrics import DB_QUERY_SECONDS
from digital_actors.memory.occupancy import FileUse, Use
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
from digital_actors.memory.sql import Dialect, Mode, SqliteTx
from digital_actors.memory.writes import Write
from digital_actors.player import Recollection

log = structlog.get_logger()
__all__ = ["MemoryStore", "SqliteMemoryStore", "default_name"]


class MemoryStore(Protocol):
    """What sessions, front ends and the web server need from a player-memory store."""

    @property
    def path(self) -> Path | str: ...
    @property
    def dialect(self) -> Dialect: ...
    def now(self) -> datetime: ...
    async def write(self, write: Write, *, busy_timeout_ms: int | None = None, retry: bool = True) -> bool: ...
    async def probe_write(self, *, busy_timeout_ms: int = 250) -> None: ...
    async def close(self) -> None: ...
    async def player(self, name: str, kind: str = "terminal") -> PlayerRecord: ...
    async def create_player(self, kind: str = "web", name: str | None = None, *,
                            player_id: str | None = None) -> PlayerRecord: ...
    async def get_player(self, player_id: str) -> PlayerRecord | None: ...
    async def ensure_player(self, player_id: str, kind: str = "web") -> PlayerRecord | None: ...
    async def find_player(self, name: str, kind: str | None = None) -> PlayerRecord | None: ...
    async def list_players(self) -> list[PlayerRecord]: ...
    async def set_given_name(self, player_id: str, name: str) -> bool: ...
    async def recollection(self, player_id: str, scene_id: str, character_id: str) -> Recollection: ...
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


class SqliteMemoryStore(SqlStore):
    """The default store: one SQLite file (or ``:memory:``), migrated on open.

    Build with ``async with SqliteMemoryStore.open(path_or_url) as store`` (or ``connect`` and
    ``close`` for a long-lived server). ``None`` means the default file in the data dir.
    """

    dialect: Dialect = "sqlite"

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
        super().__init__(wall_clock=wall_clock, memory_limit=memory_limit)
        self._db = Database(path, busy_timeout_ms=busy_timeout_ms, lock_retries=lock_retries,
                            retry_base_seconds=retry_base_seconds, sleep=sleep)
        self._use: FileUse | None = None

    @property
    def path(self) -> Path | str:
        """The database file, or ``":memory:"``."""
        return self._db.path

    @classmethod
    async def connect(
        cls, where: str | os.PathLike[str] | None = None, *, quick_check: bool = True, use: Use = "shared",
        **options: Any
    ) -> SqliteMemoryStore:
        """Open (creating and migrating if needed) the store at ``where``; call ``close`` after.

        ``None`` means ``player_memory.db`` in the data dir; pass ``settings.digital_actors_db``
        to honour DIGITAL_ACTORS_DB. Options: busy_timeout_ms, lock_retries, wall_clock, ...
        ``use``: "shared" (play, servers, player commands: the file is in use and maintenance is
        refused meanwhile), "exclusive" (vacuum, restore: refused while anyone else has it open).
        """
        path = location.resolve(where)
        if isinstance(path, location.PgLocation):
            raise MemoryStoreError(f"{path} is a PostgreSQL database, not a SQLite file.",
                                   "Open it with digital_actors.memory.stores.connect_store().")
        store = cls(path, **options)
        await store._db.open(quick_check=quick_check)  # creates the folder the lock file lives in
        if isinstance(store.path, Path):
            try:
                store._use = await asyncio.to_thread(FileUse.take, store.path, use, "this command")
            except BaseException:
                await store._db.close()
                raise
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
        try:
            await self._db.close()
        finally:
            self._release()

    def _release(self) -> None:
        use, self._use = self._use, None
        if use is not None:
            use.release()

    async def _tx(self, operation: str, work: TxWork[T], *, mode: Mode = "write",
                  busy_timeout_ms: int | None = None, retry: bool = True) -> T:
        return await self._db.run(operation, lambda conn: work(SqliteTx(conn)), mode=mode,
                                  busy_timeout_ms=busy_timeout_ms, retry=retry)

    async def _run(self, operation: str, work: Work[T], *, mode: Mode = "write") -> T:
        return await self._db.run(operation, work, mode=mode)

    # --- operations ------------------------------------------------------------------------

    def _file(self, operation: str) -> Path:
        if not isinstance(self.path, Path):
            raise MemoryStoreError(f"An in-memory store has no file to {operation}.",
                                   "Use a file path for DIGITAL_ACTORS_DB.")
        return self.path

    async def backup(self, dest_dir: str | os.PathLike[str], keep_days: float | None = None) -> Path:
        """A consistent, gzipped, timestamped copy in ``dest_dir``; prunes copies past keep_days."""
        db, now = self._file("back up"), self._now()
        with DB_QUERY_SECONDS.labels("backup").time():
            final, _ = await asyncio.to_thread(
                maintenance.backup_database, db, Path(dest_dir), now, keep_days
            )
        return final

    async def restore(self, backup: str | os.PathLike[str]) -> Path | None:
        """Replace the database with an integrity-checked backup; returns where the old file went.

        Other processes using the file must be stopped first (their connections would keep
        writing to the old file, now renamed aside).
        """
        db, now = self._file("restore"), self._now()
        async with self._exclusive("restore"):
            return await self._db.swap(
                "restore", lambda: maintenance.restore_database(db, Path(backup), now))

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
            return IntegrityReport(str(self.path), problems, fks)

        return await self._run("integrity", work, mode="none")

    async def salvage(
        self, src: str | os.PathLike[str], dest: str | os.PathLike[str]
    ) -> SalvageReport:
        """Copy every readable row of a damaged file ``src`` into a new file ``dest``."""
        with DB_QUERY_SECONDS.labels("salvage").time():
            return await asyncio.to_thread(salvage_database, Path(src), Path(dest))

    async def import_legacy(self, src: str | os.PathLike[str]) -> legacy.LegacyImportReport:
        """Bring over the earlier project's player_memory.db (memory/legacy.py); safe to run twice."""
        rows = await asyncio.to_thread(legacy.read_legacy, Path(src))
        now = self._now()
        return await self._tx("import_legacy", lambda tx: legacy.import_rows(tx, rows, str(src), now))

    async def vacuum(self) -> tuple[int, int]:
        """Rebuild the file to reclaim space; returns its size in bytes before and after."""

        def size() -> int:
            if not isinstance(self.path, Path):
                return 0
            files = (Path(f"{self.path}{suffix}") for suffix in ("", "-wal"))
            return sum(f.stat().st_size for f in files if f.exists())

        before = size()

        async def work(conn: aiosqlite.Connection) -> None:
            await conn.execute("VACUUM")
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        async with self._exclusive("vacuum"):
            await self._run("vacuum", work, mode="none")
        return before, size()

    @asynccontextmanager
    async def _exclusive(self, operation: str) -> AsyncIterator[None]:
        """Hold the file alone for a maintenance step; refused while another process has it open."""
        if self._use is None:
            yield
            return
        await asyncio.to_thread(self._use.upgrade, operation)
        try:
            yield
        finally:
            await asyncio.to_thread(self._use.downgrade)
