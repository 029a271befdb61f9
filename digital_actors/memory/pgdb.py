"""A pool of PostgreSQL connections, opened safely and used safely: the machinery under PostgresMemoryStore.

Opening connects once on its own (so a wrong password or a missing database gives the server's
own reason), refuses a schema that is not ours or is newer, migrates, and then opens the pool
(psycopg_pool: MEMORY_DB_POOL_MIN_SIZE..MAX_SIZE connections, an acquire timeout, each connection
checked as it is handed out, so a server restart costs no operation). Every connection runs in
autocommit with ``search_path`` on our schema, ``statement_timeout`` and ``lock_timeout`` set.

As in memory/connection.py, each operation's transaction belongs to a task of its own that the
caller only awaits (shielded): BEGIN, the work and COMMIT or ROLLBACK run to the end whatever the
caller's timeout does, and the connection goes back to the pool idle. A lock still held by another
session after ``lock_timeout`` is retried a bounded number of times with backoff and jitter.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
import structlog
from psycopg import errors as pgerr
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import migrations
from digital_actors.memory.location import PgLocation
from digital_actors.memory.metrics import DB_ERRORS, DB_LOCK_RETRIES, DB_QUERY_SECONDS
from digital_actors.memory.owned import Owned
from digital_actors.memory.sql import Mode
from digital_actors.memory.stores import PoolOptions

log = structlog.get_logger()
T = TypeVar("T")
Conn = psycopg.AsyncConnection[Any]
PgWork = Callable[[Conn], Awaitable[T]]
APP = "digital-actors"
_RETRY_LOCKED = (pgerr.LockNotAvailable, pgerr.DeadlockDetected, pgerr.SerializationFailure)


def application_name() -> str:
    """``digital-actors/<host>/<pid>``: which process a connection belongs to (pg_stat_activity shows it)."""
    return f"{APP}/{socket.gethostname()[:30]}/{os.getpid()}"[:63]


class PgDatabase:
    """A psycopg connection pool with checks, migrations, owned transactions, retries and metrics."""

    def __init__(self, where: PgLocation, *, pool: PoolOptions, busy_timeout_ms: int = 5000,
                 lock_retries: int = 4, retry_base_seconds: float = 0.05,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.where, self.options = where, pool
        self._busy_timeout_ms = busy_timeout_ms
        self._lock_retries = lock_retries
        self._retry_base = retry_base_seconds
        self._sleep = sleep
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._owned_ops = Owned()
        self.name = application_name()

    # --- opening and closing ----------------------------------------------------------------------
    async def open(self) -> None:
        """Check, migrate, then open the pool; on any failure nothing stays open."""
        started = time.perf_counter()
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.where.url, autocommit=True, application_name=self.name,
                connect_timeout=max(2, math.ceil(self.options.acquire_timeout)))
        except psycopg.Error as e:
            raise self.error(e, "open") from None
        try:
            await self._configure(conn)
            await self._check(conn)
            await migrations.migrate_postgres(conn)
        except psycopg.Error as e:
            raise self.error(e, "open") from None
        finally:
            await conn.close()
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            self.where.url, min_size=self.options.min_size, max_size=self.options.max_size,
            timeout=self.options.acquire_timeout, open=False, configure=self._configure,
            check=AsyncConnectionPool.check_connection, name="memory",
            kwargs={"autocommit": True, "application_name": self.name})
        try:
            await pool.open(wait=self.options.min_size > 0, timeout=self.options.acquire_timeout)
        except (PoolTimeout, psycopg.Error) as e:
            await pool.close()
            raise self.error(e, "open") from None
        self._pool = pool
        DB_QUERY_SECONDS.labels("open").observe(time.perf_counter() - started)

    async def close(self) -> None:
        """Let operations in flight finish, then close every connection."""
        await self._owned_ops.settle()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _configure(self, conn: Conn) -> None:
        statement_ms = int(self.options.statement_timeout * 1000)
        await conn.execute(f"SET search_path TO {migrations.SCHEMA}; "
                           f"SET statement_timeout = {statement_ms}; "
                           f"SET lock_timeout = {max(1, int(self._busy_timeout_ms))}")

    async def _check(self, conn: Conn) -> None:
        """Refuse a schema of ours that holds someone else's tables, or one a newer version migrated."""
        done = await migrations.applied_postgres(conn)
        if not done:
            cur = await conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", (migrations.SCHEMA,))
            row = await cur.fetchone()
            if row and row[0]:
                raise MemoryStoreError(
                    f"The schema {migrations.SCHEMA} in {self.where} holds tables, but not a Digital Actors "
                    "player memory.", "Point DIGITAL_ACTORS_DB at another database; this one was left untouched.")
        newer = sorted(set(done) - set(migrations.known_names()))
        if newer:
            raise MemoryStoreError(
                f"{self.where} was written by a newer Digital Actors ({', '.join(newer)}).",
                "Upgrade digital-actors, or restore a backup made by this version.")

    # --- running --------------------------------------------------------------------------------------
    async def run(self, operation: str, work: PgWork[T], *, mode: Mode = "write",
                  busy_timeout_ms: int | None = None, retry: bool = True) -> T:
        """Run ``work`` on a pooled connection, in a transaction (unless mode is "none"), with retries.

        The transaction belongs to a task of its own: it ends with COMMIT or ROLLBACK whatever
        happens to the caller. An owner that waits for locks itself (the outbox) passes a short
        ``busy_timeout_ms`` (lock_timeout for this transaction) and ``retry=False``.
        """
        return await self._owned_ops.run(self._owned(operation, work, mode, busy_timeout_ms, retry))

    def _require(self) -> AsyncConnectionPool[Conn]:
        if self._pool is None:
            raise MemoryStoreError("The memory store is closed.", "Open it again with open().",
                                   kind="closed", retryable=True)
        return self._pool

    async def _owned(self, operation: str, work: PgWork[T], mode: Mode, busy_timeout_ms: int | None,
                     retry: bool) -> T:
        started = time.perf_counter()
        retries = self._lock_retries if retry else 0
        attempt = 0
        try:
            while True:
                try:
                    async with self._require().connection() as conn:
                        return await self._transaction(conn, work, mode, busy_timeout_ms)
                except _RETRY_LOCKED:
                    if attempt >= retries:
                        raise
                    attempt += 1
                    DB_LOCK_RETRIES.labels(operation).inc()
                    delay = min(1.0, self._retry_base * 2 ** (attempt - 1)) * (0.5 + random.random())
                    log.warning("memory_db_locked", operation=operation, attempt=attempt, retry_in_s=round(delay, 3))
                    await self._sleep(delay)
        except (psycopg.Error, PoolTimeout, PoolClosed) as e:
            mapped = self.error(e, operation)
            DB_ERRORS.labels(operation, mapped.kind).inc()
            raise mapped from None
        finally:
            DB_QUERY_SECONDS.labels(operation).observe(time.perf_counter() - started)

    async def _transaction(self, conn: Conn, work: PgWork[T], mode: Mode, busy_timeout_ms: int | None) -> T:
        if mode == "none":
            return await work(conn)
        begin = "BEGIN" if mode == "write" else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        if busy_timeout_ms is not None:  # 0 would mean "wait for ever" to PostgreSQL: 1 ms is "do not wait"
            begin += f"; SET LOCAL lock_timeout = {max(1, int(busy_timeout_ms))}"
        await conn.execute(begin)
        try:
            result = await work(conn)
            await conn.execute("COMMIT")
            return result
        except BaseException:
            if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                try:
                    await conn.execute("ROLLBACK")
                except psycopg.Error as e:
                    log.warning("memory_rollback_failed", error=self.where.scrub(str(e)))
            raise

    # --- errors ----------------------------------------------------------------------------------------
    def error(self, error: BaseException, operation: str) -> MemoryStoreError:
        """The MemoryStoreError a human can act on (kind, retryable), the password scrubbed from it."""
        if isinstance(error, MemoryStoreError):
            return error
        kind = error_kind(error)
        detail = self.where.scrub(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
        mapped = _mapped(kind, detail, self.where, operation)
        mapped.kind, mapped.retryable = kind, kind in RETRYABLE
        return mapped


RETRYABLE = frozenset({"locked", "full", "readonly", "unavailable", "timeout", "closed"})


def error_kind(error: BaseException) -> str:
    """'locked', 'timeout', 'full', 'readonly', 'unavailable', 'closed', 'login', 'missing_db', 'invalid'
    or 'other' for a psycopg or pool error."""
    if isinstance(error, PoolClosed):
        return "closed"
    if isinstance(error, PoolTimeout):
        return "unavailable"
    if isinstance(error, _RETRY_LOCKED):
        return "locked"
    if isinstance(error, pgerr.QueryCanceled):
        return "timeout"
    if isinstance(error, pgerr.DiskFull):
        return "full"
    if isinstance(error, pgerr.ReadOnlySqlTransaction | pgerr.InsufficientPrivilege):
        return "readonly"
    if isinstance(error, pgerr.InvalidPassword | pgerr.InvalidAuthorizationSpecification):
        return "login"
    if isinstance(error, pgerr.InvalidCatalogName):
        return "missing_db"
    if isinstance(error, psycopg.IntegrityError | psycopg.DataError):
        return "invalid"
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        text = str(error).lower()  # a refused connection carries no SQLSTATE: libpq's words say why
        if "authentication failed" in text or "no password supplied" in text or (
                "role" in text and "not exist" in text):
            return "login"
        if "database" in text and "does not exist" in text:
            return "missing_db"
        return "unavailable"  # refused, reset, shut down, too many connections: the server or the network
    return "other"


def _mapped(kind: str, detail: str, where: PgLocation, operation: str) -> MemoryStoreError:
    if kind == "locked":
        return MemoryStoreError(
            f"The player-memory database {where} stayed locked by another session during {operation} ({detail}).",
            "See who holds it: SELECT pid, state, query FROM pg_stat_activity WHERE wait_event_type = 'Lock'; "
            "writes that failed are kept and land when it lets go.")
    if kind == "timeout":
        return MemoryStoreError(
            f"The player-memory database {where} cancelled {operation}: it ran longer than "
            f"MEMORY_DB_STATEMENT_TIMEOUT_SECONDS ({detail}).",
            "Look for a slow or blocked server (pg_stat_activity); writes that failed are kept and retried.")
    if kind == "full":
        return MemoryStoreError(
            f"The disk of the PostgreSQL server holding {where} is full (during {operation}).",
            "Free space on the database server; writes that failed are kept and land once there is room.")
    if kind == "readonly":
        return MemoryStoreError(
            f"The player-memory database {where} refuses writes: it is read-only for this connection ({detail}).",
            "Point DIGITAL_ACTORS_DB at the primary (not a replica) and grant the user INSERT, UPDATE and "
            "DELETE on the digital_actors schema's tables; writes that failed are kept until then.")
    if kind == "unavailable":
        return MemoryStoreError(
            f"The PostgreSQL server of {where} cannot be reached during {operation} ({detail}).",
            "Check that it runs and accepts connections (pg_isready -h HOST -p PORT) and that "
            "MEMORY_DB_POOL_MAX_SIZE fits its max_connections; writes that failed are kept and land once it is back.")
    if kind == "login":
        return MemoryStoreError(f"PostgreSQL refused the login to {where} ({detail}).",
                                "Check the user and password in DIGITAL_ACTORS_DB (or DATABASE_URL).")
    if kind == "missing_db":
        return MemoryStoreError(f"The database of {where} does not exist ({detail}).",
                                "Create it first: createdb -O USER DBNAME (or CREATE DATABASE ... OWNER ...).")
    if kind == "closed":
        return MemoryStoreError("The memory store is closed.", "Open it again with open().")
    return MemoryStoreError(f"The player-memory database {where} failed during {operation}: {detail}.",
                            "Run `digital-actors memory check` and read the PostgreSQL server's log.")
