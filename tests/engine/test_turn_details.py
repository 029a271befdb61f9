"""The session's edges value by value: what a cue carries, what each input emits and in what order,
restarts that reload memory, the judge's context, cache and timeout, actor signals, late suggestions,
the director's held hint and a voice that fails (digital_actors/turn/)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.errors import MemoryStoreError, ModelError, VoiceError
from digital_actors.llm.base import Usage
from digital_actors.llm.tally import UsageTally
from digital_actors.player import Recollection
from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene, Signal
from digital_actors.turn.lines import visible_prefix
from digital_actors.turn.ports import Cue, CueKind, Decision, DirectorView
from digital_actors.turn.queue import LineQueue
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.turn.signals import Pending, SignalEvaluator, Verdict
from digital_actors.understanding import Context
from digital_actors.voice.base import SilentVoice, VoiceProfile
from tests.engine.conftest import write_scene
from tests.engine.test_session import SCRIPTED

Events = list[ev.Event]


class Recording(Understudy):
    """The understudy, remembering every cue it was given."""

    def __init__(self, scene: Scene, **kwargs: object) -> None:
        super().__init__(scene, **kwargs)  # type: ignore[arg-type]
        self.cues: list[Cue] = []

    def perform(self, cue: Cue):  # type: ignore[no-untyped-def]
        self.cues.append(cue)
        return super().perform(cue)


def load(tmp_path: Path, text: str = SCRIPTED) -> Scene:
    return load_scene(write_scene(tmp_path / "t", text))


def make(tmp_path: Path, text: str = SCRIPTED, *, pace: float = 0.0, recollection: Recollection | None = None,
         **options: object) -> tuple[Session, FakeClock, Recording]:
    scene = load(tmp_path, text)
    clock = FakeClock()
    actor = Recording(scene, clock=clock, pace=pace)
    opts = SessionOptions(**{"suggestions": False, **options})  # type: ignore[arg-type]
    return Session(scene, actor=actor, clock=clock, options=opts, recollection=recollection), clock, actor


def of(kind: type, got: Events) -> list:  # type: ignore[type-arg]
    return [e for e in got if isinstance(e, kind)]


# --- start -------------------------------------------------------------------------------------
async def test_scene_started_says_everything_a_front_end_draws_first(tmp_path: Path) -> None:
    text = SCRIPTED.replace('[state.bond]', '[state.bond]\n[state.left]\nstart = 90\nmax = 90\nrate = -1\n'
                            'countdown = true\n', 1).replace(
        'title = "T"', 'title = "T"\ntagline = "A test."\nminutes = 7')
    session, _, _ = make(tmp_path, text, difficulty="hard")
    session.start_notices.append(ev.Notice("Memory is off.", "warning", topic="memory"))
    sub = session.events()
    await session.start()
    await session.start()  # a second start does nothing
    got = sub.drain()
    started = of(ev.SceneStarted, got)
    assert len(started) == 1 and got[0] is started[0]
    s = started[0]
    assert (s.scene_id, s.title, s.tagline, s.player_role, s.minutes) == ("t", "T", "A test.", "tester", 7)
    assert s.cast == (ev.CastMember("bob", "Bob"),) and (s.phase, s.phase_title) == (1, "One")
    assert s.performer == "understudy (no model configured)" and s.difficulty == "hard" and s.time_left == 90
    assert [g.id for g in s.gauges] == ["air", "heat"] and [c.id for c in s.controls] == ["valve"]
    assert got[1] == ev.Notice("Memory is off.", "warning", topic="memory")
    await session.close()


async def test_a_scene_that_ends_at_once_never_starts_its_clock(tmp_path: Path) -> None:
    session, clock, _ = make(tmp_path, overrides=(("air", 100.0), ("bond", 20.0)))
    await session.start()
    await session.settle()
    assert session.game_over is not None and session.game_over.ending_id == "first"
    await clock.advance(5)
    assert session.world.elapsed == 0 and clock.sleepers == 0
    await session.close()


async def test_difficulty_comes_from_memory_unless_an_option_sets_it(tmp_path: Path) -> None:
    text = SCRIPTED + '\n[difficulty]\neasy = { start = { air = 20 } }\n'
    session, _, _ = make(tmp_path, text, recollection=Recollection(difficulty="easy"))
    assert session.world.difficulty == "easy" and session.world.values["air"] == 70
    chosen, _, _ = make(tmp_path / "b", text, recollection=Recollection(difficulty="easy"), difficulty="normal")
    assert chosen.world.difficulty == "normal" and chosen.world.values["air"] == 50


# --- cues --------------------------------------------------------------------------------------
async def test_a_reply_cue_carries_the_moment(tmp_path: Path) -> None:
    recollection = Recollection(player_id="p", trust=70.0)
    session, clock, actor = make(tmp_path, recollection=recollection, start_phase=2)
    await session.start()
    await session.settle()
    await clock.advance(2)
    session.name_player("Sam")
    await session.say("  who are you, breathe  ")
    await session.settle()
    reply = [c for c in actor.cues if c.kind == "reply"][-1]
    assert reply.player_text == "who are you, breathe" and reply.signals == ("calm",) and not reply.interrupted
    assert reply.character_id == "bob" and reply.recollection is recollection and reply.player_name == "Sam"
    assert reply.elapsed == 2 and reply.names["bond"] == 5 and reply.names["signals.calm"] == 1
    assert reply.history == (("actor", "Hello there."), ("player", "who are you, breathe"))
    await session.close()


async def test_a_control_cue_names_the_control_and_its_reaction(tmp_path: Path) -> None:
    text = SCRIPTED.replace('effects = { air = "+30", bond = "=bond + 10" }',
                            'effects = { air = "+30", bond = "=bond + 10" }\nreaction = "He flinches."')
    session, _, actor = make(tmp_path, text, start_phase=2)
    await session.start()
    await session.press("valve")
    await session.settle()
    control = [c for c in actor.cues if c.kind == "control"]
    assert [(c.control_id, c.beat) for c in control] == [("valve", "He flinches.")]
    await session.close()


async def test_phase_and_ending_cues_carry_their_beats(tmp_path: Path) -> None:
    text = SCRIPTED.replace('title = "Two"', 'title = "Two"\nbeat = "It gets hot."').replace(
        'title = "First"', 'title = "First"\nbeat = "He gives up."')
    session, clock, actor = make(tmp_path, text, overrides=(("bond", 20.0), ("air", 70.0)))
    await session.start()
    await clock.advance(5)
    await session.settle()
    assert [(c.phase_id, c.beat) for c in actor.cues if c.kind == "phase"] == [(2, "It gets hot."), (3, "")]
    await session.press("valve")
    await session.settle()
    assert [(c.ending_id, c.beat) for c in actor.cues if c.kind == "ending"] == [("first", "He gives up.")]
    await session.close()


async def test_director_notes_reach_the_next_cue_three_at_most(tmp_path: Path) -> None:
    text = SCRIPTED.replace('[[director.rules]]\nid = "hot"', '''[[director.rules]]
id = "n1"
when = "elapsed >= 1"
once = true
note = "one"
[[director.rules]]
id = "n2"
when = "elapsed >= 2"
once = true
note = "two"
[[director.rules]]
id = "n3"
when = "elapsed >= 3"
once = true
note = "three"
[[director.rules]]
id = "n4"
when = "elapsed >= 4"
once = true
note = "four"
[[director.rules]]
id = "hot"''', 1)
    session, clock, actor = make(tmp_path, text)
    await session.start()
    await clock.advance(4)
    await session.say("who are you")
    await session.settle()
    assert [c for c in actor.cues if c.kind == "reply"][-1].notes == ("two", "three", "four")
    await session.close()


# --- inputs ------------------------------------------------------------------------------------
async def test_blank_words_are_not_an_input(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path)
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    await session.say("   ")
    await session.settle()
    assert sub.drain() == [] and session.history == [("actor", "Hello there.")]
    await session.close()


async def test_an_unknown_control_is_refused_with_its_name(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path)
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    assert await session.press("hatch") is False
    assert sub.drain() == [ev.Notice("There is no control called 'hatch'.", "warning")]
    await session.close()


async def test_a_refusal_shows_the_controls_again(tmp_path: Path) -> None:
    text = SCRIPTED.replace('unavailable = "The valve is jammed."', 'unavailable = ""')
    session, _, _ = make(tmp_path, text)
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    assert await session.press("valve") is False
    got = sub.drain()
    assert got[0] == ev.Narration("VALVE: not available yet.", "refusal", "valve")
    assert of(ev.ControlsChanged, got) == [ev.ControlsChanged(session.world.controls())]
    await session.close()


async def test_a_refusal_keeps_the_reasons_own_words(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path, SCRIPTED.replace('unavailable = "The valve is jammed."', 'unavailable = "Ask MAX."'))
    sub = session.events()
    await session.start()
    await session.press("valve")
    assert ev.Narration("VALVE: Ask MAX.", "refusal", "valve") in sub.drain()  # only its final "." is dropped
    await session.close()


async def test_a_press_shows_feedback_state_and_history(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path, start_phase=2)
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    assert await session.press("valve") is True
    got = sub.drain()
    assert got[0] == ev.Narration("You use VALVE.", "feedback", "valve")
    state = of(ev.StateChanged, got)
    assert state[0].changed == {"air": 80.0, "bond": 10.0}
    await session.settle()
    assert ("player", "[presses VALVE]") in session.history
    text = SCRIPTED.replace('label = "VALVE"', 'label = "VALVE"\nfeedback = "It squeals."')
    other, _, _ = make(tmp_path / "b", text, start_phase=2)
    sub = other.events()
    await other.start()
    await other.press("valve")
    assert ev.Narration("It squeals.", "feedback", "valve") in sub.drain()
    await session.close()
    await other.close()


async def test_a_press_that_changes_nothing_still_shows_the_state(tmp_path: Path) -> None:
    text = SCRIPTED.replace('effects = { air = "+30", bond = "=bond + 10" }', '')
    session, _, _ = make(tmp_path, text, start_phase=2)
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    await session.press("valve")
    state = of(ev.StateChanged, sub.drain())
    assert len(state) == 1 and state[0].changed == {}
    await session.close()


async def test_a_press_cuts_off_a_background_line_but_not_a_reply(tmp_path: Path) -> None:
    text = SCRIPTED.replace('note = "It is hot."', 'nudge = true')
    session, clock, _ = make(tmp_path, text, pace=0.5, start_phase=2, overrides=(("heat", 10.0),))
    sub = session.events()
    await session.start()
    await clock.advance(0.25)
    await session.interrupt()  # the player cuts the opening
    assert [e.by_player for e in of(ev.LineFinished, sub.drain())] == [True]
    await clock.advance(30)  # the nudge (heat is 10) is spoken slowly
    await clock.advance(0.5)
    got = sub.drain()
    assert of(ev.LineStarted, got)[-1].cue == "nudge" and session.speaking
    bond = session.world.values["bond"]
    await session.press("valve")
    got = sub.drain()
    cut = of(ev.LineFinished, got)
    assert len(cut) == 1 and cut[0].interrupted and not cut[0].by_player  # the last cut's author is not kept
    assert not [e for e in got if isinstance(e, ev.Narration) and e.kind == "interruption"]
    assert session.world.values["bond"] == bond + 10  # the valve's +10; the interruption's -3 is the player's only
    await session.say("who are you")
    await clock.advance(0)
    assert session.speaking
    await session.press("valve")  # cooling down: refused; and a reply is never cut by a press
    await clock.advance(0)
    assert not [e for e in of(ev.LineFinished, sub.drain()) if e.interrupted]
    await session.close()


async def test_interrupt_cuts_the_line_as_the_player(tmp_path: Path) -> None:
    session, clock, _ = make(tmp_path, pace=0.5, overrides=(("bond", 50.0),))
    sub = session.events()
    await session.start()
    await clock.advance(0.5)
    await session.interrupt()
    got = sub.drain()
    finished = of(ev.LineFinished, got)
    assert len(finished) == 1 and finished[0].interrupted and finished[0].by_player
    assert (finished[0].line_id, finished[0].speaker) == (of(ev.LineStarted, got)[0].line_id, "bob")
    assert ev.Narration("He stops mid-sentence.", "interruption") in got
    assert session.world.values["bond"] == 47
    assert session.history == [("actor", "Hello —")]
    await session.close()


async def test_after_the_ending_input_is_refused_with_a_notice_except_interrupt(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path, overrides=(("air", 100.0),))
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    await session.interrupt()
    assert sub.drain() == []
    await session.say("hello")
    assert await session.press("valve") is False
    notice = ev.Notice("The scene is over: restart to play again.", "info")
    assert sub.drain() == [notice, notice]
    await session.close()


async def test_input_before_start_is_refused_for_every_input(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path)
    with pytest.raises(RuntimeError, match=r"^start\(\) the session before sending input$"):
        await session.press("valve")
    with pytest.raises(RuntimeError):
        await session.interrupt()


async def test_pause_and_resume_each_say_so_once(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path)
    sub = session.events()
    session.resume()
    session.pause()
    session.pause()
    assert session.paused is True
    session.resume()
    session.resume()
    assert session.paused is False
    assert sub.drain() == [ev.Paused(True), ev.Paused(False)]


async def test_naming_the_player_says_so_once_per_new_name(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path)
    sub = session.events()
    session.name_player("  Sam   Lee ")
    session.name_player("Sam Lee")
    session.name_player("   ")
    session.name_player("Jo")
    assert sub.drain() == [ev.PlayerNamed("Sam Lee"), ev.PlayerNamed("Jo")]
    assert session.player_name == "Jo"


async def test_notices_reach_the_player_until_the_session_closes(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path)
    sub = session.events()
    session.notify(ev.Notice("Saving stopped.", "warning", topic="saving"))
    assert sub.drain() == [ev.Notice("Saving stopped.", "warning", topic="saving")]
    await session.close()
    late = session.events()
    session.notify(ev.Notice("Saving is back.", "info"))
    assert late.drain() == [] and session.closed


async def test_busy_and_speaking_follow_the_line(tmp_path: Path) -> None:
    session, clock, _ = make(tmp_path, pace=0.5)
    assert not session.busy and not session.speaking
    await session.start()
    await clock.advance(0.25)
    assert session.busy and session.speaking and session.queued == []
    await clock.advance(2)
    await session.settle()
    assert not session.busy and not session.speaking
    await session.close()


# --- restart -----------------------------------------------------------------------------------
async def test_restart_reloads_the_players_memory(tmp_path: Path) -> None:
    text = SCRIPTED + '\n[difficulty]\neasy = { start = { air = 20 } }\n'
    session, _, actor = make(tmp_path, text)
    later = Recollection(player_id="p", player_name="Ann", attempts=1, difficulty="easy")

    async def source() -> Recollection:
        return later

    session.recollection_source = source
    await session.start()
    await session.restart()
    await session.settle()
    assert session.recollection is later and session.player_name == "Ann"
    assert session.world.difficulty == "easy" and session.world.values["air"] == 70
    assert session.world.names()["memory.attempts"] == 1
    assert actor.cues[-1].kind == "opening" and actor.cues[-1].recollection is later
    await session.close()


async def test_a_name_given_in_play_outlives_a_restart(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path)

    async def source() -> Recollection:
        return Recollection(player_name="Ann")

    session.recollection_source = source
    await session.start()
    session.name_player("Sam")
    await session.restart()
    assert session.player_name == "Sam"
    await session.close()


@pytest.mark.parametrize(("error", "logged"), [(MemoryStoreError("the store is locked", "wait"), "the store is locked"),
                                               (TimeoutError(), "timeout")])
async def test_restart_plays_on_with_what_was_known_when_memory_cannot_be_read(
        tmp_path: Path, error: Exception, logged: str) -> None:
    known = Recollection(player_id="p", player_name="Ann", attempts=2)
    session, _, _ = make(tmp_path, recollection=known)

    async def source() -> Recollection:
        raise error

    session.recollection_source = source
    await session.start()
    with capture_logs() as logs:
        await session.restart()
    assert session.recollection is known and session.player_name == "Ann" and session.world.elapsed == 0
    failed = [e for e in logs if e["event"] == "memory_reload_failed"]
    assert [(e["log_level"], e["error"]) for e in failed] == [("warning", logged)]
    await session.close()


# --- actor signals, suggestions, failures ------------------------------------------------------
ACTOR_SIGNAL = SCRIPTED.replace('[[director.rules]]', '''[[signals]]
id = "spills"
about = "actor"
ask = "Did he give the code?"
keywords = ["the code is"]
effects = { bond = "+4" }
[[director.rules]]''', 1).replace('lines = ["Bob.", "Still Bob."]', 'lines = ["Fine. The code is 42."]')


async def test_the_actors_own_words_fire_actor_signals(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path, ACTOR_SIGNAL)
    sub = session.events()
    await session.start()
    await session.settle()
    await session.say("breathe, the code is 12")  # "spills" is about the actor: the player's words never fire it
    await session.settle()
    assert session.world.fired["spills"] == 0
    await session.say("who are you")
    await session.settle()
    fired = of(ev.SignalFired, sub.drain())
    assert fired == [ev.SignalFired("calm", "player", "keyword 'breathe'"),
                     ev.SignalFired("spills", "actor", "keyword 'the code is'")]
    assert session.world.values["bond"] == 9
    await session.close()


class Later(Recording):
    """Suggestions written in the background, released by the test."""

    def __init__(self, scene: Scene, **kwargs: object) -> None:
        super().__init__(scene, **kwargs)
        self.pending: list[asyncio.Future[list[str]]] = []
        self.asked: list[tuple[Cue, str]] = []
        self.suggestions_later = self._later  # type: ignore[assignment]

    def _later(self, cue: Cue, line: str) -> asyncio.Future[list[str]]:
        fut: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self.pending.append(fut)
        self.asked.append((cue, line))
        return fut


async def test_suggestions_are_asked_for_with_the_moment_after_the_line(tmp_path: Path) -> None:
    session, clock, actor = later_session(tmp_path)
    await session.start()
    await clock.advance(0)
    session.name_player("Sam")
    await session.say("who are you")
    await clock.advance(0)
    cue, line = actor.asked[-1]
    assert line in ("Bob.", "Still Bob.") and cue.kind == "reply"
    assert cue.history == tuple(session.history) and cue.history[-1] == ("actor", line)  # the line included
    assert cue.player_name == "Sam" and cue.names == session.world.names()
    for fut in actor.pending:
        fut.set_result([])
    await session.close()


def later_session(tmp_path: Path, text: str = SCRIPTED) -> tuple[Session, FakeClock, Later]:
    scene = load(tmp_path, text)
    clock = FakeClock()
    actor = Later(scene, clock=clock)
    return Session(scene, actor=actor, clock=clock), clock, actor


async def test_late_suggestions_show_three_unless_the_player_acted_meanwhile(tmp_path: Path) -> None:
    session, clock, actor = later_session(tmp_path)
    sub = session.events()
    await session.start()
    await clock.advance(0)
    assert len(actor.pending) == 1  # after the opening
    actor.pending[0].set_result(["a", "b", "c", "d"])
    await clock.advance(0)
    assert of(ev.Suggestions, sub.drain()) == [ev.Suggestions(("a", "b", "c"))]
    await session.say("who are you")
    await clock.advance(0)
    assert len(actor.pending) == 2
    await session.say("hello")  # acted before the reply's suggestions landed: they are stale
    await clock.advance(0)
    actor.pending[1].set_result(["stale"])
    actor.pending[2].set_result([])
    await clock.advance(0)
    assert of(ev.Suggestions, sub.drain()) == []
    await session.close()


async def test_late_suggestions_after_the_ending_are_dropped(tmp_path: Path) -> None:
    session, clock, actor = later_session(tmp_path, SCRIPTED.replace('when = "air >= 100 and bond >= 20"',
                                                                     'when = "signals.calm == 1"'))
    sub = session.events()
    await session.start()
    await clock.advance(0)
    await session.say("who are you")
    await clock.advance(0)
    await session.say("breathe")  # the ending
    await clock.advance(0)
    for fut in actor.pending:
        if not fut.done():
            fut.set_result(["late"])
    await clock.advance(0)
    assert session.ended and of(ev.Suggestions, sub.drain()) == []
    await session.close()


async def test_script_suggestions_come_only_after_story_lines(tmp_path: Path) -> None:
    offers = '["Who are you?", "Your name?", "Who are you, really?", "A name, please?"]'  # four that get an answer
    text = SCRIPTED.replace('note = "It is hot."', 'hint = "Cool it."').replace(
        "[script]\n", f"[script]\nsuggestions = {offers}\n", 1) + '''
[script.hints]
hot = ["Cool it down."]
'''
    scene = load(tmp_path, text)
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      options=SessionOptions(overrides=(("heat", 8.0),)))
    sub = session.events()
    await session.start()
    await session.settle()
    got = sub.drain()
    assert len(of(ev.Suggestions, got)) == 1 and len(of(ev.Suggestions, got)[0].items) == 3
    await clock.advance(1)  # heat 10: the hint line
    await session.settle()
    got = sub.drain()
    assert [e.cue for e in of(ev.LineStarted, got)] == ["hint"] and of(ev.Suggestions, got) == []
    await session.close()


class Exploding(Understudy):
    def perform(self, cue: Cue):  # type: ignore[no-untyped-def]
        if cue.kind == "reply":
            raise ValueError("a bug in the actor")
        return super().perform(cue)


async def test_an_actor_bug_is_a_turn_failure_and_the_scene_goes_on(tmp_path: Path) -> None:
    scene = load(tmp_path)
    clock = FakeClock()
    session = Session(scene, actor=Exploding(scene, clock=clock), clock=clock,
                      options=SessionOptions(suggestions=False))
    sub = session.events()
    await session.start()
    with capture_logs() as logs:
        await session.say("who are you")
        await session.settle()
    assert of(ev.TurnFailed, sub.drain()) == [ev.TurnFailed("The actor lost the line.",
                                                            "the scene goes on; say something")]
    failed = [e for e in logs if e["log_level"] == "error"]
    assert [(e["event"], e["error"]) for e in failed] == [("performance_failed", "ValueError('a bug in the actor')")]
    assert isinstance(failed[0]["exc_info"], ValueError)
    assert await session.press("valve") is False  # still playing (the valve is jammed in phase 1)
    await session.close()


class FailingVoice(SilentVoice):
    def __init__(self, hint: str | None) -> None:
        super().__init__()
        self.hint = hint

    async def synthesize(self, text, profile, *, sentence=None):  # type: ignore[no-untyped-def, override]
        raise VoiceError("The voice quota is used up", self.hint, retryable=True)
        yield b""  # pragma: no cover


@pytest.mark.parametrize(("hint", "message"), [
    ("top it up", "The voice quota is used up — text only from here (top it up)"),
    (None, "The voice quota is used up — text only from here")])
async def test_a_failing_voice_is_told_once_and_the_text_goes_on(tmp_path: Path, hint: str | None,
                                                                 message: str) -> None:
    scene = load(tmp_path, SCRIPTED.replace('opening = ["Hello there."]', 'opening = ["Hello there. Second one."]'))
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock, voice=FailingVoice(hint),
                      voice_profile=VoiceProfile(character_id="bob"), options=SessionOptions(suggestions=False))
    sub = session.events()
    with capture_logs() as logs:
        await session.start()
        await session.settle()
        await session.say("who are you")
        await session.settle()
    got = sub.drain()
    assert of(ev.Notice, got) == [ev.Notice(message, "warning", topic="voice_failed")]
    failures = [(e["log_level"], e["error"]) for e in logs if e["event"] == "voice_failed"]
    assert failures and set(failures) == {("warning", "The voice quota is used up")}  # every failure is logged
    assert next(e.text for e in of(ev.LineFinished, got)) == "Hello there. Second one."
    await session.close()


# --- the director model ------------------------------------------------------------------------
class OneDecision:
    def __init__(self, decision: Decision | None) -> None:
        self.decision = decision
        self.views: list[DirectorView] = []

    def due(self, elapsed: float) -> bool:
        return True

    def mark(self, elapsed: float) -> None:
        pass

    async def decide(self, view: DirectorView) -> Decision | None:
        self.views.append(view)
        return self.decision

    def reset(self) -> None:
        pass


async def test_the_director_models_hint_waits_for_the_gap_after_a_scene_hint(tmp_path: Path) -> None:
    text = SCRIPTED.replace('note = "It is hot."', 'hint = "Cool it."').replace(
        '[[director.rules]]', '[director]\nbackground_gap = 10\n[[director.rules]]', 1)
    scene = load(tmp_path, text)
    clock = FakeClock()
    director = OneDecision(Decision("hint", "Try the valve.", "stuck"))
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock, director=director,
                      options=SessionOptions(suggestions=False, overrides=(("heat", 10.0),)))
    sub = session.events()
    await session.start()
    await session.say("breathe")
    await session.settle()
    notes = [e for e in of(ev.DirectorNote, sub.drain()) if e.rule_id == "llm"]
    assert notes and all(n == ev.DirectorNote("llm", "continue", "",
                                              "director model: stuck (hint held: too soon after the last)")
                         for n in notes)
    assert director.views[-1].fired == ("calm",)
    assert session.queued == []
    await session.close()


class GatedDirector(OneDecision):
    """Decides only when the test opens the gate."""

    def __init__(self, decision: Decision | None) -> None:
        super().__init__(decision)
        self.gate = asyncio.Event()

    async def decide(self, view: DirectorView) -> Decision | None:
        self.views.append(view)
        await self.gate.wait()
        return self.decision


@pytest.mark.parametrize("decision", [None, Decision("event", "Rain starts.", "it drags")])
async def test_the_director_model_sees_the_clock_and_its_silence_or_a_late_word_shows_nothing(
        tmp_path: Path, decision: Decision | None) -> None:
    text = SCRIPTED.replace('when = "air >= 100 and bond >= 20"', 'when = "signals.calm == 1"')
    scene = load(tmp_path, text)
    clock = FakeClock()
    director = GatedDirector(None)
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock, director=director,
                      options=SessionOptions(suggestions=False))
    sub = session.events()
    await session.start()
    director.gate.set()
    await session.settle()
    director.gate.clear()
    await clock.advance(3)
    await session.say("who are you")
    await clock.advance(0)
    assert (director.views[-1].elapsed, director.views[-1].idle) == (3, 0)
    director.decision = decision
    await session.say("breathe")  # the ending, while the director is still deciding
    await clock.advance(0)
    assert session.ended
    director.gate.set()
    await session.settle()
    got = sub.drain()
    assert not of(ev.TurnFailed, got)
    assert [n for n in of(ev.DirectorNote, got) if n.rule_id == "llm"] == []
    assert ev.Narration("Rain starts.", "director") not in got
    await session.close()


# --- the judge ---------------------------------------------------------------------------------
JUDGED = SCRIPTED.replace('[[director.rules]]', '''[[signals]]
id = "kind"
ask = "Was the player kind?"
effects = { bond = "+7" }
[[director.rules]]''', 1)


@dataclass
class Judge:
    answers: dict[str, bool]
    contexts: list[str]
    texts: list[str]
    hang: bool = False

    async def judge(self, signals: Sequence[Signal], text: str, context: str) -> dict[str, bool]:
        self.contexts.append(context)
        self.texts.append(text)
        if self.hang:
            await asyncio.Event().wait()
        return {s.id: self.answers[s.id] for s in signals if s.id in self.answers}


async def test_the_judge_hears_the_last_six_turns_and_its_verdict_applies(tmp_path: Path) -> None:
    scene = load(tmp_path, JUDGED)
    clock = FakeClock()
    judge = Judge({"kind": True}, [], [])
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      signals=SignalEvaluator(judge=judge), options=SessionOptions(suggestions=False))
    sub = session.events()
    await session.start()
    await session.settle()
    for words in ("one", "two", "three", "four"):
        judge.answers["kind"] = words == "four"
        await session.say(words)
        await session.settle()
    assert judge.contexts[-1].split("\n") == ["actor: What?", "player: two", "actor: What?", "player: three",
                                              "actor: What?", "player: four"]  # six of the eight turns
    got = sub.drain()
    assert ev.SignalFired("kind", "player", "judge") in got
    assert [s.changed for s in of(ev.StateChanged, got) if s.changed] == [{"bond": 7.0}]
    assert session.world.values["bond"] == 7
    await session.close()


async def test_verdicts_that_land_after_the_ending_change_nothing(tmp_path: Path) -> None:
    text = JUDGED.replace('when = "air >= 100 and bond >= 20"', 'when = "signals.calm == 1"')
    scene = load(tmp_path, text)
    clock = FakeClock()
    judge = Judge({"kind": True}, [], [], hang=False)
    gate = asyncio.Event()

    async def slow(signals, text, context):  # type: ignore[no-untyped-def]
        await gate.wait()
        return {"kind": True}

    judge.judge = slow  # type: ignore[method-assign]
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      signals=SignalEvaluator(judge=judge), options=SessionOptions(suggestions=False))
    await session.start()
    await session.say("breathe")  # the keyword ends the scene; the judge is still asked about "kind"
    await clock.advance(0)
    assert session.ended
    bond = session.world.values["bond"]  # calm's keyword effect only
    gate.set()
    await session.settle()
    assert session.world.fired["kind"] == 0 and session.world.values["bond"] == bond == 5
    await session.close()


def signal(scene: Scene, sid: str) -> Signal:
    return next(s for s in scene.signals if s.id == sid)


async def test_the_judges_answers_are_cached_per_text(tmp_path: Path) -> None:
    scene = load(tmp_path, JUDGED)
    judge = Judge({"kind": True}, [], [])
    evaluator = SignalEvaluator(judge=judge)
    pending = Pending((signal(scene, "kind"),), {})
    assert await evaluator.verdicts(pending, "thanks") == [Verdict("kind", "judge")]
    assert await evaluator.verdicts(pending, "thanks") == [Verdict("kind", "judge")]
    assert judge.texts == ["thanks"]
    judge.answers["kind"] = False
    assert await evaluator.verdicts(pending, "go away") == []
    assert judge.texts == ["thanks", "go away"] and judge.contexts == ["", ""]
    evaluator.reset()
    assert await evaluator.verdicts(pending, "thanks") == []
    assert judge.texts == ["thanks", "go away", "thanks"]


async def test_a_judge_that_does_not_answer_in_time_is_no_verdict_and_is_logged(tmp_path: Path) -> None:
    scene = load(tmp_path, JUDGED)
    judge = Judge({"kind": True}, [], [], hang=True)
    evaluator = SignalEvaluator(judge=judge, timeout=0.01)
    calm, kind = signal(scene, "calm"), signal(scene, "kind")
    pending = Pending((calm, kind), {"calm": "breathe"})
    with capture_logs() as logs:
        got = await asyncio.wait_for(evaluator.verdicts(pending, "breathe, please"), 5)
    assert got == [Verdict("calm", "keyword 'breathe' (no judgement)")]
    assert [(e["event"], e["log_level"], e["signals"], e["error"]) for e in logs] == [
        ("signal_judge_failed", "warning", ["calm", "kind"], "TimeoutError")]
    judge.hang = False
    # never cached; a signal the judge leaves unanswered falls back to its keyword
    assert await evaluator.verdicts(pending, "breathe, please") == [
        Verdict("calm", "keyword 'breathe' (no judgement)"), Verdict("kind", "judge")]


# --- the game over ---------------------------------------------------------------------------------
ENDINGS = SCRIPTED.replace('title = "First"', 'title = "First"\nepilogue = "It ends."\nhint = "Be kinder."')


async def test_a_failure_tells_its_epilogue_hint_lines_and_tokens(tmp_path: Path) -> None:
    session, _, actor = make(tmp_path, ENDINGS, overrides=(("air", 100.0), ("bond", 20.0)))
    tally = UsageTally()
    tally.add("line", Usage(input_tokens=10, output_tokens=4, cache_read_tokens=5))
    actor.tally = tally  # type: ignore[misc]
    sub = session.events()
    with capture_logs() as logs:
        await session.start()
        await session.settle()
    assert [(e["ending"], e["kind"], e["elapsed"]) for e in logs if e["event"] == "ending_reached"] == [
        ("first", "failure", 0)]
    over = of(ev.GameOver, sub.drain())
    assert over == [session.game_over]
    stats = {"elapsed": 0, "uses.valve": 0, "lines": 1.0, "tokens.input": 15.0, "tokens.output": 4.0}
    assert over[0] == ev.GameOver("first", "failure", "First", "It ends.", 0, stats, hint="Be kinder.")
    await session.close()


async def test_a_success_counts_only_the_characters_lines_and_gives_no_hint(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path, ENDINGS, overrides=(("air", 70.0),), start_phase=2)
    await session.start()
    await session.settle()
    await session.say("hello")  # one player line and one reply
    await session.settle()
    await session.press("valve")  # air 100: the ending
    await session.settle()
    over = session.game_over
    assert over is not None and (over.ending_id, over.kind, over.hint) == ("done", "success", "")
    assert over.stats["lines"] == 3  # the opening, the reply and the ending's line: not the player's two
    assert "tokens.input" not in over.stats and over.stats["uses.valve"] == 1
    await session.close()


class SlowVoice(SilentVoice):
    """Its first audio for a sentence comes a quarter of a second (fake clock) after it is asked."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    async def synthesize(self, text, profile, *, sentence=None):  # type: ignore[no-untyped-def, override]
        await self.clock.sleep(0.25)
        async for chunk in super().synthesize(text, profile, sentence=sentence):
            yield chunk


