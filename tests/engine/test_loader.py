from __future__ import annotations

from pathlib import Path

import pytest

from digital_actors.errors import SceneError
from digital_actors.scene.loader import discover, find_scene, load_scene
from tests.engine.conftest import BASE, write_scene


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(SceneError) as info:
        load_scene(folder)
    return info.value.problems or [info.value.message]


def test_mini_loads_with_briefs_and_compiled_parts(mini_dir: Path) -> None:
    scene = load_scene(mini_dir)
    assert scene.id == "mini" and scene.lead_id == "bob"
    assert scene.lead.brief_text == "A tester."
    assert scene.controls[0].compiled_effects[0].op == "add"
    assert scene.endings[0].when_expr.names == {"air"}


def test_effect_on_unknown_variable_names_file_key_path_and_known(tmp_path: Path) -> None:
    folder = write_scene(tmp_path / "t", BASE + '''
[[controls]]
id = "a"
label = "A"
[[controls]]
id = "b"
label = "B"
effects = { oxygen = "+1" }
''')
    [problem] = problems_of(folder)
    assert problem.endswith("scene.toml: controls[1].effects.oxygen: no state variable 'oxygen' (known: air)")


def test_unknown_key_and_wrong_type_are_both_reported(tmp_path: Path) -> None:
    folder = write_scene(tmp_path / "t", BASE.replace('start = 50', 'start = "lots"\nstrat = 5'))
    found = problems_of(folder)
    assert any("state.air.start" in p and "number" in p for p in found)
    assert any("state.air.strat: unknown key" in p for p in found)


def test_bad_expression_is_located(tmp_path: Path) -> None:
    folder = write_scene(tmp_path / "t", BASE.replace('when = "air >= 100"', 'when = "air >= 100 and __import__(1)"'))
    [problem] = problems_of(folder)
    assert "endings[0].when" in problem and "may be called" in problem


def test_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    folder = write_scene(tmp_path / "t", BASE + "\n[broken\n")
    [message] = problems_of(folder)
    assert "invalid TOML" in message and "line" in message


def test_missing_brief_file_duplicate_ids_and_script_references(tmp_path: Path) -> None:
    text = BASE.replace('brief = "inline brief"', 'brief = "missing.md"') + '''
[[signals]]
id = "s"
ask = "?"
keywords = ["x"]
[[signals]]
id = "s"
ask = "?"
keywords = ["y"]
[script.controls]
nope = ["hello"]
'''
    found = problems_of(write_scene(tmp_path / "t", text))
    assert any("cast.bob.brief: file 'missing.md' not found" in p for p in found)
    assert any("signals[1].id: 's' is used twice" in p for p in found)
    assert any("script.controls.nope: no such control" in p for p in found)


def test_steering_lines_are_keyed_by_phase_and_replies_take_only_terse_placeholders(tmp_path: Path) -> None:
    text = BASE + '''[script.steer]
1 = ["Back to work."]
9 = ["Nowhere."]
first = ["Not a phase id."]
[[script.replies]]
keywords = ["{yes}", "{no}", "{what}", "fine"]
lines = ["Good."]
[[script.replies]]
keywords = ["{name}", "{maybe}"]
lines = ["Hm."]
'''
    found = problems_of(write_scene(tmp_path / "t", text))
    label = str(tmp_path / "t" / "scene.toml")
    assert f"{label}: script.steer.9: no such phase (known: 1)" in found
    assert f"{label}: script.steer.first: no such phase (known: 1)" in found
    assert any("script.replies[1].keywords[0]: a reply answers only the placeholders {yes}, {no}, {what} "
               "(got '{name}')" in p for p in found)
    assert any("script.replies[1].keywords[1]:" in p for p in found)
    assert not any("script.steer.1" in p or "script.replies[0]" in p for p in found), found
    empty = BASE + '[script.steer]\n1 = []\n'
    assert any("script.steer.1: needs at least one line" in p for p in problems_of(write_scene(tmp_path / "e", empty)))


def test_start_outside_range_and_missing_fallback(tmp_path: Path) -> None:
    text = BASE.replace("start = 50", "start = 150").replace('[script]\nfallback = ["What?"]', "")
    found = problems_of(write_scene(tmp_path / "t", text))
    assert any("state.air.start: 150" in p for p in found)
    assert any("script.fallback" in p for p in found)


def test_phase_ids_must_increase(tmp_path: Path) -> None:
    text = BASE + '[[phases]]\nid = 1\ntitle = "Again"\nenter = "elapsed > 1"\n'
    assert any("phase ids must increase" in p for p in problems_of(write_scene(tmp_path / "t", text)))


def test_discovery_first_folder_wins_and_broken_scenes_are_listed(tmp_path: Path, mini_dir: Path) -> None:
    other = write_scene(tmp_path / "other" / "mini", BASE.replace('id = "t"', 'id = "mini"'))
    broken = write_scene(tmp_path / "other" / "broken", "id = 5")
    refs = discover([(mini_dir.parent, "first"), (other.parent, "second")])
    by_id = {r.id: r for r in refs}
    assert by_id["mini"].source == "first"
    assert by_id["broken"].scene is None and by_id["broken"].error is not None
    assert broken.exists()


def test_find_scene_unknown_lists_known(mini_dir: Path) -> None:
    with pytest.raises(SceneError) as info:
        find_scene("nope", [(mini_dir.parent, "x")])
    assert "no scene called 'nope'" in info.value.message and "mini" in (info.value.hint or "")
    assert find_scene("mini", [(mini_dir.parent, "x")]).id == "mini"
    assert find_scene(str(mini_dir), []).id == "mini"
