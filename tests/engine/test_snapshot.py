"""A playthrough carried to another process: World state, SessionSnapshot and Session.restore, the
understudy's memory of its lines, and (with memory) the same attempt going on, recorded once."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine, SessionRequest
from digital_actors.llm.base import Usage
from digital_actors.llm.tally import UsageTally
from digital_actors.memory.observer import AttemptState
from digital_actors.player import Recollection
from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.turn.snapshot import SNAPSHOT_VERSION, SessionSnapshot, SnapshotError
from digital_actors.view import ViewReducer, view_from_state, view_state
from digital_actors.world import World
from tests.engine.conftest import write_scene
from tests.engine.test_session import SCRIPTED, finish
from tests.engine.test_world import RULES


def scene(tmp_path: Path, text: str = SCRIPTED) -> Scene:
    return load_scene(write_scene(tmp_path / "t", text))


def session_of(scene: Scene, clock: FakeClock, *, seed: int = 7, pace: float = 0.0, **options: object) -> Session:
    opts = SessionOptions(seed=seed, suggestions=False, **options)  # type: ignore[arg-type]
    return Session(scene, actor=Understudy(scene, seed=seed, clock=clock, pace=pace), clock=clock, options=opts,
                   recollection=Recollection(attempts=2, trust=61.0))


def test_a_world_goes_on_from_its_state_exactly(tmp_path: Path) -> None:
    played = World(scene(tmp_path, RULES), difficulty="normal")
    played.tick(5)  # phase 2, heat 10, rules "hot" and "once" fired; bond 15 then opens phase 3
    played.press("valve")
    played.fire_signal("calm")
    played.tick(1)
    state = played.state()
    assert state.phase == 3 and state.pressed == {"valve": 1} and state.fired == {"calm": 1}
    assert set(state.rule_last) == {"hot", "once"} and state.elapsed == 6 and state.idle == 1

    again = World(scene(tmp_path, RULES))
    again.restore(json_round_trip(state))
    assert again.state() == state
    assert again.names() == played.names()
    assert again.controls() == played.controls()  # cooldown and uses left, from last_press and pressed
    for world in (played, again):  # and they go on alike: the cooldown ends, the second use is the last
        world.tick(2)
        world.press("valve")
    assert again.state() == played.state() and again.values["air"] == played.values["air"]


def json_round_trip(state):  # type: ignore[no-untyped-def]
    """The state as another process reads it back (through the snapshot's JSON)."""
    snap = SessionSnapshot("t", SessionOptions(), state, Recollection())
    return SessionSnapshot.from_dict(json.loads(json.dumps(snap.to_dict()))).world


def test_a_world_refuses_another_scenes_state(tmp_path: Path) -> None:
    state = World(scene(tmp_path, RULES)).state()
    with pytest.raises(ValueError, match="no phase 9"):
        World(scene(tmp_path, RULES)).restore(replace(state, phase=9))
    with pytest.raises(ValueError, match="no ending 'nope'"):
        World(scene(tmp_path, RULES)).restore(replace(state, ending="nope"))
    kept = World(scene(tmp_path, RULES))
    kept.restore(replace(state, values={"air": 75.0, "gone": 3.0}))  # a variable the scene lost: ignored
    assert kept.values["air"] == 75.0 and "gone" not in kept.values


def test_a_snapshot_is_json_and_refuses_what_it_is_not(tmp_path: Path) -> None:
    world = World(scene(tmp_path, RULES))
    snap = SessionSnapshot("t", SessionOptions(seed=3, overrides=(("air", 20.0),)), world.state(),
                           Recollection(attempts=1, memories=("met before",)), history=(("player", "hi"),))
    data = json.loads(json.dumps(snap.to_dict()))
    assert snap.to_dict() == data  # already JSON's own types (lists, not tuples)
    assert SessionSnapshot.from_dict(data) == snap
    wrongs = (({**data, "version": SNAPSHOT_VERSION + 1}, f"{SNAPSHOT_VERSION + 1}"), ({"scene_id": "t"}, "None"),
              (["a", "list"], "'list'"))
    for wrong, found in wrongs:
        with pytest.raises(SnapshotError) as refused:
            SessionSnapshot.from_dict(wrong)
        assert str(refused.value) == f"not a version {SNAPSHOT_VERSION} session snapshot (found {found})"
    # A live server's snapshot from before ``memory`` became ``recollection``: refused, not misread.
    before = {**{k: v for k, v in data.items() if k != "recollection"}, "memory": data["recollection"], "version": 1}
    with pytest.raises(SnapshotError, match="found 1"):
        SessionSnapshot.from_dict(before)
    with pytest.raises(SnapshotError) as damaged:
        SessionSnapshot.from_dict({**data, "paused": "not a flag"})
    assert str(damaged.value) == ("damaged session snapshot: 1 problem(s), first: "
                                  "Input should be a valid boolean, unable to interpret input")


async def test_a_restored_session_goes_on_where_the_first_stopped(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    first = session_of(sc, clock)
    await first.start()
    await finish(first, clock)
    await clock.advance(5)  # phase 2: the valve opens
    await first.say("breathe")  # signal calm: bond +5
    await first.press("valve")  # air +30, bond +10
    await first.say("who are you?")
    await finish(first, clock)
    first.pause()
    snap = SessionSnapshot.from_dict(json.loads(json.dumps(first.snapshot().to_dict())))
    await first.close()

    later = FakeClock()
    second = session_of(sc, later, seed=snap.options.seed)
    second.restore(snap)
    sub = second.events()
    await second.start()
    await second.settle()
    got = sub.drain()
    assert not [e for e in got if isinstance(e, ev.SceneStarted | ev.LineStarted)]  # goes on: no opening again
    assert [type(e) for e in got] == [ev.ControlsChanged, ev.StateChanged]  # the page's gauges and controls, fresh
    assert second.world.state() == first.world.state()
    assert second.history == first.history and second.recollection.trust == 61.0
    assert second.paused  # paused as it was; the clock waits for resume()
    await later.advance(3)
    assert second.world.elapsed == first.world.elapsed
    second.resume()
    await later.advance(2)
    assert second.world.elapsed == first.world.elapsed + 2
    await second.close()


async def test_an_unanswered_line_is_answered_after_the_move(tmp_path: Path) -> None:
    """The process died while the reply was being spoken: the resumed session replies (within one line)."""
    sc = scene(tmp_path)
    clock = FakeClock()
    first = session_of(sc, clock, pace=0.5)
    await first.start()
    await finish(first, clock)
    await first.say("what is your name exactly")
    await clock.advance(0.5)  # the reply is half spoken
    assert first.speaking
    snap = first.snapshot()
    assert snap.history[-1] == ("player", "what is your name exactly")
    await first.close()

    second = session_of(sc, FakeClock(), seed=snap.options.seed)
    second.restore(snap)
    sub = second.events()
    await second.start()
    await second.settle()
    lines = [e for e in sub.drain() if isinstance(e, ev.LineFinished)]
    assert [e.text for e in lines] == ["Robert, if you must."]
    await second.close()


async def test_the_understudy_does_not_repeat_itself_after_the_move(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    first = session_of(sc, clock)
    await first.start()
    await first.say("what is your name?")
    await first.settle()
    said = first.history[-1][1]
    snap = first.snapshot()
    assert snap.actor is not None and said in snap.actor.spoken and snap.actor.last == said
    await first.close()

    second = session_of(sc, FakeClock(), seed=snap.options.seed)
    second.restore(snap)
    await second.start()
    await second.say("your name again?")
    await second.settle()
    assert {said, second.history[-1][1]} == {"Bob.", "Still Bob."}  # the other line, not the same one twice
    await second.close()


async def test_an_ending_reached_before_the_move_plays_once_and_a_finished_one_not_again(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    first = session_of(sc, clock, start_phase=2, overrides=(("air", 90),))
    await first.start()
    await finish(first, clock)
    await first.press("valve")  # air 100, bond 10 -> ending "done" is reached
    reached = first.snapshot()  # ... before its line is played
    assert reached.world.ending == "done" and not reached.over
    await first.settle()
    over = first.snapshot()
    assert over.over and first.game_over is not None
    await first.close()

    second = session_of(sc, FakeClock(), seed=7)
    second.restore(reached)
    sub = second.events()
    await second.start()
    await second.settle()
    got = sub.drain()
    assert [e.text for e in got if isinstance(e, ev.LineFinished)] == ["We made it."]
    assert [e.ending_id for e in got if isinstance(e, ev.GameOver)] == ["done"]
    await second.close()

    third = session_of(sc, FakeClock(), seed=7)
    third.restore(over)
    sub = third.events()
    await third.start()
    await third.say("hello?")
    await third.settle()
    got = sub.drain()
    assert not [e for e in got if isinstance(e, ev.GameOver | ev.LineStarted)]
    assert third.game_over is not None and third.game_over.ending_id == "done"
    assert any(isinstance(e, ev.Notice) and "over" in e.message for e in got)  # input refused, as before
    await third.close()


async def test_game_over_counts_the_lines_the_window_left_out(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    first = session_of(sc, clock, start_phase=2, overrides=(("air", 80),))
    await first.start()
    for _ in range(3):
        await first.say("who are you")
        await first.settle()
    actor_lines = sum(1 for who, _ in first.history if who == "actor")
    snap = first.snapshot(window=2)
    assert len(snap.history) == 2 and snap.earlier_lines == actor_lines - 1
    await first.close()

    second = session_of(sc, FakeClock(), seed=7)
    second.restore(snap)
    await second.start()
    await second.press("valve")  # air 100: the ending
    await second.settle()
    assert second.game_over is not None
    assert second.game_over.stats["lines"] == actor_lines + sum(1 for who, _ in second.history[2:] if who == "actor")
    await second.close()


def test_a_restored_session_refuses_another_scene(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    snap = session_of(sc, FakeClock()).snapshot()
    with pytest.raises(SnapshotError, match="cannot continue"):
        session_of(sc, FakeClock()).restore(replace(snap, scene_id="elsewhere"))
    with pytest.raises(SnapshotError, match="no phase"):
        session_of(sc, FakeClock()).restore(replace(snap, world=replace(snap.world, phase=42)))


async def test_the_player_view_rebuilds_from_its_state(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    session = session_of(sc, clock, start_phase=2, overrides=(("air", 90),))
    reducer = ViewReducer()
    sub = session.events()
    await session.start()
    await session.say("who are you")
    await session.press("valve")
    await session.settle()
    for event in sub.drain():
        reducer.feed(event)
    view = reducer.view
    assert view.over is not None and view.gauges and view.controls and len(view.transcript) >= 4
    data = json.loads(json.dumps(view_state(view)))
    again = view_from_state(data)
    assert again.to_json() == view.to_json()
    assert len(view_from_state(view_state(view, transcript=2)).transcript) == 2
    with pytest.raises(ValueError):
        view_from_state({"gauges": "nope"})
    await session.close()


async def test_the_same_attempt_goes_on_in_another_engine_and_is_recorded_once(tmp_path: Path) -> None:
    """Two engines on one memory file (two processes in production): the first hands the scene
    off, the second goes on with the same attempt and records it when the scene ends."""
    settings = Settings(digital_actors_scenes=str(tmp_path / "scenes"))  # type: ignore[call-arg]
    write_scene(tmp_path / "scenes" / "t", SCRIPTED)
    async with Engine.open(settings, clock=FakeClock(), open_memory=True) as a, \
            Engine.open(settings, clock=FakeClock(), open_memory=True) as b:
        assert a.store is not None and b.store is not None
        player = await a.terminal_player("Ada")
        assert player is not None
        request = SessionRequest("t", seed=5, pace=0, start_phase=2, overrides=(("air", 90.0),))
        first = await a.new_session(request, player_id=player.id)
        await first.start()
        await first.say("who are you")
        await first.settle()
        snap, attempt = first.snapshot(), a.attempt_state(first)
        assert attempt is not None and attempt.stats.lines_said == 1
        attempt = AttemptState.from_dict(json.loads(json.dumps(attempt.to_dict())))
        a.hand_off(first)
        await first.close()
        await a.recorded(first)

        second = await b.new_session(SessionRequest("t", pace=0), player_id=player.id, resume=snap, attempt=attempt)
        await second.start()
        await second.say("breathe")
        await second.press("valve")  # the ending
        await second.settle()
        assert second.game_over is not None
        await second.close()
        await b.recorded(second)
        assert b.outbox is not None
        await b.outbox.drained()
        data = await b.store.export(player.id)
    attempts = data["scene_attempts"]
    assert [(x["id"], x["outcome"]) for x in attempts] == [(attempt.handle.attempt_id, "success")]
    stats = json.loads(attempts[0]["stats"]) if isinstance(attempts[0]["stats"], str) else attempts[0]["stats"]
    assert stats["lines_said"] == 2 and stats["controls_pressed"] == 1  # counted in both processes


class Forgetful(Understudy):
    """An actor that remembers nothing worth carrying over."""

    continuity = None  # type: ignore[assignment]


async def test_a_snapshot_keeps_the_window_the_notes_the_name_and_the_count_of_inputs(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    session = Session(sc, actor=Forgetful(sc, seed=7, clock=clock), clock=clock,
                      options=SessionOptions(seed=7, suggestions=False))
    await session.start()
    await session.settle()
    await clock.advance(5)  # heat 10: the "hot" rule's note
    session.name_player("Sam")
    await session.say("who are you")
    await session.press("valve")  # refused (jammed in phase one), but an input all the same
    await session.settle()
    snap = session.snapshot(window=1)
    assert snap.history == (session.history[-1],)
    assert (snap.notes, snap.player_name, snap.actions, snap.actor) == (("It is hot.",), "Sam", 2, None)
    actor_lines = sum(1 for who, _ in session.history if who == "actor")
    assert snap.earlier_lines == actor_lines - (session.history[-1][0] == "actor")
    none = session.snapshot(window=0)
    assert none.history == () and none.earlier_lines == actor_lines
    await session.close()


async def test_a_finished_scene_restored_knows_its_game_over_with_every_line_and_token(tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    first = session_of(sc, clock, start_phase=2, overrides=(("air", 90),))
    await first.start()
    await first.settle()
    await first.press("valve")  # air 100: the ending
    await first.settle()
    over = first.snapshot(window=1)
    await first.close()
    assert over.over and over.earlier_lines >= 1

    second = session_of(sc, FakeClock(), seed=7)
    tally = UsageTally()
    tally.add("line", Usage(input_tokens=3, output_tokens=2))
    second.actor.tally = tally  # type: ignore[misc]
    second.restore(over)
    sub = second.events()
    await second.start()
    got = sub.drain()
    assert [e for e in got if isinstance(e, ev.ControlsChanged)]  # told afresh, though nothing changed
    assert second.game_over is not None
    kept = sum(1 for who, _ in over.history if who == "actor")
    assert (second.game_over.stats["lines"], second.game_over.stats["tokens.output"]) == (
        over.earlier_lines + kept, 2.0)
    await second.close()


def test_a_restored_world_keeps_its_difficulty_signals_and_background_gap(tmp_path: Path) -> None:
    text = RULES + '\n[difficulty]\nhard = { rates = 2.0 }\n[[signals]]\nid = "kind"\nask = "Kind?"\n'
    played = World(scene(tmp_path, text), difficulty="hard")
    played.tick(1)  # heat 4 of 10: room for the next tick to show the rate (a clamp would hide it)
    played.fire_signal("calm")
    played.mark_background()
    again = World(scene(tmp_path, text))  # a normal world until the state says otherwise
    again.restore(json_round_trip(played.state()))
    names = again.names()
    assert (names["signals.calm"], names["signals.kind"]) == (1, 0)
    assert again.state() == played.state() and again.state().last_background == 1
    for world in (played, again):
        world.tick(1)
    assert again.values == played.values and again.values["heat"] == 8  # the hard rates, not the normal ones
    assert again.background_due() == played.background_due()
    normal = World(scene(tmp_path, text))
    normal.tick(1)
    back = World(scene(tmp_path, text), difficulty="hard")
    back.restore(json_round_trip(normal.state()))
    back.tick(1)
    assert back.values["heat"] == 4  # a level the table does not name ticks at the normal rates


async def test_a_restored_session_refuses_a_second_start_and_answers_only_what_was_unanswered(
        tmp_path: Path) -> None:
    sc = scene(tmp_path)
    clock = FakeClock()
    first = session_of(sc, clock)
    await first.start()
    await first.settle()
    await first.say("who are you")
    await first.settle()
    snap = first.snapshot()
    assert [who for who, _ in snap.history] == ["actor", "player", "actor"]  # answered
    with pytest.raises(RuntimeError, match=r"^restore\(\) a session before start\(\)$"):
        first.restore(snap)
    await first.close()
    second = Session(sc, actor=Forgetful(sc, seed=7, clock=clock), clock=clock,
                     options=SessionOptions(seed=7, suggestions=False))
    second.restore(snap)  # the memo of an actor that remembers: nothing to load it into
    sub = second.events()
    await second.start()
    await second.settle()
    assert not [e for e in sub.drain() if isinstance(e, ev.LineStarted)]
    await second.close()