async def test_timing_measures_the_first_audio_from_the_lines_start(tmp_path: Path) -> None:
    scene = load(tmp_path)
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock, voice=SlowVoice(clock),
                      voice_profile=VoiceProfile(character_id="bob"), options=SessionOptions(suggestions=False))
    sub = session.events()
    await session.start()
    await clock.advance(5)
    await session.say("who are you")  # a line that starts 5 s in: the start is subtracted, not added
    await clock.advance(5)
    await session.settle()
    timings = of(ev.Timing, sub.drain())
    assert [t.first_audio_ms for t in timings] == [250, 250]
    await session.close()


@pytest.mark.parametrize(("raw", "shown"), [
    ("Hi [a] there [whis", "Hi there"),  # only the last "[" may be a tag still arriving
    ("Hi [" + "x" * 41, "Hi"),  # 42 characters from the "[": still possibly a tag
    ("Hi [" + "x" * 42, "Hi [" + "x" * 42),  # 43: too long for a tag, so it is text
])
def test_a_partial_line_holds_back_only_what_may_be_a_tag(raw: str, shown: str) -> None:
    assert visible_prefix(raw) == shown


@pytest.mark.parametrize(("words", "asked", "source"), [
    ("Sam.", True, "keyword '{name}: Sam'"),  # a bare name answers "what is your name?"
    ("Sam.", False, None),
    ("BREATHE now", False, "keyword 'breathe'"),
    ("breathee slowly", False, "keyword 'breathe: breathee'"),  # forgiven typo: the words heard are shown
])
def test_keyword_verdicts_say_what_was_heard(words: str, asked: bool, source: str | None) -> None:
    named = Signal(id="named", ask="A name?", keywords=["{name}"])
    calm = Signal(id="calm", ask="Calm?", keywords=["breathe"])
    evaluator = SignalEvaluator()
    now, _ = evaluator.split([named, calm], words, context=Context(name_asked=asked))
    assert [v.source for v in now] == ([source] if source else [])
    assert [v.source for v in evaluator.offline([named, calm], words)] == (
        [source] if source and not asked else [])  # the actor's words: never an answer to a question


