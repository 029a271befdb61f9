"""A transaction has one owner from BEGIN to COMMIT or ROLLBACK, whatever its caller's timeout does.

The wedge this pins: a caller timed out while its ``BEGIN IMMEDIATE`` waited for another process's
lock; the BEGIN then succeeded with no one to end it, the connection kept the write lock, and
every later operation failed until the process restarted.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from digital_actors.errors import MemoryStoreError
from digital_actors.memory.store import SqliteMemoryStore
from tests.memory.faults import write_lock, yield_until


async def test_a_caller_that_gives_up_mid_begin_leaves_no_transaction_behind(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path, busy_timeout_ms=60_000) as store:
        await store.player("Warm-up")
        with write_lock(db_path):
            caller = asyncio.ensure_future(store.player("Ada"))
            # The caller holds the connection and waits in SQLite's busy handler for the other lock.
            await yield_until(lambda: store._db._lock.locked())
            for _ in range(20):
                await asyncio.sleep(0)
            caller.cancel()  # its timeout fires: asyncio.timeout cancels exactly like this
            with pytest.raises(asyncio.CancelledError):
                await caller
        # The other process let go. The transaction the caller began still has its owner, which ends it:
        assert (await store.player("Bob")).name == "Bob"  # no "cannot start a transaction within a transaction"
        with closing(sqlite3.connect(db_path, isolation_level=None, timeout=0)) as other:
            other.execute("BEGIN IMMEDIATE")  # the write lock is free: no "database is locked"
            other.execute("ROLLBACK")
        assert await store.find_player("Ada") is not None  # and the write the caller gave up on landed
        assert (await store.healthy()) == (True, "ok")


async def test_a_timed_out_caller_does_not_cut_a_write_in_half(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path, busy_timeout_ms=60_000) as store:
        alex = await store.player("Alex")
        with write_lock(db_path):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0):  # gives up at the first await: the lock is still held
                    await store.begin_attempt(alex.id, "sub", "mara")
        await store.close()  # waits for the owner: the begin lands once the lock is gone
    async with SqliteMemoryStore.open(db_path) as store:
        attempts = (await store.export(alex.id))["scene_attempts"]
        assert [a["outcome"] for a in attempts] == ["in_progress"]


async def test_a_transaction_left_open_is_rolled_back_before_the_next(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path) as store:
        await store._db.run("stray", lambda c: c.execute("BEGIN"), mode="none")  # what the old wedge left
        assert (await store.player("Ada")).name == "Ada"


async def test_errors_say_whether_a_write_can_land_later(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path, busy_timeout_ms=0, lock_retries=0) as store:
        with write_lock(db_path), pytest.raises(MemoryStoreError) as locked:
            await store.player("Ada")
        assert (locked.value.kind, locked.value.retryable) == ("locked", True)
        with pytest.raises(MemoryStoreError) as missing:
            await store.begin_attempt("no-such-player", "sub", "mara")
        assert (missing.value.kind, missing.value.retryable) == ("missing", False)
    with pytest.raises(MemoryStoreError) as closed:
        await store.player("Ada")
    assert (closed.value.kind, closed.value.retryable) == ("closed", True)
