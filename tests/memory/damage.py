"""Helpers that build deliberately damaged database files for the fault tests."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from digital_actors.memory.store import SqliteMemoryStore

PAGE = 4096


async def filled_database(path: Path, memories: int = 1500) -> str:
    """A migrated file with one player, one attempt and many memories; returns the player id."""
    async with SqliteMemoryStore.open(path) as store:
        player = await store.player("Alex")
        handle = await store.begin_attempt(player.id, "sub", "mara")
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO memories (player_id, character_id, text, scene_id, attempt_id, created_at, weight) "
            "VALUES (?, 'mara', ?, 'sub', ?, '2026-01-01T00:00:00.000+00:00', 0.5)",
            [(player.id, f"marker-{i:05d} " + "x" * 80, handle.attempt_id) for i in range(memories)])
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return player.id


def smash_page_holding(path: Path, marker: bytes) -> int:
    """Overwrite the table-leaf page that stores ``marker`` with garbage; returns its number."""
    data = bytearray(path.read_bytes())
    for number in range(1, len(data) // PAGE):
        page = data[number * PAGE:(number + 1) * PAGE]
        if page[0] == 0x0D and marker in page:
            data[number * PAGE:(number + 1) * PAGE] = b"\xff" * PAGE
            path.write_bytes(bytes(data))
            return number
    raise AssertionError(f"no table leaf page holds {marker!r}")