EACH_WITH_EFFECTS = SCRIPTED.replace('[[director.rules]]\nid = "hot"', '''[director]
background_gap = 0
[[director.rules]]
id = "bang"
when = "elapsed >= 2"
once = true
narration = "A bang."
effects = { air = "+1" }
[[director.rules]]
id = "tip"
when = "elapsed >= 3"
once = true
hint = "Try the valve."
effects = { air = "+1" }
[[director.rules]]
id = "poke"
when = "elapsed >= 4"
once = true
nudge = true
effects = { air = "+1" }
[[director.rules]]
id = "noted"
when = "elapsed >= 5"
once = true
note = "Noted."
effects = { air = "+1" }
[[director.rules]]
id = "quiet"
when = "elapsed >= 6"
once = true
effects = { air = "+1" }
[[director.rules]]
id = "hot"''', 1)


async def test_a_rule_that_shows_something_is_not_also_reported_as_effects(tmp_path: Path) -> None:
    session, clock, actor = make(tmp_path, EACH_WITH_EFFECTS)
    sub = session.events()
    await session.start()
    for _ in range(7):
        await clock.advance(1)
        await session.settle()
    notes = [(n.rule_id, n.action, n.reason) for n in of(ev.DirectorNote, sub.drain()) if n.rule_id != "hot"]
    assert notes == [("once", "event", "elapsed >= 1 (elapsed 1s, idle 1s)"),
                     ("bang", "event", "elapsed >= 2 (elapsed 2s, idle 2s)"),
                     ("tip", "hint", "elapsed >= 3 (elapsed 3s, idle 3s)"),
                     ("poke", "nudge", "elapsed >= 4 (elapsed 4s, idle 4s)"),
                     ("noted", "note", "elapsed >= 5 (elapsed 5s, idle 5s)"),
                     ("quiet", "effects", "elapsed >= 6 (elapsed 6s, idle 6s)")]
    cues = [(c.kind, c.rule_id, c.beat) for c in actor.cues if c.kind in ("hint", "nudge")]
    assert cues == [("hint", "tip", "Try the valve."), ("nudge", "poke", "")]
    await session.close()


