from __future__ import annotations

from pathlib import Path

from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene
from digital_actors.world import World
from tests.engine.conftest import BASE, write_scene

RULES = BASE.replace('[[endings]]', '''[state.heat]
start = 0
rate = 2
max = 10
show = "number"
[state.bond]
[[phases]]
id = 2
title = "Two"
enter = "elapsed >= 5"
[[phases]]
id = 3
title = "Three"
enter = "elapsed >= 5 and bond >= 10"
[[controls]]
id = "valve"
label = "VALVE"
key = "1"
when = "phase >= 2"
unavailable = "The valve is jammed."
uses = 2
cooldown = 3
effects = { air = "+30", bond = "=bond + 10" }
[[signals]]
id = "calm"
ask = "calm?"
keywords = ["breathe"]
effects = { bond = "+5" }
[[director.rules]]
id = "hot"
when = "heat >= 10"
cooldown = 4
note = "It is hot."
[[director.rules]]
id = "once"
when = "elapsed >= 1"
once = true
narration = "A clank."
[[endings]]
id = "first"
kind = "failure"
when = "air >= 100 and bond >= 20"
title = "First"
[[endings]]''')


def scene(tmp_path: Path, text: str = RULES) -> Scene:
    return load_scene(write_scene(tmp_path / "t", text))


def test_values_are_clamped_on_every_write_not_only_on_ticks(tmp_path: Path) -> None:
    world = World(scene(tmp_path), overrides={"air": 500, "heat": -4})
    assert world.values["air"] == 100 and world.values["heat"] == 0
    world = World(scene(tmp_path), start_phase=2)
    world.press("valve")
    world.press("valve")  # cooling down: refused
    assert world.values["air"] == 80
    world.tick(3)
    world.press("valve")
    assert world.values["air"] == 100  # 110 clamped at the press, before any tick


def test_rates_clamp_and_scale_with_difficulty(tmp_path: Path) -> None:
    text = RULES + '\n[difficulty]\nhard = { rates = 1.5, start = { air = -10 } }\n'
    world = World(scene(tmp_path, text), difficulty="hard")
    assert world.values["air"] == 40
    world.tick(1)
    assert world.values["heat"] == 3
    for _ in range(10):
        world.tick(1)
    assert world.values["heat"] == 10


def test_phase_enters_on_the_exact_tick(tmp_path: Path) -> None:
    world = World(scene(tmp_path))
    for _ in range(4):
        assert not world.tick(1).phases
    out = world.tick(1)
    assert [p.id for p in out.phases] == [2] and world.elapsed == 5


def test_several_phases_can_be_entered_at_once(tmp_path: Path) -> None:
    world = World(scene(tmp_path), overrides={"bond": 10})
    entered = [p.id for _ in range(5) for p in world.tick(1).phases]
    assert entered == [2, 3] and world.phase.id == 3


def test_control_gating_reasons(tmp_path: Path) -> None:
    world = World(scene(tmp_path))
    view, _ = world.press("valve")
    assert not view.available and view.reason == "The valve is jammed."
    assert world.pressed["valve"] == 0
    world = World(scene(tmp_path), start_phase=2, overrides={"air": 0})
    assert world.press("valve")[0].available
    view = world.controls()[0]
    assert view.reason == "cooling down (3 s)" and view.uses_left == 1
    world.tick(1)
    assert world.controls()[0].reason == "cooling down (2 s)"
    world.tick(2)
    assert world.press("valve")[0].available
    world.tick(5)
    view, _ = world.press("valve")
    assert view.reason == "no uses left" and world.pressed["valve"] == 2


def test_endings_are_checked_in_file_order_exactly_once(tmp_path: Path) -> None:
    world = World(scene(tmp_path), start_phase=2, overrides={"air": 90, "bond": 10})
    out = world.press("valve")[1]
    # Both "first" (air >= 100 and bond >= 20) and "done" (air >= 100) hold: file order wins.
    assert out.ending is not None and out.ending.id == "first"
    assert world.tick(1).ending is None and world.ending.id == "first"
    assert world.values["heat"] == 0  # nothing moves after the ending
    assert not world.press("valve")[0].available


def test_signals_latch_and_once(tmp_path: Path) -> None:
    world = World(scene(tmp_path))
    out = world.fire_signal("calm")
    assert out.signals == ["calm"] and world.values["bond"] == 5
    assert world.fire_signal("calm").signals == []  # once = true by default
    assert world.names()["signals.calm"] == 1


def test_director_rules_respect_cooldown_and_once(tmp_path: Path) -> None:
    world = World(scene(tmp_path))
    fired: list[tuple[str, float]] = []
    for _ in range(14):
        fired += [(r.id, world.elapsed) for r in world.tick(1).rules]
    assert fired == [("once", 1), ("hot", 5), ("hot", 9), ("hot", 13)]


def test_copy_is_independent(tmp_path: Path) -> None:
    world = World(scene(tmp_path))
    clone = world.copy()
    clone.tick(3)
    clone.fire_signal("calm")
    assert world.elapsed == 0 and world.values["bond"] == 0 and world.fired["calm"] == 0
