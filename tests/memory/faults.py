"""Real database faults for tests: another session's write lock, a database that refuses writes.

SQLite: the lock is a second connection in ``BEGIN IMMEDIATE``, exactly what another process holding
the write lock looks like; a read-only file is ``PRAGMA query_only`` on the store's own connection
(SQLite then refuses writes with the same SQLITE_READONLY a read-only file gives; the suite runs as
root in CI, where permission bits would not stop a write).

PostgreSQL: the lock is a second session holding ``LOCK TABLE ... IN EXCLUSIVE MODE`` on every table
(reads go on, writes wait: SQLite's write lock) or ``ACCESS EXCLUSIVE`` (reads wait too); refusing
writes is the store's user revoking its own INSERT, UPDATE and DELETE (what a wrong grant, or a
failover onto a replica, looks like to the app).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import psycopg

from digital_actors.clock import FakeClock
from digital_actors.memory.base import SqlStore
from digital_actors.memory.migrations import SCHEMA
from digital_actors.memory.outbox import Outbox
from digital_actors.memory.transfer import TABLES

TABLE_NAMES = ", ".join(f"{SCHEMA}.{t}" for t in [*(t.name for t in TABLES), "_health"])


@contextmanager
def write_lock(where: Path | str, mode: Literal["EXCLUSIVE", "ACCESS EXCLUSIVE"] = "EXCLUSIVE"
               ) -> Iterator[Any]:
    """Hold the database's write lock (as another process would) until the block ends."""
    if isinstance(where, Path):
        other = sqlite3.connect(where, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            yield other
        finally:
            if other.in_transaction:
                other.execute("ROLLBACK")
            other.close()
        return
    with psycopg.connect(where, autocommit=True) as pg:
        pg.execute("BEGIN")
        pg.execute(f"LOCK TABLE {TABLE_NAMES} IN {mode} MODE")  # type: ignore[arg-type]
        try:
            yield pg
        finally:
            pg.execute("ROLLBACK")


async def read_only(store: SqlStore, on: bool = True) -> None:
    """Make the store refuse every write, as a read-only file (or a revoked grant) does; or stop."""
    if store.dialect == "sqlite":
        await store._db.run("fault", lambda c: c.execute(f"PRAGMA query_only = {int(on)}"),  # type: ignore[attr-defined]
                            mode="none")
        return
    verb = "REVOKE" if on else "GRANT"
    way = "FROM" if on else "TO"
    sql = f"{verb} INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} {way} CURRENT_USER"
    await store._db.run("fault", lambda c: c.execute(sql), mode="none")  # type: ignore[attr-defined]


async def yield_until(condition: Callable[[], bool], turns: int = 5000) -> None:
    """Let the loop run (no sleeping on wall time) until ``condition`` holds."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def retry_until_drained(outbox: Outbox, clock: FakeClock) -> None:
    """Advance the clock past each backoff until every kept write has landed."""
    for _ in range(50):
        if not outbox.status().pending:
            return
        await outbox.resting()
        await clock.advance(60)
    raise AssertionError("writes never landed")
