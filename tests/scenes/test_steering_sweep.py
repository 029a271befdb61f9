"""In every phase of every built-in scene, a player who answers in a word or talks about something
else is answered in character or steered back to the scene, never asked to "say that again"."""

from __future__ import annotations

from pathlib import Path

import pytest

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.scene.loader import load_scene
from digital_actors.turn.session import Session, SessionOptions

SCENES = Path(__file__).parents[2] / "scenes"
CASES = [(p.parent.name, phase.id) for p in sorted(SCENES.glob("*/scene.toml"))
         for phase in load_scene(p.parent).phases]
# More lines than any phase has steering lines: the deck comes round again rather than fall back.
LINES = ("do you like pizza?", "ok", "tell me a joke", "what?", "lol this is so weird", "no",
         "what's your favourite film?", "why", "I need a coffee", "sure", "hmm", "who won the match?")


@pytest.mark.parametrize(("scene_id", "phase"), CASES, ids=[f"{s}-phase{p}" for s, p in CASES])
async def test_small_talk_and_one_word_answers_never_get_say_again(scene_id: str, phase: int) -> None:
    scene = load_scene(SCENES / scene_id)
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      options=SessionOptions(start_phase=phase, suggestions=False))
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    sources: list[tuple[str, str]] = []
    try:
        for text in LINES:
            if session.ended:
                break
            await session.say(text)
            await session.settle()
            reply = next((e for e in sub.drain() if isinstance(e, ev.LineStarted) and e.cue == "reply"), None)
            if reply is not None:
                sources.append((text, reply.source))
    finally:
        await session.close()
    assert len(sources) >= 6, f"the scene ended after {sources}"
    said_again = [text for text, source in sources if source == "understudy: script.fallback"]
    assert not said_again, f"phase {phase}: {said_again} got a 'say again' line"
    assert any(source == f"understudy: script.steer.{phase}" for _, source in sources), sources
