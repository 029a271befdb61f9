"""A failure ending's authored hint: in the scene format, the GameOver event, the shared view and the
line mode; never on a success."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.errors import SceneError
from digital_actors.plain import LinePlayer
from digital_actors.scene.loader import load_scene
from digital_actors.turn.session import Session, SessionOptions
from digital_actors.view import ViewReducer
from tests.engine.conftest import BASE, write_scene

ROOT = Path(__file__).parents[2]
FAILURE = '''
[[endings]]
id = "lost"
kind = "failure"
when = "air <= 0"
title = "Lost"
hint = "Pump before the air runs out."
'''


def test_a_hint_belongs_to_a_failure(tmp_path: Path) -> None:
    scene = load_scene(write_scene(tmp_path / "t", BASE.replace("[script]", FAILURE + "[script]")))
    assert [(e.id, e.hint) for e in scene.endings] == [("done", ""), ("lost", "Pump before the air runs out.")]
    on_success = BASE.replace('title = "Done"', 'title = "Done"\nhint = "Nothing to learn."')
    with pytest.raises(SceneError) as info:
        load_scene(write_scene(tmp_path / "u", on_success))
    assert "only a failure ending has a hint" in str(info.value.problems)


async def test_the_failure_hint_reaches_the_event_the_view_and_the_line_mode() -> None:
    scene = load_scene(ROOT / "scenes" / "welcome")
    dozed = next(e for e in scene.endings if e.id == "dozed_off")
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      options=SessionOptions(suggestions=False))
    out = io.StringIO()
    player = LinePlayer(session, out=out, interactive=False)
    reducer = ViewReducer()
    await session.start()
    over: ev.GameOver | None = None
    for _ in range(90):  # idle for a minute: the player dozes off (the first failure to hold)
        await clock.advance(1)
        for event in player.sub.drain():
            player.show(event)
            reducer.feed(event)
            over = event if isinstance(event, ev.GameOver) else over
        if over is not None:
            break
    await session.close()
    assert over is not None and over.ending_id == "dozed_off" and over.kind == "failure"
    assert over.hint == dozed.hint and over.hint.startswith("Say something")
    assert ev.to_dict(over)["hint"] == dozed.hint
    assert reducer.view.to_json()["over"]["hint"] == dozed.hint
    assert f"Hint: {dozed.hint}" in out.getvalue()


def test_a_success_carries_no_hint() -> None:
    over = ev.GameOver("home", "success", "Home", "", 3.0)
    assert over.hint == "" and ViewReducer().feed(over) >= {"over"}
