"""Fixtures for the memory store: a file in tmp_path or a fresh database on a real PostgreSQL server,
and a wall clock that moves only when told.

``where`` (and so ``store``) runs each test twice: on a SQLite file and on PostgreSQL. The server is
started once per session (tests/memory/pg_server.py); each test gets a database of its own, copied
from a migrated template. Without the server binaries the PostgreSQL half is skipped, with a reason
that says how to enable it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

from digital_actors.memory.base import SqlStore
from digital_actors.memory.records import AttemptHandle, MemoryNote, PlayerRecord
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.stores import open_store

Where = Path | str  # a SQLite file, or a PostgreSQL URL


class FakeWall:
    """UTC wall time that advances one second per reading, so ordering by time is exact."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "player_memory.db"


@pytest.fixture
def wall() -> FakeWall:
    return FakeWall()


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, db_path: Path) -> Where:
    """The database under test: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return db_path
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def store(where: Where, wall: FakeWall) -> AsyncIterator[SqlStore]:
    async with open_store(where, wall_clock=wall) as opened:
        yield opened


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The CLI configures logging when nobody has; put the global state back afterwards."""
    was_configured, saved = structlog.is_configured(), structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    if was_configured:
        structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


async def play(store: SqlStore, player: PlayerRecord, outcome: str, *, scene: str = "sub",
               character: str = "mara", stats: AttemptStats | None = None,
               notes: list[MemoryNote] | None = None, ending: str | None = None) -> AttemptHandle:
    """Begin and finish one attempt."""
    handle = await store.begin_attempt(player.id, scene, character)
    ending_id = ending or (f"{outcome}-ending" if outcome in ("success", "failure") else None)
    assert await store.finish_attempt(handle, outcome, ending_id, stats or AttemptStats(), notes or [],
                                      elapsed=30.0)
    return handle
