"""Every built-in scene is valid, explored to every ending, and played to every ending by its tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from digital_actors.authoring.check import check_scene
from digital_actors.authoring.playtest import find_play_files, parse_play, run_play_file
from digital_actors.scene.loader import load_scene

SCENES = Path(__file__).parents[2] / "scenes"
IDS = sorted(p.parent.name for p in SCENES.glob("*/scene.toml"))
PLAYS = [p for scene_id in IDS for p in find_play_files(SCENES / scene_id)]


def test_the_built_in_scenes_are_there() -> None:
    assert {"welcome", "pressure_point"} <= set(IDS)


@pytest.mark.parametrize("scene_id", IDS)
def test_scene_shape(scene_id: str) -> None:
    scene = load_scene(SCENES / scene_id)
    kinds = [e.kind for e in scene.endings]
    assert kinds.count("success") >= 2 and kinds.count("failure") >= 2
    assert kinds == sorted(kinds), "failures are listed before successes"
    last = scene.phases[-1].id
    for ending in scene.endings:
        if ending.kind == "success":
            assert "phase" in ending.when_expr.names, f"{ending.id} can succeed outside the last phase ({last})"
        else:
            assert len(ending.hint) > 20, f"{ending.id}: a failure gives the player one authored hint"
    assert (SCENES / scene_id / "README.md").is_file()


@pytest.mark.parametrize("scene_id", IDS)
def test_check_is_clean_and_every_ending_is_reachable(scene_id: str) -> None:
    report = check_scene(load_scene(SCENES / scene_id), budget=20)
    assert report.ok, "\n".join(map(str, report.findings))
    assert not report.findings, "\n".join(map(str, report.findings))


@pytest.mark.parametrize("scene_id", IDS)
def test_every_ending_has_a_playthrough(scene_id: str) -> None:
    scene = load_scene(SCENES / scene_id)
    expected = {s.arg.split(" ", 1)[1].strip() for f in find_play_files(SCENES / scene_id)
                for s in parse_play(f)[0] if s.command == "expect" and s.arg.startswith("ending ")}
    assert {e.id for e in scene.endings} <= expected


@pytest.mark.parametrize("play", PLAYS, ids=[f"{p.parent.parent.name}/{p.name}" for p in PLAYS])
async def test_playthrough(play: Path) -> None:
    result = await run_play_file(play)
    assert result.passed, "\n".join(result.failures)
