"""Background lines (a rule's hint or nudge, the director model's hint) are rate-limited across rules:
at most one per ``director.background_gap`` seconds, the rule whose turn is longest ago first."""

from __future__ import annotations

from pathlib import Path

from digital_actors.scene.loader import load_scene
from digital_actors.world import World
from tests.engine.conftest import BASE, write_scene

RULES = '''[[director.rules]]
id = "handle"
when = "elapsed >= 3"
cooldown = 4
hint = "Try the handle."
[[director.rules]]
id = "nudge"
when = "idle >= 4"
cooldown = 4
nudge = true
[[director.rules]]
id = "drowsy"
when = "idle >= 6"
cooldown = 100
hint = "You are nodding off."
[[director.rules]]
id = "alarm"
when = "elapsed >= 9"
once = true
hint = "The alarm: look at the air."
effects = { air = "-1" }
[[director.rules]]
id = "clank"
when = "elapsed >= 4"
cooldown = 1
narration = "A clank."
[[endings]]'''


def world(tmp_path: Path, gap: str = "") -> World:
    text = BASE.replace("[[endings]]", gap + "\n" + RULES, 1) if gap else BASE.replace("[[endings]]", RULES, 1)
    return World(load_scene(write_scene(tmp_path / "t", text)))


def spoken(w: World, seconds: int) -> list[tuple[int, str]]:
    out = []
    for _ in range(seconds):
        for rule in w.tick(1).rules:
            out.append((round(w.elapsed), rule.id))
    return out


def test_one_background_line_per_gap_and_the_longest_waiting_rule_first(tmp_path: Path) -> None:
    w = world(tmp_path, "[director]\nbackground_gap = 5")
    fired = spoken(w, 20)
    speaking = [(t, r) for t, r in fired if r not in ("clank", "alarm")]
    # handle at 3; nudge (due at 4) waits to 8; the alarm speaks at 9 unheld (it has effects) and counts;
    # at 14 handle and drowsy are both due: drowsy, which never spoke, goes first
    assert speaking == [(3, "handle"), (8, "nudge"), (14, "drowsy"), (19, "handle")]
    assert [t for t, r in fired if r == "clank"] == list(range(4, 21))  # a silent rule is never held back
    assert (9, "alarm") in fired and w.values["air"] == 49  # nor is one with effects the story depends on


def test_a_player_who_acts_may_be_answered_at_once(tmp_path: Path) -> None:
    w = world(tmp_path, "[director]\nbackground_gap = 5")
    assert spoken(w, 3) == [(3, "handle")]
    assert spoken(w, 1) == [(4, "clank")]  # the nudge is due, but waits for the gap
    w.player_acted()  # at 4: the handle's next turn (at 7) may answer what they did, inside the gap
    assert [(t, r) for t, r in spoken(w, 3) if r != "clank"] == [(7, "handle")]


def test_the_default_gap_is_fifteen_seconds_and_zero_turns_it_off(tmp_path: Path) -> None:
    default = spoken(world(tmp_path / "a"), 40)
    assert [t for t, r in default if r not in ("clank", "alarm")] == [3, 24, 39]  # the alarm's line at 9 counts
    off = spoken(world(tmp_path / "b", "[director]\nbackground_gap = 0"), 8)
    assert [(t, r) for t, r in off if r not in ("clank", "alarm")] == [
        (3, "handle"), (4, "nudge"), (6, "drowsy"), (7, "handle"), (8, "nudge")]
    late = world(tmp_path / "c", "[director]\nbackground_gap = 0")
    late.elapsed = late.idle = 9.0  # all three due at once: with no gap, all three speak, in file order
    assert [r.id for r in late.tick(1).rules if r.id != "clank"] == ["handle", "nudge", "drowsy", "alarm"]


def test_the_model_directors_hints_share_the_gap(tmp_path: Path) -> None:
    w = world(tmp_path, "[director]\nbackground_gap = 5")
    assert w.background_due()
    spoken(w, 3)  # the handle hint at 3
    assert not w.background_due()
    spoken(w, 4)  # the nudge at 8 is not yet due at 7
    assert not w.background_due()
    spoken(w, 1)  # the nudge spoke at 8
    assert not w.background_due()
    w.elapsed = 13.0
    assert w.background_due()
    w.mark_background()
    assert not w.background_due()
    assert w.copy().last_background == 13.0  # exploration copies carry it
