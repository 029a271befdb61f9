"""World's rules value by value: the names expressions read, gauges and control views, effects and
their order, faults, signals, rules and their cascade bound, and copies (digital_actors/world.py)."""

from __future__ import annotations

import math
from pathlib import Path

from structlog.testing import capture_logs

from digital_actors.events import ControlView, GaugeView
from digital_actors.player import Recollection
from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene
from digital_actors.world import World
from tests.engine.conftest import BASE, write_scene


def scene(tmp_path: Path, extra: str, endings: str = "") -> Scene:
    """BASE (air: 0..100, start 50; ending "done" at air >= 100) with ``extra`` before its endings."""
    text = BASE.replace("[[endings]]", extra + "\n" + endings + "[[endings]]", 1)
    return load_scene(write_scene(tmp_path / "t", text))


LOOK = '''[state.heat_level]
start = 7
min = -5
max = 30
unit = "°"
show = "number"
danger = 25
[state.secret]
start = 3
[state.clock]
start = 90
max = 90
rate = -1
show = "number"
countdown = true
[state.stress]
label = "Nerves"
start = 10
show = "gauge"
danger = 5
danger_below = true
[[phases]]
id = 4
title = "Four"
[[controls]]
id = "lever"
label = "LEVER"
key = "l"
[[controls]]
id = "hatch"
label = "HATCH"
key = "h"
when = "heat_level > 10"
uses = 1
cooldown = 2.5
[[signals]]
id = "calm"
ask = "calm?"
once = false
effects = { secret = "+1" }
'''


def test_names_hold_every_value_time_phase_use_signal_and_memory_fact(tmp_path: Path) -> None:
    memory = Recollection(attempts=3, successes=2, trust=61.5, familiarity=12.0)
    world = World(scene(tmp_path, LOOK), recollection=memory)
    assert world.names() == {
        "air": 50.0, "heat_level": 7.0, "secret": 3.0, "clock": 90.0, "stress": 10.0,
        "elapsed": 0.0, "idle": 0.0, "phase": 1.0, "uses.lever": 0.0, "uses.hatch": 0.0, "signals.calm": 0.0,
        "memory.attempts": 3.0, "memory.successes": 2.0, "memory.returning": 1.0, "memory.trust": 61.5,
        "memory.familiarity": 12.0}
    assert World(scene(tmp_path / "new", LOOK)).names()["memory.returning"] == 0.0


def test_start_phase_and_names_follow_it(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK), start_phase=4)
    assert world.phase.id == 4 and world.names()["phase"] == 4.0


def test_gauges_skip_hidden_values_and_the_countdown_and_carry_their_settings(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK))
    assert world.gauges() == (
        GaugeView("air", "Air", 50.0, 0.0, 100.0, "", "gauge", None, False),
        GaugeView("heat_level", "Heat Level", 7.0, -5.0, 30.0, "°", "number", 25.0, False),
        GaugeView("stress", "Nerves", 10.0, 0.0, 100.0, "", "gauge", 5.0, True),
    )
    assert world.hidden() == {"secret": 3.0}


def test_control_views_say_what_is_left_and_why_not(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK))
    lever, hatch = world.controls()
    assert lever == ControlView("lever", "LEVER", "l", True, None, None, 0.0)
    assert hatch == ControlView("hatch", "HATCH", "h", False, "not available yet", 1, 0.0)
    world.values["heat_level"] = world._n["heat_level"] = 11
    view, _ = world.press("hatch")
    assert view == ControlView("hatch", "HATCH", "h", True, None, 1, 0.0)  # the view before the press
    assert world.controls()[1] == ControlView("hatch", "HATCH", "h", False, "no uses left", 0, 2.5)
    world.tick(1)
    assert world.controls()[1].cooldown_left == 1.5
    world.tick(2)
    assert world.controls()[1].cooldown_left == 0.0  # never negative
    assert world.press("lever")[0].available and world.press("lever")[0].available  # no cooldown, no limit
    assert world.pressed == {"lever": 2, "hatch": 1}


