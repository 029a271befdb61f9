"""One SQLite connection, opened safely and used safely: the machinery under SqliteMemoryStore.

Opening checks the place and the file before anything is written (a foreign, damaged or
newer file is refused untouched), sets the PRAGMAs and migrates. Every operation runs under
an asyncio lock (one connection, many sessions), in a transaction (``BEGIN IMMEDIATE`` for
writes, so a second process waits in SQLite's busy handler instead of deadlocking), and a
database still locked after ``busy_timeout`` is retried a bounded number of times with
backoff and jitter before a clear MemoryStoreError. Timings go to the query histogram.

Each operation runs in a task of its own that the caller only awaits (shielded): a caller's
timeout or cancellation never cuts a transaction in half. Before this, a ``BEGIN IMMEDIATE``
queued behind another process's lock went on to succeed after its caller had timed out, and the
connection held the write lock, with no owner, until the process restarted.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiosqlite
import structlog

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import location, migrations
from digital_actors.memory.metrics import DB_ERRORS, DB_LOCK_RETRIES, DB_QUERY_SECONDS
from digital_actors.memory.owned import Owned
from digital_actors.memory.sql import Mode

log = structlog.get_logger()
T = TypeVar("T")
Work = Callable[[aiosqlite.Connection], Awaitable[T]]


class Database:
    """An aiosqlite connection with checks, PRAGMAs, migrations, a lock, retries and metrics."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 5000, lock_retries: int = 4,
                 retry_base_seconds: float = 0.05,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._lock_retries = lock_retries
        self._retry_base = retry_base_seconds
        self._sleep = sleep  # the pause between lock retries (tests inject their own)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._owned_ops = Owned()

    async def open(self, *, quick_check: bool = True) -> None:
        """Connect, check, set PRAGMAs and migrate; on any failure nothing stays open."""
        async with self._lock:
            await self._open(quick_check)

    async def close(self) -> None:
        """Let operations in flight finish, then close (SQLite checkpoints the WAL on the last close)."""
        await self._owned_ops.settle()
        await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def run(self, operation: str, work: Work[T], *, mode: Mode = "write",
                  busy_timeout_ms: int | None = None, retry: bool = True) -> T:
        """Run ``work`` under the lock, in a transaction (unless mode is "none"), with retries.

        The transaction belongs to a task of its own: BEGIN, the work and COMMIT or ROLLBACK run
        to the end whatever happens to the caller (a timeout, a cancelled request). An owner that
        waits for a lock should use a short ``busy_timeout_ms`` and ``retry=False`` and do its own
        waiting outside the connection (memory/outbox.py does), so reads are not held up meanwhile.
        """
        return await self._owned_ops.run(self._owned(operation, work, mode, busy_timeout_ms, retry))

    async def _owned(self, operation: str, work: Work[T], mode: Mode, busy_timeout_ms: int | None,
                     retry: bool) -> T:
        async with self._lock:
            conn = self._require()
            return await self._timed(operation, lambda: self._transaction(conn, work, mode, busy_timeout_ms),
                                     retries=self._lock_retries if retry else 0)

    async def swap(self, operation: str, replace: Callable[[], T]) -> T:
        """Close, run ``replace`` in a thread (it may replace the file), reopen: all under the lock.

        The connection is reopened even when ``replace`` fails, so the store stays usable.
        """
        async with self._lock:
            await self._close()
            try:
                with DB_QUERY_SECONDS.labels(operation).time():
                    return await asyncio.to_thread(replace)
            finally:
                await self._open(quick_check=True)

    def _require(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise MemoryStoreError("The memory store is closed.", "Open it again with open().",
                                   kind="closed", retryable=True)
        return self._conn

    async def _open(self, quick_check: bool) -> None:
        path = self.path
        if isinstance(path, Path):
            await asyncio.to_thread(_check_place, path)
        try:
            conn = await aiosqlite.connect(str(path), isolation_level=None,
                                           timeout=self._busy_timeout_ms / 1000)
        except sqlite3.Error as e:
            raise location.store_error(e, path, "open") from e
        self._conn = conn
        try:
            await self._timed("open", lambda: self._setup(conn, quick_check), retries=self._lock_retries)
        except BaseException:
            await self._close()
            raise

    async def _timed(self, operation: str, attempt_once: Callable[[], Awaitable[T]], *, retries: int) -> T:
        """Retry a locked database with backoff and jitter; map sqlite errors; observe the time."""
        started = time.perf_counter()
        try:
            retry = 0
            while True:
                try:
                    return await attempt_once()
                except sqlite3.OperationalError as e:
                    if not location.is_locked(e) or retry >= retries:
                        raise
                    retry += 1
                    DB_LOCK_RETRIES.labels(operation).inc()
                    delay = min(1.0, self._retry_base * 2 ** (retry - 1)) * (0.5 + random.random())
                    log.warning("memory_db_locked", operation=operation, attempt=retry,
                                retry_in_s=round(delay, 3))
                    await self._sleep(delay)
        except sqlite3.Error as e:
            DB_ERRORS.labels(operation, location.error_kind(e)).inc()
            raise location.store_error(e, self.path, operation) from e
        finally:
            DB_QUERY_SECONDS.labels(operation).observe(time.perf_counter() - started)

    async def _transaction(self, conn: aiosqlite.Connection, work: Work[T], mode: Mode,
                           busy_timeout_ms: int | None) -> T:
        if mode == "none":
            return await work(conn)
        if conn.in_transaction:  # never expected: every owner ends its transaction; heal rather than wedge
            log.error("memory_stale_transaction_rolled_back")
            await conn.execute("ROLLBACK")
        if busy_timeout_ms is not None:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        try:
            await conn.execute("BEGIN IMMEDIATE" if mode == "write" else "BEGIN")
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
        finally:
            if busy_timeout_ms is not None:
                await conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")

    async def _setup(self, conn: aiosqlite.Connection, quick_check: bool) -> None:
        await conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        done = await migrations.applied(conn)  # the first read: fails on a damaged header
        if not done and await _count(conn, "SELECT count(*) FROM sqlite_master "
                                           "WHERE name NOT LIKE 'sqlite_%'"):
            raise MemoryStoreError(
                f"{self.path} is a SQLite database, but not a Digital Actors memory file.",
                "Point DIGITAL_ACTORS_DB at another file; this one was left untouched.")
        newer = sorted(set(done) - set(migrations.known_names()))
        if newer:
            raise MemoryStoreError(
                f"{self.path} was written by a newer Digital Actors ({', '.join(newer)}).",
                "Upgrade digital-actors, or restore a backup made by this version.")
        if quick_check and done:
            async with conn.execute("PRAGMA quick_check(5)") as cur:
                bad = [r[0] for r in await cur.fetchall() if r[0] != "ok"]
            if bad:
                raise MemoryStoreError(
                    f"The player-memory database {self.path} is damaged: {'; '.join(bad)}.",
                    location.RECOVERY)
        async with conn.execute("PRAGMA journal_mode=WAL") as cur:
            mode = (await cur.fetchone() or ("?",))[0]
        if self.path != location.MEMORY and str(mode).lower() != "wal":
            log.warning("memory_wal_unavailable", journal_mode=mode, path=str(self.path))
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
        await migrations.migrate(conn)


async def _count(conn: aiosqlite.Connection, sql: str) -> int:
    async with conn.execute(sql) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def _check_place(path: Path) -> None:
    """Create the folder, refuse a read-only one, and refuse a file that is not SQLite at all."""
    location.prepare_dir(path)
    if location.file_kind(path) == "other":
        raise MemoryStoreError(f"{path} is not a SQLite database.", location.RECOVERY)
