"""The engine while the memory store refuses writes: play goes on, nothing finished is lost, each
player hears once that saving stopped and once that it is back, and /health's reasons say why.
On a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner

from digital_actors import events as ev
from digital_actors.cli import cli
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from digital_actors.memory.base import SqlStore
from digital_actors.memory.binding import NOT_SAVED, SAVED_AGAIN
from digital_actors.memory.store import SqliteMemoryStore
from digital_actors.memory.stores import open_store
from tests.memory.conftest import FakeWall
from tests.memory.faults import read_only, retry_until_drained, write_lock

REQUEST = SessionRequest("welcome", seed=1, pace=0)


def db_of(home: Path) -> Path:
    return home / "data" / "player_memory.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def configured(request: pytest.FixtureRequest, isolated_home: Path) -> Path | str:
    """What DIGITAL_ACTORS_DB names for the engine: the default file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return db_of(isolated_home)
    url: str = request.getfixturevalue("pg_url")
    return url


def settings_for(where: Path | str, **values: object) -> Settings:
    if isinstance(where, str):
        values["digital_actors_db"] = where
    return Settings(**values)  # type: ignore[arg-type]


def told(events: list[ev.Event], message: str) -> int:
    return sum(1 for e in events if isinstance(e, ev.Notice) and e.message == message)



async def test_a_lock_held_through_an_ending_loses_nothing_and_players_hear_it_once(configured: Path | str) -> None:
    clock = FakeClock()
    async with Engine.open(settings_for(configured), clock=clock, open_memory=True, write_busy_timeout_ms=0) as engine:
        outbox = engine.outbox
        assert outbox is not None
        ada = await engine.terminal_player("Ada")
        assert ada is not None
        first = await engine.new_session(REQUEST, player_id=ada.id)
        seen = first.events()
        await first.start()
        await first.settle()
        await outbox.drained()
        with write_lock(configured):
            await first.say("My name is Bea.")
            await first.settle()
            await outbox.settled()
            for _ in range(3):  # a minute at a time: the scene runs on to its ending, writes keep failing
                await outbox.resting()
                await clock.advance(60)
            await first.settle()
            assert first.game_over is not None  # the scene ended while nothing could be written
            reasons = engine.degraded_reasons()
            assert len(reasons) == 1 and "writes are failing" in reasons[0] and "locked" in reasons[0]
            second = await engine.new_session(REQUEST, player_id=ada.id)  # a player arriving now
            seen_second = second.events()
            await second.start()
            await second.settle()
            second.pause()  # its clock stands still while the retries move time on: it ends as "quit"
            assert told(seen_second.drain(), NOT_SAVED) == 1
        await retry_until_drained(outbox, clock)
        events = seen.drain()
        assert told(events, NOT_SAVED) == 1 and told(events, SAVED_AGAIN) == 1
        assert events.index(next(e for e in events if isinstance(e, ev.Notice) and e.message == NOT_SAVED)) < \
            events.index(next(e for e in events if isinstance(e, ev.Notice) and e.message == SAVED_AGAIN))
        assert told(seen_second.drain(), SAVED_AGAIN) == 1
        assert engine.degraded_reasons() == []
        await first.close()
        await second.close()
        await engine.recorded(first)
        await engine.recorded(second)
        await outbox.drained()
        store = cast(SqlStore, engine.store)
        data = await store.export(ada.id)
        outcomes = sorted(a["outcome"] for a in data["scene_attempts"])
        assert outcomes == sorted([first.game_over.kind, "quit"])  # the ending landed; nothing in progress
        assert data["player"]["given_name"] == "Bea"  # said during the outage, kept, landed