def test_a_cooldown_is_reported_in_whole_seconds_rounded_up(tmp_path: Path) -> None:
    extra = '[[controls]]\nid = "pump"\nlabel = "PUMP"\ncooldown = 2.5\n'
    world = World(scene(tmp_path, extra))
    world.press("pump")
    assert world.controls()[0].reason == "cooling down (3 s)" and not world.controls()[0].available
    world.tick(2)
    view = world.controls()[0]
    assert view.reason == "cooling down (1 s)" and view.cooldown_left == 0.5
    world.tick(0.5)
    assert world.controls()[0].available and world.controls()[0].reason is None


def test_the_scene_being_over_is_the_first_reason(tmp_path: Path) -> None:
    extra = '[[controls]]\nid = "pump"\nlabel = "PUMP"\nwhen = "air < 0"\nuses = 1\n'
    world = World(scene(tmp_path, extra), overrides={"air": 100})
    world.settle()
    assert world.ending is not None
    assert world.controls()[0].reason == "the scene is over"


def test_a_refused_press_still_counts_as_the_player_acting(tmp_path: Path) -> None:
    extra = '[[controls]]\nid = "pump"\nlabel = "PUMP"\nwhen = "air > 60"\n'
    world = World(scene(tmp_path, extra))
    world.tick(5)
    view, out = world.press("pump")
    assert not view.available and world.idle == 0.0 and world.elapsed == 5.0
    assert world.pressed == {"pump": 0} and world.names()["uses.pump"] == 0.0 and not out.changed


def test_a_press_records_its_use_and_time_for_expressions(tmp_path: Path) -> None:
    extra = '''[[controls]]
id = "pump"
label = "PUMP"
effects = { air = "+uses.pump" }
'''
    world = World(scene(tmp_path, extra))
    world.tick(3)
    _, out = world.press("pump")
    assert out.changed == {"air": 51.0}  # the effect already sees this press counted
    world.tick(1)
    _, out = world.press("pump")
    assert out.changed == {"air": 53.0} and world.names()["uses.pump"] == 2.0
    assert world.last_press == {"pump": 4.0}


def test_effects_apply_in_order_each_seeing_the_last(tmp_path: Path) -> None:
    extra = '''[state.bond]
start = 10
[[controls]]
id = "mix"
label = "MIX"
effects = { air = "-7", bond = "=air * 2" }
[[controls]]
id = "same"
label = "SAME"
effects = { air = "=50" }
'''
    world = World(scene(tmp_path, extra))
    _, out = world.press("mix")
    assert world.values == {"air": 43.0, "bond": 86.0} and out.changed == {"air": 43.0, "bond": 86.0}
    world.values["air"] = world._n["air"] = 50.0
    _, out = world.press("same")
    assert out.changed == {}  # a write of the same value is no change


def test_a_faulty_effect_is_skipped_and_the_rest_still_apply(tmp_path: Path) -> None:
    extra = '''[state.zero]
[state.bond]
start = 10
[[controls]]
id = "risky"
label = "RISKY"
effects = { air = "=air / zero", bond = "+4" }
'''
    world = World(scene(tmp_path, extra))
    with capture_logs() as logs:
        _, out = world.press("risky")
    assert world.values["air"] == 50.0 and out.changed == {"bond": 14.0}
    assert [(e["event"], e["log_level"], e["scene"], e["var"], e["error"]) for e in logs] == [
        ("effect_failed", "warning", "t", "air", "'air / zero': division by zero")]  # the writer can find it


def test_a_condition_that_faults_is_false(tmp_path: Path) -> None:
    extra = '''[state.zero]
[[phases]]
id = 2
title = "Two"
enter = "air / zero > 1"
'''
    world = World(scene(tmp_path, extra), overrides={"air": 99})
    assert not world.tick(1).phases and world.phase.id == 1
    world.values["zero"] = world._n["zero"] = 1.0
    assert [p.id for p in world.tick(1).phases] == [2]


def test_not_a_number_falls_back_to_the_start_value_and_others_clamp(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK), overrides={"air": math.nan, "heat_level": -9, "secret": 101})
    assert world.values["air"] == 50.0 and world.values["heat_level"] == -5.0 and world.values["secret"] == 100.0
    assert world.names()["heat_level"] == -5.0


