"""What the director's decisions show and cue — the scene's rules and the director model alike —
and the end-of-scene stats, checked value by value (the inspector and the memory read them)."""

from __future__ import annotations

from pathlib import Path

from digital_actors import events as ev
from digital_actors.actors.understudy import Understudy
from digital_actors.clock import FakeClock
from digital_actors.scene.loader import load_scene
from digital_actors.turn.ports import Decision, DirectorView
from digital_actors.turn.session import Session, SessionOptions
from tests.engine.conftest import BASE, write_scene

RULES = BASE.replace("[[endings]]", '''[state.heat]
rate = 1
[director]
background_gap = 0  # each kind of rule in turn, a second apart (tests/engine/test_background_gap.py: the gap)
[[director.rules]]
id = "warm"
when = "heat >= 2"
once = true
note = "It is getting warm."
[[director.rules]]
id = "alarm"
when = "heat >= 3"
once = true
narration = "An alarm sounds."
[[director.rules]]
id = "tip"
when = "heat >= 4"
once = true
hint = "Open the valve."
[[director.rules]]
id = "poke"
when = "heat >= 5"
once = true
nudge = true
[[director.rules]]
id = "cool"
when = "heat >= 6"
once = true
effects = { air = "+1" }
[[endings]]''', 1) + '''idle = ["Still there?"]
'''


class ScriptedDirector:
    """A director that answers with the next scripted decision (None: no opinion)."""

    def __init__(self, decisions: list[Decision | None]) -> None:
        self.decisions = decisions
        self.views: list[DirectorView] = []
        self.marked: list[float] = []
        self.resets = 0

    def due(self, elapsed: float) -> bool:
        return True

    def mark(self, elapsed: float) -> None:
        self.marked.append(elapsed)

    async def decide(self, view: DirectorView) -> Decision | None:
        self.views.append(view)
        return self.decisions.pop(0) if self.decisions else None

    def reset(self) -> None:
        self.resets += 1


def session_for(tmp_path: Path, *, director: ScriptedDirector | None = None) -> tuple[Session, FakeClock]:
    scene = load_scene(write_scene(tmp_path / "t", RULES))
    clock = FakeClock()
    return Session(scene, actor=Understudy(scene, clock=clock), clock=clock, director=director,
                   options=SessionOptions(suggestions=False)), clock


async def test_each_kind_of_scene_rule_shows_exactly_what_it_says(tmp_path: Path) -> None:
    session, clock = session_for(tmp_path)
    sub = session.events()
    await session.start()
    await session.settle()
    sub.drain()
    notes: list[ev.DirectorNote] = []
    narrated: list[str] = []
    for _ in range(6):
        await clock.advance(1)
        await session.settle()
        got = sub.drain()
        notes += [e for e in got if isinstance(e, ev.DirectorNote)]
        narrated += [e.text for e in got if isinstance(e, ev.Narration) and e.kind == "director"]
    assert [(n.rule_id, n.action, n.text) for n in notes] == [
        ("warm", "note", "It is getting warm."), ("alarm", "event", "An alarm sounds."),
        ("tip", "hint", "Open the valve."), ("poke", "nudge", "idle nudge"), ("cool", "effects", "state changed")]
    assert notes[0].reason == "heat >= 2 (elapsed 2s, idle 2s)"
    assert notes[4].reason == "heat >= 6 (elapsed 6s, idle 6s)"
    assert narrated == ["An alarm sounds."]
    assert list(session.notes) == ["It is getting warm."]
    assert session.world.values["air"] == 51
    await session.close()


async def test_the_director_models_decisions_become_notes_hints_and_events(tmp_path: Path) -> None:
    director = ScriptedDirector([Decision("npc_note", "Be gentler.", "player is scared"),
                                 Decision("hint", "Try the valve.", "stuck"),
                                 Decision("event", "Rain starts.", "it drags"),
                                 Decision("continue", "", ""), None])
    session, _ = session_for(tmp_path, director=director)
    sub = session.events()
    await session.start()
    await session.settle()
    for words in ("hello", "who", "what", "why", "how"):
        await session.say(words)
        await session.settle()
    got = sub.drain()
    llm = [(e.action, e.text, e.reason) for e in got if isinstance(e, ev.DirectorNote) and e.rule_id == "llm"]
    assert llm[:2] == [("note", "Be gentler.", "director model: player is scared (elapsed 0s, idle 0s)"),
                       ("hint", "Try the valve.", "director model: stuck (elapsed 0s, idle 0s)")]
    assert ("event", "Rain starts.", "director model: it drags (elapsed 0s, idle 0s)") in llm
    assert ("continue", "", "director model: continue") in llm
    assert [e.text for e in got if isinstance(e, ev.Narration) and e.kind == "director"] == ["Rain starts."]
    assert "Be gentler." in session.notes
    assert [e.cue for e in got if isinstance(e, ev.LineStarted)].count("hint") == 1
    view = director.views[1]
    assert view.phase == 1 and view.values["air"] == 50 and "Be gentler." in view.notes
    assert ("player", "hello") in view.history
    assert director.marked and all(m == 0 for m in director.marked)
    await session.restart()
    assert director.resets == 1
    await session.close()


async def test_game_over_stats_are_exact(tmp_path: Path) -> None:
    text = BASE.replace("[[endings]]", '''[[controls]]
id = "pump"
label = "PUMP"
effects = { air = "+25" }
[[controls]]
id = "idle"
label = "IDLE"
[[endings]]''', 1) + '''[script.controls]
pump = ["Pumping."]
[script.endings]
done = ["Made it."]
'''
    scene = load_scene(write_scene(tmp_path / "s", text))
    clock = FakeClock()
    session = Session(scene, actor=Understudy(scene, clock=clock), clock=clock,
                      options=SessionOptions(suggestions=False))
    await session.start()
    await clock.advance(3)
    await session.press("pump")
    await session.settle()
    await session.press("pump")
    await session.settle()
    over = session.game_over
    assert over is not None and over.ending_id == "done" and over.kind == "success" and over.title == "Done"
    assert over.stats == {"elapsed": 3.0, "uses.pump": 2.0, "uses.idle": 0.0, "lines": 2.0}
    assert over.elapsed == 3.0
    await session.close()