async def test_a_read_only_database_plays_on_and_saves_once_it_is_writable(configured: Path | str) -> None:
    clock = FakeClock()
    async with Engine.open(settings_for(configured), clock=clock, open_memory=True, write_busy_timeout_ms=0) as engine:
        store, outbox = cast(SqlStore, engine.store), engine.outbox
        assert outbox is not None
        known = await engine.terminal_player("Known")
        await read_only(store)
        again = await engine.terminal_player("Known")  # read, not written: the same profile
        assert again is not None and known is not None and again.id == known.id
        newcomer = await engine.terminal_player("Newcomer")  # cannot be written yet: an id to write later
        assert newcomer is not None and await store.find_player("Newcomer") is None
        session = await engine.new_session(REQUEST, player_id=newcomer.id)
        sub = session.events()
        await session.start()
        await session.settle()
        await session.close()
        await engine.recorded(session)
        assert told(sub.drain(), NOT_SAVED) == 1
        assert any("read-only" in r for r in engine.degraded_reasons())
        await read_only(store, on=False)  # the operator fixed the mount
        await retry_until_drained(outbox, clock)
        record = await store.find_player("Newcomer")
        assert record is not None and record.id == newcomer.id and record.given_name == "Newcomer"
        assert [a["outcome"] for a in (await store.export(newcomer.id))["scene_attempts"]] == ["quit"]


async def test_a_web_id_is_kept_when_its_row_cannot_be_written(configured: Path | str) -> None:
    clock = FakeClock()
    async with Engine.open(settings_for(configured), clock=clock, open_memory=True, write_busy_timeout_ms=0) as engine:
        store, outbox = cast(SqlStore, engine.store), engine.outbox
        assert outbox is not None
        terminal = await engine.terminal_player("Ada")
        assert terminal is not None and not await engine.web_player_row(terminal.id)  # not a web profile
        await read_only(store)
        issued = "6a1f0c1e-2b3d-4c5e-8f70-9a8b7c6d5e4f"
        assert await engine.web_player_row(issued, "Bea")  # its row cannot be written now: kept
        session = await engine.new_session(REQUEST, player_id=issued)
        await session.start()
        await session.settle()
        await session.close()
        await engine.recorded(session)
        assert await store.get_player(issued) is None
        await read_only(store, on=False)
        await retry_until_drained(outbox, clock)
        record = await store.get_player(issued)
        assert record is not None and (record.kind, record.given_name) == ("web", "Bea")
        assert len((await store.export(issued))["scene_attempts"]) == 1  # never "No player with id"


async def test_stale_attempts_are_abandoned_at_start_and_daily(configured: Path | str) -> None:
    wall = FakeWall(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    async with open_store(configured, wall_clock=wall) as store:
        gone = await store.player("Gone")
        await store.begin_attempt(gone.id, "welcome", "guide")  # never finished: the player did not return
    wall.now += timedelta(hours=30)
    clock = FakeClock()
    settings = settings_for(configured, memory_abandon_after_hours=24)
    async with Engine.open(settings, clock=clock, open_memory=True, wall_clock=wall) as engine:
        store2, outbox = cast(SqlStore, engine.store), engine.outbox
        assert outbox is not None
        await outbox.drained()
        assert [a["outcome"] for a in (await store2.export(gone.id))["scene_attempts"]] == ["abandoned"]
        late = await store2.player("Late")
        await store2.begin_attempt(late.id, "welcome", "guide")
        wall.now += timedelta(hours=23)
        await clock.advance(86400)  # a day of serving: not old enough yet
        await outbox.drained()
        assert [a["outcome"] for a in (await store2.export(late.id))["scene_attempts"]] == ["in_progress"]
        wall.now += timedelta(hours=2)
        await clock.advance(86400)
        await outbox.drained()
        assert [a["outcome"] for a in (await store2.export(late.id))["scene_attempts"]] == ["abandoned"]


@pytest.mark.usefixtures("restore_logging")
def test_play_plain_goes_on_without_saving_on_a_read_only_database(monkeypatch: pytest.MonkeyPatch) -> None:
    connect = SqliteMemoryStore.connect.__func__  # type: ignore[attr-defined]

    async def read_only_connect(cls: type[SqliteMemoryStore], *args: object, **kwargs: object) -> SqliteMemoryStore:
        store = await connect(cls, *args, **kwargs)
        await read_only(store)
        return cast(SqliteMemoryStore, store)

    monkeypatch.setattr(SqliteMemoryStore, "connect", classmethod(read_only_connect))
    result = CliRunner().invoke(cli, ["--player", "Ada", "play", "welcome", "--plain"], input="hello\n")
    assert result.exit_code == 0, result.output
    assert "=== " in result.output and "input ended" in result.output
    assert result.output.count("Your progress is not being saved right now") == 1