def test_a_difficulty_shifts_only_the_values_it_names(tmp_path: Path) -> None:
    extra = LOOK + '\n[difficulty]\neasy = { rates = 0.5, start = { air = 20 } }\n'
    easy = World(scene(tmp_path, extra), difficulty="easy")
    assert easy.values["air"] == 70.0 and easy.values["heat_level"] == 7.0 and easy.values["secret"] == 3.0
    assert easy.difficulty == "easy"
    easy.tick(4)
    assert easy.values["clock"] == 88.0  # rate -1 at half speed
    plain = World(scene(tmp_path / "b", extra), difficulty="normal")  # no such level: as written
    plain.tick(4)
    assert plain.values["clock"] == 86.0 and plain.values["air"] == 50.0


def test_time_passes_by_the_seconds_given(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK))
    out = world.tick(2.5)
    assert world.elapsed == 2.5 and world.idle == 2.5 and out.changed == {"clock": 87.5}
    out = world.tick()
    assert world.elapsed == 3.5 and out.changed == {"clock": 86.5}
    world.player_acted()
    world.tick(1)
    assert world.idle == 1.0 and world.elapsed == 4.5
    assert world.names()["elapsed"] == 4.5 and world.names()["idle"] == 1.0


def test_nothing_moves_after_the_ending(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK), overrides={"air": 100})
    assert world.settle().ending is not None
    assert world.tick(5).changed == {} and world.elapsed == 0.0
    assert world.apply(world.plan.controls["lever"][2]).changed == {}
    assert not world.signal_ready("calm")
    assert world.fire_signal("calm").signals == [] and world.fired["calm"] == 0


def test_a_repeatable_signal_counts_every_firing_and_reads_as_one(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK))
    world.fire_signal("calm")
    out = world.fire_signal("calm")
    assert out.signals == ["calm"] and out.changed == {"secret": 5.0}
    assert world.fired["calm"] == 2 and world.names()["signals.calm"] == 1.0


def test_a_signal_waits_for_its_condition(tmp_path: Path) -> None:
    extra = '[[signals]]\nid = "brave"\nask = "brave?"\nwhen = "air > 60"\neffects = { air = "+5" }\n'
    world = World(scene(tmp_path, extra))
    assert not world.signal_ready("brave") and world.fire_signal("brave").signals == []
    world.values["air"] = world._n["air"] = 61.0
    assert world.signal_ready("brave")
    assert world.fire_signal("brave").changed == {"air": 66.0}
    assert not world.signal_ready("brave")  # once, by default


def test_fire_signal_adds_to_an_outcome_it_is_given(tmp_path: Path) -> None:
    world = World(scene(tmp_path, LOOK))
    out = world.fire_signal("calm")
    same = world.fire_signal("calm", out)
    assert same is out and out.signals == ["calm", "calm"] and out.changed == {"secret": 5.0}


def test_an_interruption_applies_its_effects_then_settles(tmp_path: Path) -> None:
    extra = '[interruptions]\neffects = { air = "+50" }\n'
    world = World(scene(tmp_path, extra))
    out = world.interrupt()
    assert out.changed == {"air": 100.0} and out.ending is not None and out.ending.id == "done"


def test_a_phase_without_a_condition_is_never_entered_by_itself(tmp_path: Path) -> None:
    extra = '[[phases]]\nid = 2\ntitle = "Two"\n[[phases]]\nid = 3\ntitle = "Three"\nenter = "elapsed >= 0"\n'
    world = World(scene(tmp_path, extra))
    assert not world.tick(1).phases and world.phase.id == 1


def test_a_rule_that_keeps_itself_due_is_cut_off_after_eight_rounds(tmp_path: Path) -> None:
    extra = '[[director.rules]]\nid = "pump"\nwhen = "air < 100"\ncooldown = 0\neffects = { air = "+1" }\n'
    world = World(scene(tmp_path, extra), overrides={"air": 10})
    out = world.settle()
    assert [r.id for r in out.rules] == ["pump"] * 8 and world.values["air"] == 18.0


def test_a_rule_that_changes_nothing_does_not_ask_for_another_round(tmp_path: Path) -> None:
    extra = '''[[director.rules]]
id = "cap"
when = "air >= 0"
cooldown = 0
effects = { air = "=50" }
[[director.rules]]
id = "talk"
when = "air >= 0"
cooldown = 0
narration = "Hm."
'''
    world = World(scene(tmp_path, extra))
    assert [r.id for r in world.settle().rules] == ["cap", "talk"]