async def test_a_move_answers_the_players_last_words_but_not_a_press(tmp_path: Path) -> None:
    session, clock, _ = make(tmp_path)
    await session.start()
    await session.settle()
    await clock.advance(5)  # phase lines: the history starts with two of the character's lines
    await session.settle()
    await session.say("who are you")
    unanswered = session.snapshot()  # taken before the reply was played
    assert unanswered.history[1][0] == "actor" and unanswered.history[-1] == ("player", "who are you")
    await session.close()
    moved, _, actor = make(tmp_path / "b")
    moved.restore(unanswered)
    await moved.start()
    await moved.settle()
    assert [(c.kind, c.player_text) for c in actor.cues] == [("reply", "who are you")]
    await moved.close()

    session, _, _ = make(tmp_path / "c", start_phase=2)
    await session.start()
    await session.settle()
    await session.say("hello")
    await session.settle()
    await session.press("valve")
    pressed = session.snapshot()  # the control's line not yet played
    assert pressed.history[1][0] == "player" and pressed.history[-1] == ("player", "[presses VALVE]")
    await session.close()
    moved, _, actor = make(tmp_path / "d", start_phase=2)
    moved.restore(pressed)
    await moved.start()
    await moved.settle()
    assert [c.kind for c in actor.cues if c.kind == "reply"] == []  # a press is not words to answer
    await moved.close()


