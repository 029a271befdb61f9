from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.errors import ModelError
from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene
from digital_actors.turn.ports import Cue
from digital_actors.turn.session import Session, SessionOptions
from tests.engine.conftest import write_scene
from tests.engine.test_world import RULES

SCRIPTED = RULES + '''
opening = ["Hello there."]
idle = ["Still there?"]
interrupted = ["Fine, you talk."]
[script.controls]
valve = ["The valve turns."]
[script.phases]
2 = ["Phase two now."]
[script.endings]
done = ["We made it."]
first = ["First ending line."]
[[script.replies]]
keywords = ["name", "who are you"]
lines = ["Bob.", "Still Bob."]
[[script.replies]]
keywords = ["what is your name exactly"]
lines = ["Robert, if you must."]
[interruptions]
effects = { bond = "-3" }
narration = "He stops mid-sentence."
'''.replace("[script]\nfallback", "[script]\nfallback")


def make(tmp_path: Path, *, pace: float = 0.0, text: str = SCRIPTED, **options: object) -> tuple[Session, FakeClock]:
    scene = load_scene(write_scene(tmp_path / "t", text))
    clock = FakeClock()
    opts = SessionOptions(suggestions=False, **options)  # type: ignore[arg-type]
    return Session(scene, actor=Understudy(scene, clock=clock, pace=pace), clock=clock, options=opts), clock


async def finish(session: Session, clock: FakeClock, limit: float = 120) -> None:
    """Advance the fake clock until every queued line has been performed (lines take time)."""
    spent = 0.0
    while session.busy and spent < limit:
        await clock.advance(0.25)
        spent += 0.25
    await session.settle()


async def test_opening_reply_and_control_reaction(tmp_path: Path) -> None:
    session, _ = make(tmp_path)
    sub = session.events()
    await session.start()
    await session.settle()
    await session.say("Who are you?")
    await session.settle()
    got = sub.drain()
    assert isinstance(got[0], ev.SceneStarted) and got[0].phase == 1
    texts = [e.text for e in got if isinstance(e, ev.LineFinished)]
    assert texts[0] == "Hello there." and texts[1] in ("Bob.", "Still Bob.")
    starts = [e for e in got if isinstance(e, ev.LineStarted)]
    assert starts[1].source.startswith("understudy: script.replies[0]")
    deltas = "".join(e.text for e in got if isinstance(e, ev.LineDelta) and e.line_id == starts[1].line_id)
    assert deltas == texts[1]
    await session.close()


async def test_longest_keyword_wins(tmp_path: Path) -> None:
    session, _ = make(tmp_path)
    sub = session.events()
    await session.start()
    await session.say("So what is your name, exactly?")
    await session.settle()
    assert [e.text for e in sub.drain() if isinstance(e, ev.LineFinished)][-1] == "Robert, if you must."
    await session.close()


async def test_refusal_is_narrated_with_the_reason(tmp_path: Path) -> None:
    session, _ = make(tmp_path)
    sub = session.events()
    await session.start()
    assert await session.press("valve") is False
    await session.settle()
    got = sub.drain()
    assert ev.Narration("VALVE: The valve is jammed..", "refusal") not in got
    refusals = [e.text for e in got if isinstance(e, ev.Narration) and e.kind == "refusal"]
    assert refusals == ["VALVE: The valve is jammed."]
    await session.close()


async def test_clock_ticks_phases_and_pause(tmp_path: Path) -> None:
    session, clock = make(tmp_path)
    sub = session.events()
    await session.start()
    await clock.advance(4)
    session.pause()
    await clock.advance(10)
    assert session.world.elapsed == 4
    session.resume()
    await clock.advance(1)
    await session.settle()
    got = sub.drain()
    assert [e.phase for e in got if isinstance(e, ev.PhaseChanged)] == [2]
    assert "Phase two now." in [e.text for e in got if isinstance(e, ev.LineFinished)]
    assert [e.paused for e in got if isinstance(e, ev.Paused)] == [True, False]
    await session.close()


async def test_speed_multiplies_the_clock(tmp_path: Path) -> None:
    session, clock = make(tmp_path, speed=4.0)
    await session.start()
    await clock.advance(1)
    assert session.world.elapsed == 4
    await session.close()


