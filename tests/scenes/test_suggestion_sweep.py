"""Every suggestion the understudy offers, in every phase of every built-in scene, gets a real
answer when the player sends it — never the "say that again" fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.scene.loader import load_scene
from digital_actors.turn.ports import Cue
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.world import World

SCENES = Path(__file__).parents[2] / "scenes"
CASES = [(p.parent.name, phase.id) for p in sorted(SCENES.glob("*/scene.toml"))
         for phase in load_scene(p.parent).phases]


async def reply_source(scene_id: str, phase: int, text: str) -> str:
    scene = load_scene(SCENES / scene_id)
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      options=SessionOptions(start_phase=phase, suggestions=False))
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    await session.say(text)
    await session.settle()
    starts = [e for e in sub.drain() if isinstance(e, ev.LineStarted)]
    await session.close()
    assert starts, f"no line answered {text!r}"
    return next((s.source for s in starts if s.cue == "reply"), starts[0].source)


@pytest.mark.parametrize(("scene_id", "phase"), CASES, ids=[f"{s}-phase{p}" for s, p in CASES])
async def test_every_offered_suggestion_gets_a_real_answer(scene_id: str, phase: int) -> None:
    scene = load_scene(SCENES / scene_id)
    names = World(scene, start_phase=phase).names()
    offered = Understudy(scene).offers(Cue(kind="reply", character_id=scene.lead_id, names=names))
    assert len(offered) >= 3, f"only {offered} fit phase {phase}: the player needs a choice"
    for text in offered:
        source = await reply_source(scene_id, phase, text)
        assert source != "understudy: script.fallback", f"{text!r} in phase {phase} gets a 'say again' reply"
