"""Many sessions writing at once, through one store and through a second one (on PostgreSQL, two
pools whose transactions really run side by side): nothing lost, no read-modify-write undone."""

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
from digital_actors.memory.stores import open_store
from tests.memory.conftest import Where

SESSIONS = 60
PLAYERS = 10
stats = AttemptStats(correct_actions=1, lines_said=2, rapid_actions=1)


async def test_sixty_concurrent_sessions_on_two_connections_lose_nothing(where: Where) -> None:
    async with open_store(where) as a, open_store(where) as b:
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
            assert await store.finish_attempt(handle, "success", "surfaced", stats,
                                              [MemoryNote(f"note {n}", 0.5)], elapsed=10)

        await asyncio.gather(*(session(n) for n in range(SESSIONS)))

        expected_familiarity, expected_traits = 0.0, None
        for _ in range(SESSIONS // PLAYERS):
            _, expected_familiarity = rules.update_relationship(50, expected_familiarity, AttemptStats(), "success")
            expected_traits = rules.update_personality(expected_traits, stats, "success")
        for player in players:
            snap = await b.recollection(player.id, "sub", "mara")
            assert (snap.attempts, snap.successes) == (SESSIONS // PLAYERS, SESSIONS // PLAYERS)
            assert snap.familiarity == expected_familiarity  # no read-modify-write was lost
            assert snap.personality == expected_traits  # six moves of the average, none undone by another
            assert snap.trust == 50 + 8 * (SESSIONS // PLAYERS)
        totals = [len((await a.export(p.id))["memories"]) for p in players]
        assert sum(totals) == SESSIONS
        assert (await a.integrity()).ok


async def test_a_crash_mid_scene_is_marked_abandoned_next_time(where: Where, tmp_path: Path) -> None:
    async with open_store(where) as store:
        player = await store.player("Alex")
    crash = textwrap.dedent(f"""
        import asyncio, os
        from digital_actors.memory.stores import connect_store
        async def main():
            store = await connect_store({str(where)!r})
            await store.begin_attempt({player.id!r}, "sub", "mara")
            os._exit(3)  # killed mid-scene: no finish, no close
        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", crash], cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode == 3, done.stderr.decode()

    async with open_store(where) as store:
        data = await store.export(player.id)
        assert [a["outcome"] for a in data["scene_attempts"]] == ["in_progress"]
        before = await store.recollection(player.id, "sub", "mara")
        assert before.attempts == 0  # an attempt still in progress is not history yet
        await store.begin_attempt(player.id, "sub", "mara")
        outcomes = [a["outcome"] for a in (await store.export(player.id))["scene_attempts"]]
        assert outcomes == ["abandoned", "in_progress"]
        snap = await store.recollection(player.id, "sub", "mara")
        assert (snap.attempts, snap.last_outcome, snap.difficulty) == (1, "abandoned", "normal")
