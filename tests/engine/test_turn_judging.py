"""The line never waits for the judge: the reply starts at once, verdicts apply when they land,
and a decisive signal's ending waits for its verdict (and for the reply in progress)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.bus import Subscription
from digital_actors.clock import FakeClock
from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Signal
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.turn.signals import SignalEvaluator
from tests.engine.conftest import BASE, write_scene

SCENE = BASE.replace("[[endings]]", '''[state.bond]
[[signals]]
id = "confess"
ask = "Did the player confess?"
keywords = ["i did it"]
[[signals]]
id = "calm"
ask = "Is the player calm?"
keywords = ["breathe"]
effects = { bond = "+5" }
[[signals]]
id = "kind"
ask = "Was the player kind?"
effects = { bond = "+7" }
[[endings]]
id = "caught"
kind = "failure"
when = "signals.confess == 1"
title = "Caught"
[[endings]]''', 1) + '''opening = ["Hello."]
[[script.replies]]
keywords = ["who"]
lines = ["I am Bob, and I talk slowly."]
[script.endings]
caught = ["Got you."]
'''


class GatedJudge:
    """A judge whose answers wait until the test releases them."""

    def __init__(self, answers: dict[str, bool | None]) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.calls = 0
        self.release = asyncio.Event()

    async def judge(self, signals: Sequence[Signal], text: str, context: str) -> dict[str, bool]:
        self.asked += [s.id for s in signals]
        self.calls += 1
        await self.release.wait()
        return {s.id: answer for s in signals if (answer := self.answers.get(s.id, False)) is not None}


def make(tmp_path: Path, judge: GatedJudge, *, decisive: frozenset[str] = frozenset({"confess"})
         ) -> tuple[Session, FakeClock]:
    scene = load_scene(write_scene(tmp_path / "t", SCENE))
    clock = FakeClock()
    signals = SignalEvaluator(judge=judge, decisive=decisive, timeout=30)
    session = Session(scene, actor=Understudy(scene, clock=clock, pace=0.5), clock=clock, signals=signals,
                      options=SessionOptions(suggestions=False))
    return session, clock


async def drive(session: Session, clock: FakeClock) -> None:
    spent = 0.0
    while session.busy and spent < 60:
        await clock.advance(0.25)
        spent += 0.25


async def test_the_reply_starts_while_the_judge_is_still_thinking(tmp_path: Path) -> None:
    judge = GatedJudge({"kind": True})
    session, clock = make(tmp_path, judge)
    sub = session.events()
    await session.start()
    await drive_opening(clock, sub)
    await session.say("who are you? just breathe")
    await clock.advance(0)
    got = sub.drain()
    assert [e.cue for e in got if isinstance(e, ev.LineStarted)] == ["reply"]
    # The ordinary signal's keyword decided at once; the rest wait for the judge.
    assert [e.signal_id for e in got if isinstance(e, ev.SignalFired)] == ["calm"]
    assert session.world.values["bond"] == 5
    assert sorted(judge.asked) == ["confess", "kind"] and judge.calls == 1  # one call for the utterance
    judge.release.set()
    await drive(session, clock)
    fired = [e for e in sub.drain() if isinstance(e, ev.SignalFired)]
    assert [(e.signal_id, e.source) for e in fired] == [("kind", "judge")]
    assert session.world.values["bond"] == 12
    await session.close()


async def drive_opening(clock: FakeClock, sub: Subscription) -> None:
    """Let the opening line finish and forget its events (they are not what these tests look at)."""
    await clock.advance(2)
    sub.drain()


async def test_a_decisive_keyword_only_proposes_the_judge_decides(tmp_path: Path) -> None:
    judge = GatedJudge({"confess": False})
    session, clock = make(tmp_path, judge)
    sub = session.events()
    await session.start()
    await drive_opening(clock, sub)
    await session.say("I'm not saying I did it")
    await clock.advance(0)
    assert not [e for e in sub.drain() if isinstance(e, ev.SignalFired)]
    judge.release.set()
    await drive(session, clock)
    assert session.world.fired["confess"] == 0 and not session.ended
    await session.close()


async def test_an_ending_reached_by_a_verdict_waits_for_it_then_plays_after_the_reply(tmp_path: Path) -> None:
    judge = GatedJudge({"confess": True})
    session, clock = make(tmp_path, judge)
    sub = session.events()
    await session.start()
    await drive_opening(clock, sub)
    await session.say("fine. who cares. i did it")
    await clock.advance(1)
    assert not session.ended  # the keyword alone does not end the scene
    judge.release.set()
    await drive(session, clock)
    got = sub.drain()
    lines = [e for e in got if isinstance(e, ev.LineFinished)]
    assert [(e.text, e.interrupted) for e in lines] == [("I am Bob, and I talk slowly.", False), ("Got you.", False)]
    over = [e for e in got if isinstance(e, ev.GameOver)]
    assert len(over) == 1 and over[0].ending_id == "caught"
    await session.close()


async def test_a_failed_judgement_falls_back_to_the_keywords(tmp_path: Path) -> None:
    judge = GatedJudge({"confess": None})  # None: the judge could not tell (outage, junk)
    session, clock = make(tmp_path, judge)
    sub = session.events()
    await session.start()
    await drive_opening(clock, sub)
    await session.say("I did it.")
    judge.release.set()
    await drive(session, clock)
    assert session.game_over is not None and session.game_over.ending_id == "caught"
    await session.close()


async def test_without_a_judge_keywords_decide_everything_at_once(tmp_path: Path) -> None:
    scene = load_scene(write_scene(tmp_path / "t", SCENE))
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      signals=SignalEvaluator(decisive=frozenset({"confess"})))
    sub = session.events()
    await session.start()
    await session.say("I did it. Just breathe.")
    await session.settle()
    fired = [e.signal_id for e in sub.drain() if isinstance(e, ev.SignalFired)]
    assert fired == ["confess", "calm"] and session.ended
    await session.close()