NAMED = SCRIPTED.replace('opening = ["Hello there."]', 'opening = ["Hello there. What is your name?"]').replace(
    '[[director.rules]]', '[[signals]]\nid = "named"\nask = "A name?"\nkeywords = ["{name}"]\n[[director.rules]]', 1)


@pytest.mark.parametrize(("text", "heard"), [(NAMED, "Sam"), (NAMED.replace(" What is your name?", ""), None)])
async def test_a_bare_name_counts_only_as_the_answer_to_the_characters_question(tmp_path: Path, text: str,
                                                                                heard: str | None) -> None:
    session, _, _ = make(tmp_path, text)
    sub = session.events()
    await session.start()
    await session.settle()
    await session.say("Sam.")
    await session.settle()
    got = sub.drain()
    assert of(ev.PlayerNamed, got) == ([ev.PlayerNamed(heard)] if heard else [])
    assert session.player_name == (heard or "")
    assert [e.source for e in of(ev.SignalFired, got)] == (["keyword '{name}: Sam'"] if heard else [])
    await session.close()


class Failing(OneDecision):
    async def decide(self, view: DirectorView) -> Decision | None:
        raise ValueError("a bug in the director")


async def test_a_background_task_that_breaks_is_reported_and_the_scene_goes_on(tmp_path: Path) -> None:
    scene = load(tmp_path)
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock, director=Failing(None),
                      options=SessionOptions(suggestions=False))
    sub = session.events()
    with capture_logs() as logs:
        await session.start()
        await session.settle()
    assert of(ev.TurnFailed, sub.drain()) == [ev.TurnFailed("Something went wrong inside the scene engine.",
                                                            "the scene keeps going; please report this with the log")]
    failed = [e for e in logs if e["event"] == "session_task_failed"]
    assert [(e["log_level"], e["error"]) for e in failed] == [("error", "ValueError('a bug in the director')")]
    assert isinstance(failed[0]["exc_info"], ValueError)
    await session.say("who are you")  # the scene goes on
    await session.settle()
    assert session.history[-1][0] == "actor"
    await session.close()