def test_rule_effects_can_enter_a_phase_and_reach_an_ending_in_one_settle(tmp_path: Path) -> None:
    extra = '''[[phases]]
id = 2
title = "Two"
enter = "air >= 70"
[[director.rules]]
id = "push"
when = "air >= 60"
once = true
effects = { air = "+10" }
[[director.rules]]
id = "late"
when = "air >= 100"
once = true
narration = "Too late."
[[director.rules]]
id = "finish"
when = "phase == 2"
once = true
effects = { air = "=100" }
'''
    world = World(scene(tmp_path, extra), overrides={"air": 60})
    out = world.settle()
    assert [p.id for p in out.phases] == [2]
    # "late" would be due in the round after "finish": the ending, checked first, stops it
    assert [r.id for r in out.rules] == ["push", "finish"]
    assert out.ending is not None and out.ending.id == "done"


def test_a_speaking_rule_waits_its_cooldown_measured_from_when_it_spoke(tmp_path: Path) -> None:
    extra = '''[director]
background_gap = 2
[[director.rules]]
id = "tip"
when = "elapsed >= 1"
cooldown = 3
hint = "Try it."
'''
    world = World(scene(tmp_path, extra))
    fired = []
    for _ in range(9):
        fired += [world.elapsed for r in world.tick(1).rules]
    assert fired == [1.0, 4.0, 7.0]


def test_speaking_rules_with_equal_waits_go_in_file_order(tmp_path: Path) -> None:
    extra = '''[director]
background_gap = 1
[[director.rules]]
id = "a"
when = "elapsed >= 2"
cooldown = 0
hint = "A."
[[director.rules]]
id = "b"
when = "elapsed >= 2"
cooldown = 0
nudge = true
'''
    world = World(scene(tmp_path, extra))
    spoken = [(world.elapsed, r.id) for _ in range(5) for r in world.tick(1).rules]
    assert spoken == [(2.0, "a"), (3.0, "b"), (4.0, "a"), (5.0, "b")]
    assert world.last_background == 5.0


def test_a_rule_with_a_hint_and_a_note_speaks_unheld_and_marks_the_gap(tmp_path: Path) -> None:
    extra = '''[director]
background_gap = 10
[[director.rules]]
id = "tip"
when = "elapsed >= 1"
once = true
hint = "Try it."
[[director.rules]]
id = "noted"
when = "elapsed >= 2"
once = true
hint = "Look up."
note = "Be brisk."
[[director.rules]]
id = "quiet"
when = "elapsed >= 3"
once = true
note = "Slow down."
'''
    world = World(scene(tmp_path, extra))
    spoken = [(world.elapsed, r.id) for _ in range(4) for r in world.tick(1).rules]
    assert spoken == [(1.0, "tip"), (2.0, "noted"), (3.0, "quiet")]
    assert world.last_background == 2.0  # a note alone is not a background line


def test_background_due_measures_the_gap_from_the_last_line(tmp_path: Path) -> None:
    world = World(scene(tmp_path, "[director]\nbackground_gap = 5\n"))
    world.tick(2)
    world.mark_background()
    world.tick(4)
    assert not world.background_due()
    world.tick(1)
    assert world.background_due()  # exactly the gap
    world.mark_background()
    world.player_acted()
    assert not world.background_due()  # acted at the moment of the line: not since it
    world.tick(1)
    assert not world.background_due()
    world.player_acted()
    assert world.background_due()  # acted after the line: a rule may answer at once


def test_a_copy_shares_no_counters_with_its_original(tmp_path: Path) -> None:
    extra = LOOK + '[[director.rules]]\nid = "r"\nwhen = "elapsed >= 1"\ncooldown = 0\nnarration = "x"\n'
    world = World(scene(tmp_path, extra))
    clone = world.copy()
    clone.tick(2)
    clone.press("lever")
    clone.fire_signal("calm")
    clone.values["air"] = 1.0
    assert world.pressed == {"lever": 0, "hatch": 0} and world.last_press == {} and world.rule_last == {}
    assert world.fired == {"calm": 0} and world.values["air"] == 50.0
    assert world.names()["uses.lever"] == 0.0 and world.elapsed == 0.0
    assert clone.pressed["lever"] == 1 and clone.rule_last == {"r": 2.0} and clone.last_press == {"lever": 2.0}
