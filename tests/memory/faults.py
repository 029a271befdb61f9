"""Real SQLite faults for tests: another process's write lock, a read-only database.

The lock is a second connection in ``BEGIN IMMEDIATE``, exactly what another process holding the
write lock looks like to SQLite. A read-only file is ``PRAGMA query_only`` on the store's own
connection: SQLite then refuses writes with the same SQLITE_READONLY a read-only file gives (the
suite runs as root in CI, where permission bits would not stop a write).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from digital_actors.memory.store import SqliteMemoryStore


@contextmanager
def write_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Hold the database's write lock (as another process would) until the block ends."""
    other = sqlite3.connect(db, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def read_only(store: SqliteMemoryStore, on: bool = True) -> None:
    """Make the store's connection refuse every write, as a read-only file does (or stop)."""
    await store._db.run("fault", lambda c: c.execute(f"PRAGMA query_only = {int(on)}"), mode="none")


async def yield_until(condition: Callable[[], bool], turns: int = 5000) -> None:
    """Let the loop run (no sleeping on wall time) until ``condition`` holds."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")
