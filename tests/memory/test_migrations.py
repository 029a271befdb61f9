"""Migrations: from empty, re-run, partial, newer, and the PRAGMAs every connection gets."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import aiosqlite
import pytest

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import migrations
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.store import SqliteMemoryStore

TABLES = {"players", "sessions", "scene_attempts", "personality_profiles", "relationships", "memories",
          "_migrations"}


def _rows(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


async def test_migrates_an_empty_file_in_order(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path):
        pass
    names = [r[0] for r in _rows(db_path, "SELECT name FROM _migrations ORDER BY rowid")]
    assert names == migrations.known_names()
    tables = {r[0] for r in _rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert TABLES <= tables
    indexes = {r[0]: r[1] for r in _rows(db_path, "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                                  "AND sql IS NOT NULL")}
    assert "scene_attempts(player_id)" in indexes["idx_scene_attempts_player"]
    assert "sessions(player_id, started_at)" in indexes["idx_sessions_player_started"]


async def test_rerun_is_a_no_op(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path):
        pass
    before = _rows(db_path, "SELECT name, applied_at FROM _migrations ORDER BY rowid")
    async with SqliteMemoryStore.open(db_path):
        pass
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await migrations.migrate(conn) == []
    assert _rows(db_path, "SELECT name, applied_at FROM _migrations ORDER BY rowid") == before


async def test_finishes_a_partially_migrated_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        first = migrations.MIGRATIONS[0]
        for statement in first.statements:
            conn.execute(statement)
        conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01T00:00:00.000+00:00')", (first.name,))
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        ran = await migrations.migrate(conn)
    assert ran == migrations.known_names()[1:]


async def test_newer_schema_is_refused_untouched(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path):
        pass
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2030-01-01T00:00:00+00:00')")
    with pytest.raises(MemoryStoreError, match="newer"):
        async with SqliteMemoryStore.open(db_path):
            pass


async def test_pragmas(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path) as store:
        pragmas = await store.pragmas()
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] == 5000


async def test_json_is_json_and_times_are_utc_iso(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path) as store:
        player = await store.player("Robin")
        handle = await store.begin_attempt(player.id, "sub", "mara")
        await store.finish_attempt(handle, "success", "surfaced", AttemptStats(interruptions=2), [], elapsed=5)
    stats, started, ended = _rows(db_path, "SELECT stats, started_at, ended_at FROM scene_attempts")[0]
    assert json.loads(stats)["interruptions"] == 2
    assert _rows(db_path, "SELECT json_valid(stats) FROM scene_attempts") == [(1,)]
    for stamp in (started, ended, player.created_at):
        parsed = datetime.fromisoformat(stamp)
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0