async def test_saying_something_mid_line_interrupts(tmp_path: Path) -> None:
    session, clock = make(tmp_path, pace=0.5)
    sub = session.events()
    await session.start()
    await clock.advance(0.5)  # "Hello" spoken, "there." not yet
    assert session.speaking
    await session.say("hush")
    await clock.advance(2)
    await finish(session, clock)
    got = sub.drain()
    finished = [e for e in got if isinstance(e, ev.LineFinished)]
    assert finished[0].interrupted and finished[0].text == "Hello"
    assert ev.Narration("He stops mid-sentence.", "interruption") in got
    assert session.world.values["bond"] == 0  # -3 clamped at min 0
    assert finished[1].text == "Fine, you talk." and not finished[1].interrupted
    await session.close()


async def test_an_ending_beats_the_reaction_and_game_over_happens_once(tmp_path: Path) -> None:
    session, _ = make(tmp_path, start_phase=2, overrides=(("air", 90),))
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    await session.press("valve")  # air 120 -> 100: ending "done"
    await session.settle()
    await session.say("hello?")
    assert await session.press("valve") is False
    await session.settle()
    got = sub.drain()
    texts = [e.text for e in got if isinstance(e, ev.LineFinished)]
    assert texts == ["We made it."]  # no reaction to the valve: the ending took its place
    overs = [e for e in got if isinstance(e, ev.GameOver)]
    assert len(overs) == 1 and overs[0].ending_id == "done" and overs[0].kind == "success"
    assert any(isinstance(e, ev.Notice) and "over" in e.message for e in got)
    await session.close()


async def test_an_ending_cuts_off_a_line_in_progress(tmp_path: Path) -> None:
    session, clock = make(tmp_path, pace=0.5, start_phase=2, overrides=(("air", 90),))
    sub = session.events()
    await session.start()
    await clock.advance(0.5)
    await session.press("valve")
    await finish(session, clock)
    got = sub.drain()
    finished = [e for e in got if isinstance(e, ev.LineFinished)]
    assert finished[0].interrupted and finished[-1].text == "We made it."
    assert sum(isinstance(e, ev.GameOver) for e in got) == 1
    assert ev.Narration("He stops mid-sentence.", "interruption") not in got
    await session.close()


async def test_background_lines_wait_and_player_actions_drop_them(tmp_path: Path) -> None:
    text = SCRIPTED.replace('note = "It is hot."', 'nudge = true')
    session, clock = make(tmp_path, text=text, pace=0.5)
    sub = session.events()
    await session.start()
    await clock.advance(5)  # heat hits 10 at t=5 while the phase-2 line is queued
    await session.say("who are you")  # player action: the queued nudge is stale
    await finish(session, clock)
    got = sub.drain()
    starts = [e for e in got if isinstance(e, ev.LineStarted)]
    finished = [e for e in got if isinstance(e, ev.LineFinished)]
    # Lines never overlap: each LineStarted follows the previous line's LineFinished.
    order = [e for e in got if isinstance(e, ev.LineStarted | ev.LineFinished)]
    assert all(isinstance(a, ev.LineStarted) == isinstance(b, ev.LineFinished) for a, b in itertools.pairwise(order))
    kinds = [s.cue for s in starts]
    assert kinds[:1] == ["opening"] and "reply" in kinds
    assert len(finished) == len(starts)
    await session.close()


async def test_background_line_never_talks_over_a_line_in_progress(tmp_path: Path) -> None:
    text = SCRIPTED.replace('note = "It is hot."', 'nudge = true').replace('2 = ["Phase two now."]', '')
    text = text.replace("[script.phases]\n", "")
    session, clock = make(tmp_path, text=text, pace=1.0)
    sub = session.events()
    await session.start()
    await clock.advance(4.5)
    await session.say("who are you doing there, say it slowly")  # a long reply starts before heat hits 10
    await finish(session, clock)
    order = [e for e in sub.drain() if isinstance(e, ev.LineStarted | ev.LineFinished)]
    for a, b in itertools.pairwise(order):
        assert isinstance(a, ev.LineStarted) != isinstance(b, ev.LineStarted), "two lines at once"
    assert [e.cue for e in order if isinstance(e, ev.LineStarted)][-1] == "nudge"
    await session.close()


