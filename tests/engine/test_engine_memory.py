"""The engine with a memory store: attempts are recorded, and a returning player is greeted
as one and gets the difficulty their record calls for."""

from __future__ import annotations

from digital_actors import events as ev
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest


async def play_once(engine: Engine, player_id: str, *, say: str = "") -> list[ev.Event]:
    session = await engine.new_session(SessionRequest("welcome", seed=1, pace=0), player_id=player_id)
    sub = session.events()
    await session.start()
    await session.settle()
    if say:
        await session.say(say)
        await session.settle()
    got = sub.drain()
    await session.close()
    await engine.recorded(session)
    return got


async def test_attempts_are_recorded_and_returning_players_are_greeted() -> None:
    async with Engine.open(Settings(), clock=FakeClock(), open_memory=True) as engine:
        assert engine.store is not None and engine.memory_error is None
        player = await engine.terminal_player("Ada")
        assert player is not None
        first = await play_once(engine, player.id, say="My name is Ada.")
        opening = next(e for e in first if isinstance(e, ev.LineStarted))
        assert opening.source == "understudy: script.opening"
        assert next(e for e in first if isinstance(e, ev.SceneStarted)).difficulty == "normal"

        second = await play_once(engine, player.id)
        greeting = next(e for e in second if isinstance(e, ev.LineStarted))
        assert greeting.source == "understudy: script.returning"

        third = await play_once(engine, player.id)
        assert next(e for e in third if isinstance(e, ev.SceneStarted)).difficulty == "easy"  # 2 attempts, no success

        data = await engine.store.export(player.id)
        outcomes = [a["outcome"] for a in data["scene_attempts"]]
        assert outcomes == ["quit", "quit", "quit"]
        assert any("Ada" in m["text"] for m in data["memories"])


async def test_a_corrupt_store_means_no_memory_and_one_clear_notice(isolated_home) -> None:  # type: ignore[no-untyped-def]
    db = isolated_home / "data" / "player_memory.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database" * 100)
    async with Engine.open(Settings(), clock=FakeClock(), open_memory=True) as engine:
        assert engine.store is None and engine.memory_error is not None
        assert "salvage" in str(engine.memory_error) or "restore" in str(engine.memory_error)
        session = await engine.new_session(SessionRequest("welcome", seed=1, pace=0))
        await session.start()
        await session.settle()
        await session.close()
    assert db.read_bytes() == b"this is not a database" * 100  # never overwritten
