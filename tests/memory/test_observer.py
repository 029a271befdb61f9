"""The observer turns a synthetic event stream (driven by a FakeClock) into one attempt's record."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from digital_actors.clock import FakeClock
from digital_actors.events import (
    ControlsChanged,
    ControlView,
    Event,
    GameOver,
    LineFinished,
    LineStarted,
    Narration,
    PlayerSaid,
    StateChanged,
)
from digital_actors.memory.observer import MemoryObserver
from digital_actors.memory.records import AttemptHandle
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.store import SqliteMemoryStore


@pytest.fixture
async def mem() -> AsyncIterator[SqliteMemoryStore]:
    async with SqliteMemoryStore.open(":memory:") as store:
        yield store


def _controls(uses: int | None, cooldown: float = 0.0) -> ControlsChanged:
    return ControlsChanged(controls=(
        ControlView("blow", "Blow ballast", "b", True, uses_left=uses),
        ControlView("seal", "Seal the hatch", "s", True, cooldown_left=cooldown),
    ))


async def test_stats_from_a_synthetic_attempt(mem: SqliteMemoryStore) -> None:
    clock = FakeClock()
    player = await mem.player("Alex")
    handle = await mem.begin_attempt(player.id, "sub", "mara")
    observer = MemoryObserver(mem, handle, clock=clock)

    observer.feed(_controls(uses=2))
    observer.feed(LineStarted("l1", "mara", "Mara", cue="opening"))
    await clock.advance(2)
    observer.feed(LineFinished("l1", "mara", "Can you hear me?"))
    await clock.advance(4)  # waited 4 s after she finished: patient
    observer.feed(PlayerSaid("Yes! My name is Alex. Please stay calm."))
    await clock.advance(1)  # 1 s later: rapid, and accepted
    observer.feed(Narration("Ballast tanks blown.", kind="feedback"))
    observer.feed(_controls(uses=1))
    await clock.advance(0.5)  # rapid again, and refused
    observer.feed(Narration("The hatch is jammed.", kind="refusal"))
    observer.feed(LineStarted("l2", "mara", "Mara", cue="control"))
    await clock.advance(2.5)
    observer.feed(LineFinished("l2", "mara", "Wait, I", interrupted=True, by_player=True))
    observer.feed(PlayerSaid("shut up and listen"))  # cut her off: not patient; 2.5 s: not rapid
    observer.feed(StateChanged(changed={}, gauges=(), elapsed=8.5))  # ignored
    await clock.advance(3)
    observer.feed(Narration("Hatch sealed.", kind="feedback"))
    observer.feed(_controls(uses=1, cooldown=5))

    assert observer.stats == AttemptStats(
        interruptions=1, rapid_actions=2, patient_waits=1, correct_actions=2, incorrect_actions=1,
        lines_said=2, controls_pressed=3, kind_words=2, harsh_words=1)
    assert observer.choices == ["Blow ballast", "Seal the hatch"]

    observer.feed(GameOver("surfaced", "success", "Back to the surface", "You made it.", elapsed=42.0))
    observer.feed(PlayerSaid("after the end"))  # nothing counts after GameOver
    assert await observer.finish() is True
    assert await observer.finish() is True  # the same single write, awaited again

    data = await mem.export(player.id)
    attempt = data["scene_attempts"][0]
    assert (attempt["outcome"], attempt["ending_id"]) == ("success", "surfaced")
    assert attempt["stats"]["lines_said"] == 2 and attempt["stats"]["patient_waits"] == 1
    assert data["sessions"][0]["playtime_seconds"] == 42.0
    texts = {m["text"] for m in data["memories"]}
    assert "They told me their name is Alex." in texts
    assert "They chose to: Blow ballast, Seal the hatch." in texts
    snap = await mem.recollection(player.id, "sub", "mara")
    assert snap.memories[0] == "They told me their name is Alex."
    assert (snap.successes, snap.last_ending) == (1, "surfaced")


async def test_closing_without_game_over_records_a_quit(mem: SqliteMemoryStore) -> None:
    clock = FakeClock()
    player = await mem.player("Sam")
    handle = await mem.begin_attempt(player.id, "sub", "mara")
    observer = MemoryObserver(mem, handle, clock=clock, character_id="mara")
    observer.feed(PlayerSaid("call me sam"))
    assert await observer.close(outcome="quit") is True
    assert await observer.close(outcome="abandoned") is True  # the same single write
    observer.feed(PlayerSaid("ignored"))
    data = await mem.export(player.id)
    assert [a["outcome"] for a in data["scene_attempts"]] == ["quit"]
    assert data["scene_attempts"][0]["stats"]["lines_said"] == 1
    assert {m["text"] for m in data["memories"]} == {
        "They told me their name is Sam.", "Last time they walked away before it was over."}


async def test_game_over_writes_even_if_nobody_awaits(mem: SqliteMemoryStore) -> None:
    clock = FakeClock()
    player = await mem.player("Kit")
    handle = await mem.begin_attempt(player.id, "sub", "mara")
    observer = MemoryObserver(mem, handle, clock=clock)
    observer.feed(GameOver("flooded", "failure", "Flooded", "The water won.", elapsed=12.0))
    await clock.advance(0)  # let the scheduled write run a few loop turns
    for _ in range(50):
        if (await mem.recollection(player.id, "sub", "mara")).attempts:
            break
        await clock.advance(0)
    snap = await mem.recollection(player.id, "sub", "mara")
    assert (snap.attempts, snap.last_outcome) == (1, "failure")
    assert await observer.finish() is True


def _attempt(events: list[Event], mem: SqliteMemoryStore, handle: AttemptHandle) -> MemoryObserver:
    observer = MemoryObserver(mem, handle, clock=FakeClock())
    for event in events:
        observer.feed(event)
    return observer


async def test_lines_the_session_cancels_are_not_the_players_interruptions(mem: SqliteMemoryStore) -> None:
    player = await mem.player("Ash")
    handle = await mem.begin_attempt(player.id, "sub", "mara")
    cut_by_session = LineFinished("l1", "mara", "Listen—", interrupted=True, by_player=False)
    ending = [cut_by_session, StateChanged(changed={}, gauges=(), elapsed=3),
              LineStarted("e", "mara", "Mara", "ending"), LineFinished("e", "mara", "We made it."),
              GameOver("out", "success", "Out", "", elapsed=9)]
    ended = _attempt(ending, mem, handle)
    assert ended.stats.interruptions == 0
    assert await ended.finish() is True
    cut_by_player = LineFinished("l2", "mara", "Listen—", interrupted=True, by_player=True)
    assert _attempt([cut_by_player, Narration("You cut her off.", kind="interruption")], mem, handle
                    ).stats.interruptions == 1
    then_quit = _attempt([cut_by_player], mem, await mem.begin_attempt(player.id, "sub", "mara"))
    assert await then_quit.close() is True
    quit_attempt = (await mem.export(player.id))["scene_attempts"][-1]
    assert (quit_attempt["outcome"], quit_attempt["stats"]["interruptions"]) == ("quit", 1)


async def test_game_over_counts_presses_that_had_no_feedback_text(mem: SqliteMemoryStore) -> None:
    player = await mem.player("Bo")
    handle = await mem.begin_attempt(player.id, "sub", "mara")
    events: list[Event] = [
        _controls(uses=None), Narration("Ballast blown.", kind="feedback"),
        GameOver("out", "success", "Out", "", elapsed=9, stats={"uses.blow": 1.0, "uses.seal": 2.0}),
    ]
    observer = _attempt(events, mem, handle)
    assert (observer.stats.correct_actions, observer.stats.controls_pressed) == (3, 3)
    assert observer.choices == ["Blow ballast", "Seal the hatch"]
    assert await observer.finish() is True