async def test_every_tick_shows_the_clock_even_when_no_value_moved(tmp_path: Path) -> None:
    session, clock, _ = make(tmp_path, SCRIPTED.replace("rate = 2", "rate = 0", 1))
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    await clock.advance(2)
    assert [(s.changed, s.elapsed) for s in of(ev.StateChanged, sub.drain())] == [({}, 1), ({}, 2)]
    await session.close()


async def test_closing_stops_a_line_in_progress(tmp_path: Path) -> None:
    session, clock, _ = make(tmp_path, pace=0.5)
    await session.start()
    await clock.advance(0.25)
    assert session.speaking
    await session.close()
    await clock.advance(10)
    assert session.history == [] and clock.sleepers == 0


class Stream:
    """A line as a test scripts it: deltas, each after ``gap`` seconds of the fake clock; then maybe an error."""

    source = "test"
    notice: str | None = None
    notice_topic = ""
    usage = None

    def __init__(self, clock: FakeClock, deltas: list[str], *, gap: float = 0.5, failed: bool = False,
                 error: ModelError | None = None) -> None:
        self.clock, self.deltas, self.gap, self.failed, self.error = clock, deltas, gap, failed, error

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for delta in self.deltas:
            await self.clock.sleep(self.gap)
            yield delta
        if self.error is not None:
            raise self.error


