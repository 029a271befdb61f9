"""Fixtures for the memory store: a file in tmp_path, a wall clock that moves only when told."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

from digital_actors.memory.records import AttemptHandle, MemoryNote, PlayerRecord
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.store import SqliteMemoryStore


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


@pytest.fixture
async def store(db_path: Path, wall: FakeWall) -> AsyncIterator[SqliteMemoryStore]:
    async with SqliteMemoryStore.open(db_path, wall_clock=wall) as opened:
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


async def play(store: SqliteMemoryStore, player: PlayerRecord, outcome: str, *, scene: str = "sub",
               character: str = "mara", stats: AttemptStats | None = None,
               notes: list[MemoryNote] | None = None, ending: str | None = None) -> AttemptHandle:
    """Begin and finish one attempt."""
    handle = await store.begin_attempt(player.id, scene, character)
    ending_id = ending or (f"{outcome}-ending" if outcome in ("success", "failure") else None)
    assert await store.finish_attempt(handle, outcome, ending_id, stats or AttemptStats(), notes or [],
                                      elapsed=30.0)
    return handle