async def test_restart_resets_everything(tmp_path: Path) -> None:
    session, clock = make(tmp_path, start_phase=2)
    sub = session.events()
    await session.start()
    await session.press("valve")
    await session.say("breathe")
    await clock.advance(3)
    await session.settle()
    assert session.world.fired["calm"] == 1 and session.world.pressed["valve"] == 1
    await session.restart()
    await session.settle()
    w = session.world
    assert w.elapsed == 0 and w.pressed["valve"] == 0 and w.fired["calm"] == 0 and w.values["bond"] == 0
    assert not session.notes and session.game_over is None
    assert [e for e in sub.drain() if isinstance(e, ev.SceneStarted)][-1].phase == 2
    await session.close()


class BrokenActor:
    name = "broken"
    reason = "testing"
    source = "broken actor"
    suggestions_later = None
    tally = None
    continuity = None
    notice = None
    usage = None
    failed = False  # the stream itself raises

    def perform(self, cue: Cue) -> object:
        if cue.kind == "opening":
            raise ModelError("the model is down", "try later")
        return self

    async def __aiter__(self) -> AsyncIterator[str]:
        yield "Half a line"
        raise ModelError("stream dropped", "check the network")

    def suggest(self, cue: Cue, line: str) -> list[str]:
        return []

    def reset(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


async def test_actor_failures_become_turn_failed_and_the_scene_goes_on(mini: Scene) -> None:
    clock = FakeClock()
    session = Session(mini, actor=BrokenActor(), clock=clock)  # type: ignore[arg-type]
    sub = session.events()
    await session.start()
    await session.say("hello")
    await session.settle()
    got = sub.drain()
    failures = [e.message for e in got if isinstance(e, ev.TurnFailed)]
    assert failures == ["the model is down", "stream dropped"]
    assert [e.text for e in got if isinstance(e, ev.LineFinished)] == ["Half a line"]
    assert await session.press("pump")
    await session.close()


async def test_sessions_share_no_player_state(mini: Scene) -> None:
    clock = FakeClock()
    a = Session(mini, actor=Understudy(mini), clock=clock)
    b = Session(mini, actor=Understudy(mini), clock=clock)
    await a.start()
    await b.start()
    await a.say("thank you")
    await a.press("pump")
    await a.settle()
    assert b.world.values["bond"] == 0 and b.world.pressed["pump"] == 0
    assert a.world.values["bond"] == 50
    await a.close()
    await b.close()


async def test_input_before_start_is_a_programming_error(mini: Scene) -> None:
    session = Session(mini, actor=Understudy(mini), clock=FakeClock())
    with pytest.raises(RuntimeError):
        await session.say("hi")


async def test_a_queued_hint_never_starts_ahead_of_the_reply_that_cut_a_line_off(tmp_path: Path) -> None:
    """Regression: interrupting a line used to let a director hint queued behind it start at
    once, so the player's reply waited for the hint's whole line."""
    text = SCRIPTED + '''
[[director.rules]]
id = "tip"
when = "elapsed >= 1"
once = true
hint = "Try the valve."
'''
    session, clock = make(tmp_path, text=text.replace('opening = ["Hello there."]',
                                                      'opening = ["Hello there, this is a long opening line."]'),
                          pace=0.5)
    sub = session.events()
    await session.start()
    await clock.advance(1.2)  # the opening is still being spoken; the hint waits behind it
    assert session.queued == ["hint"]
    said_at = clock.now()
    await session.say("who are you")
    await clock.advance(0)  # loop turns only: no scene time passes
    got = sub.drain()
    after = got[next(i for i, e in enumerate(got) if isinstance(e, ev.PlayerSaid)):]
    starts = [e for e in after if isinstance(e, ev.LineStarted)]
    assert [s.cue for s in starts] == ["reply"], "the reply starts first, at once"
    assert clock.now() == said_at
    await finish(session, clock)
    kinds = [e.cue for e in sub.drain() if isinstance(e, ev.LineStarted)]
    assert "hint" not in kinds  # the player acted: the background line went stale
    await session.close()


async def test_an_interruption_applies_its_effects_from_any_starting_value(tmp_path: Path) -> None:
    """Regression: the only test started bond at 0, so the clamp hid a skipped -3."""
    session, clock = make(tmp_path, pace=0.5, overrides=(("bond", 50.0),))
    await session.start()
    await clock.advance(0.6)  # the opening is being spoken
    assert session.speaking
    await session.say("who are you")
    assert session.world.values["bond"] == 47
    await session.interrupt()  # nothing to cut now: no effects
    assert session.world.values["bond"] == 47
    await session.close()
