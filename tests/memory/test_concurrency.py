"""Many sessions writing at once, through one store and through a second connection: nothing lost."""

# ruff: noqa: ASYNC221  (tests: blocking file and process calls are fine here)

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from digital_actors.memory import rules
from digital_actors.memory.records import MemoryNote
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.store import SqliteMemoryStore

SESSIONS = 60
PLAYERS = 10


async def test_sixty_concurrent_sessions_on_two_connections_lose_nothing(db_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path) as a, SqliteMemoryStore.open(db_path) as b:
        players = [await a.player(f"P{i}") for i in range(PLAYERS)]
        started = asyncio.Event()
        in_flight = 0

        async def session(n: int) -> None:
            nonlocal in_flight
            store = a if n % 2 else b
            player = players[n % PLAYERS]
            handle = await store.begin_attempt(player.id, "sub", "mara")
            in_flight += 1
            if in_flight == SESSIONS:
                started.set()
            await started.wait()  # every attempt is open before any finishes
            stats = AttemptStats(correct_actions=1, lines_said=2)
            assert await store.finish_attempt(handle, "success", "surfaced", stats,
                                              [MemoryNote(f"note {n}", 0.5)], elapsed=10)

        await asyncio.gather(*(session(n) for n in range(SESSIONS)))

        expected_familiarity = 0.0
        for _ in range(SESSIONS // PLAYERS):
            _, expected_familiarity = rules.update_relationship(50, expected_familiarity, AttemptStats(), "success")
        for player in players:
            snap = await b.snapshot(player.id, "sub", "mara")
            assert (snap.attempts, snap.successes) == (SESSIONS // PLAYERS, SESSIONS // PLAYERS)
            assert snap.familiarity == expected_familiarity  # no read-modify-write was lost
            assert snap.trust == 50 + 8 * (SESSIONS // PLAYERS)
        totals = [len((await a.export(p.id))["memories"]) for p in players]
        assert sum(totals) == SESSIONS
        assert (await a.integrity()).ok


async def test_a_crash_mid_scene_is_marked_abandoned_next_time(db_path: Path, tmp_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path) as store:
        player = await store.player("Alex")
    crash = textwrap.dedent(f"""
        import asyncio, os
        from digital_actors.memory.store import SqliteMemoryStore
        async def main():
            store = await SqliteMemoryStore.connect({str(db_path)!r})
            await store.begin_attempt({player.id!r}, "sub", "mara")
            os._exit(3)  # killed mid-scene: no finish, no close
        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", crash], cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode == 3, done.stderr.decode()

    async with SqliteMemoryStore.open(db_path) as store:
        data = await store.export(player.id)
        assert [a["outcome"] for a in data["scene_attempts"]] == ["in_progress"]
        before = await store.snapshot(player.id, "sub", "mara")
        assert before.attempts == 0  # an attempt still in progress is not history yet
        await store.begin_attempt(player.id, "sub", "mara")
        outcomes = [a["outcome"] for a in (await store.export(player.id))["scene_attempts"]]
        assert outcomes == ["abandoned", "in_progress"]
        snap = await store.snapshot(player.id, "sub", "mara")
        assert (snap.attempts, snap.last_outcome, snap.difficulty) == (1, "abandoned", "normal")