class Scripted(Understudy):
    """Replies with the next scripted stream; every other cue as the understudy would."""

    def __init__(self, scene: Scene, streams: list[Stream], **kwargs: object) -> None:
        super().__init__(scene, **kwargs)  # type: ignore[arg-type]
        self.streams = streams

    def perform(self, cue: Cue):  # type: ignore[no-untyped-def]
        if cue.kind != "reply":
            return super().perform(cue)
        stream = self.streams.pop(0)
        if isinstance(stream, ModelError):
            raise stream
        return stream


async def scripted_reply(tmp_path: Path, make_streams) -> Events:  # type: ignore[no-untyped-def]
    scene = load(tmp_path)
    clock = FakeClock()
    session = Session(scene, actor=Scripted(scene, make_streams(clock), clock=clock), clock=clock,
                      options=SessionOptions(suggestions=False))
    await session.start()
    await session.settle()
    await clock.advance(3)  # the reply starts 3 s in: its times are measured from its own start
    sub = session.events()
    await session.say("who are you")
    await clock.advance(10)
    await session.settle()
    got = sub.drain()
    await session.close()
    reply = next((e.line_id for e in of(ev.LineStarted, got) if e.cue == "reply"), "")
    return [e for e in got if getattr(e, "line_id", reply) == reply]  # the reply's events (phase lines aside)


async def test_a_line_tells_its_notice_and_tokens_and_logs_one_canonical_turn(tmp_path: Path) -> None:
    def streams(clock: FakeClock) -> list[Stream]:
        stream = Stream(clock, ["Fine", "."])
        stream.notice, stream.notice_topic = "The model is slow today.", "model"
        stream.usage = Usage(input_tokens=7, output_tokens=3, cache_read_tokens=2)  # type: ignore[assignment]
        return [stream]

    with capture_logs() as logs:
        got = await scripted_reply(tmp_path, streams)
    assert of(ev.Notice, got) == [ev.Notice("The model is slow today.", "warning", topic="model")]
    timing = of(ev.Timing, got)[0]
    assert (timing.input_tokens, timing.output_tokens) == (9, 3)
    turns = [e for e in logs if e["event"] == "turn"]
    assert [(e["event_type"], e["cue"], e["response_time_ms"], e["llm_response_time_ms"], e["performer"])
            for e in turns] == [("dialogue_generated", "reply", 1000.0, 500.0, "understudy")]


async def test_an_actor_that_cannot_start_a_line_is_a_turn_failure_with_its_hint(tmp_path: Path) -> None:
    got = await scripted_reply(tmp_path, lambda clock: [ModelError("No model answered.", "check the key")])
    assert of(ev.TurnFailed, got) == [ev.TurnFailed("No model answered.", "check the key")]
    assert not of(ev.LineStarted, got)


async def test_a_line_is_timed_from_its_own_start_and_streams_only_what_grows(tmp_path: Path) -> None:
    got = await scripted_reply(tmp_path, lambda clock: [Stream(clock, ["Hi", " there", ". [si", "ghs] Go", " on."])])
    started = of(ev.LineStarted, got)
    assert [(s.speaker, s.speaker_name, s.cue, s.source) for s in started] == [("bob", "Bob", "reply", "test")]
    assert [d.text for d in of(ev.LineDelta, got)] == ["Hi", " there", ".", " Go", " on."]  # the tag never shown
    assert of(ev.LineFinished, got)[0].text == "Hi there. Go on." and not of(ev.LineFinished, got)[0].failed
    timing = of(ev.Timing, got)[0]
    # the first delta at 0.5 s; the first sentence is complete once something follows its "." (1.5 s); the end 2.5 s
    assert (timing.first_token_ms, timing.first_sentence_ms, timing.total_ms) == (500, 1500, 2500)


async def test_a_line_without_a_sentence_end_counts_as_one_sentence(tmp_path: Path) -> None:
    got = await scripted_reply(tmp_path, lambda clock: [Stream(clock, ["Hm", "m"])])
    timing = of(ev.Timing, got)[0]
    assert (timing.first_token_ms, timing.first_sentence_ms, timing.total_ms) == (500, 1000, 1000)


@pytest.mark.parametrize(("failed", "error", "turn_failed"), [
    (True, None, []),  # a fallback line: delivered, but marked
    (False, ModelError("The model stopped mid-line.", "try again"),
     [ev.TurnFailed("The model stopped mid-line.", "try again")]),
])
async def test_a_line_that_failed_says_so(tmp_path: Path, failed: bool, error: ModelError | None,
                                         turn_failed: list[ev.TurnFailed]) -> None:
    got = await scripted_reply(tmp_path, lambda clock: [Stream(clock, ["Par", "tly."], failed=failed, error=error)])
    finished = of(ev.LineFinished, got)
    assert [(f.text, f.failed) for f in finished] == [("Partly.", True)]
    assert of(ev.TurnFailed, got) == turn_failed


def cue(kind: CueKind, text: str = "") -> Cue:
    return Cue(kind=kind, character_id="bob", player_text=text)


def test_the_queue_orders_by_priority_then_arrival_and_keeps_one_background_line() -> None:
    queue = LineQueue()
    assert [queue.push(c) for c in (cue("nudge"), cue("hint"), cue("phase", "p1"), cue("phase", "p2"),
                                    cue("reply", "a"), cue("control", "b"), cue("opening"))] == [
        True, False, True, True, True, True, True]
    # a newer reaction to the player replaces the older one; phase entries keep their arrival order
    assert [(c.kind, c.player_text) for c in (queue.pop() for _ in range(len(queue)))] == [
        ("opening", ""), ("control", "b"), ("phase", "p1"), ("phase", "p2"), ("nudge", "")]


def test_once_an_ending_is_queued_only_an_ending_may_follow() -> None:
    queue = LineQueue()
    assert queue.push(cue("reply", "a")) and queue.push(cue("ending"))
    assert queue.kinds() == ["ending"] and queue.ending_queued
    assert [queue.push(cue(kind)) for kind in ("reply", "nudge", "opening", "phase")] == [False] * 4
    assert queue.push(cue("ending", "second")) and queue.kinds() == ["ending"]


async def test_state_changes_carry_the_hidden_values_the_time_left_and_phase_titles(tmp_path: Path) -> None:
    text = SCRIPTED.replace('[state.bond]', '[state.secret]\nstart = 3\nshow = "hidden"\n[state.left]\nstart = 90\n'
                            'max = 90\nrate = -1\ncountdown = true\n[state.bond]', 1)
    session, clock, _ = make(tmp_path, text)
    sub = session.events()
    await session.start()
    await clock.advance(5)
    got = sub.drain()
    last = of(ev.StateChanged, got)[-1]
    assert (last.hidden, last.time_left, last.elapsed) == ({"secret": 3.0, "left": 85.0, "bond": 0}, 85.0, 5)
    assert [(p.phase, p.title) for p in of(ev.PhaseChanged, got)] == [(2, "Two")]
    await session.close()


async def test_an_ending_cuts_the_line_in_progress_and_not_as_the_player(tmp_path: Path) -> None:
    text = SCRIPTED.replace('when = "air >= 100"', 'when = "elapsed >= 2"').replace(
        'opening = ["Hello there."]', 'opening = ["Hello there, this is a long opening that takes its time."]')
    session, clock, _ = make(tmp_path, text, pace=0.5)
    sub = session.events()
    await session.start()
    for _ in range(40):
        await clock.advance(0.5)
    await session.settle()
    finished = of(ev.LineFinished, sub.drain())
    assert [(f.interrupted, f.by_player) for f in finished] == [(True, False), (False, False)]  # opening, ending
    assert session.game_over is not None and session.game_over.ending_id == "done"
    await session.close()


async def test_a_line_with_no_text_has_no_first_token_or_sentence_time(tmp_path: Path) -> None:
    got = await scripted_reply(tmp_path, lambda clock: [Stream(clock, [])])
    timing = of(ev.Timing, got)[0]
    assert (timing.first_token_ms, timing.first_sentence_ms) == (None, None)


async def test_a_controls_line_is_logged_as_a_turn_too(tmp_path: Path) -> None:
    session, _, _ = make(tmp_path, start_phase=2)
    await session.start()
    await session.settle()
    with capture_logs() as logs:
        await session.press("valve")
        await session.settle()
    assert [e["cue"] for e in logs if e["event"] == "turn"] == ["control"]
    await session.close()
