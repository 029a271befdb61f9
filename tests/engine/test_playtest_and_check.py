from __future__ import annotations

from pathlib import Path

from digital_actors.authoring.check import check_path, check_scene
from digital_actors.authoring.playtest import find_play_files, parse_play, run_play_file
from digital_actors.scene.loader import load_scene
from tests.engine.conftest import BASE, write_scene


async def test_mini_playthroughs_pass(mini_dir: Path) -> None:
    files = find_play_files(mini_dir)
    assert [f.name for f in files] == ["a.play", "b.play"]
    results = [await run_play_file(f) for f in files]
    assert [(r.passed, r.ending) for r in results] == [(True, "friends"), (True, "suffocated")]


async def test_failure_names_file_line_and_state(mini_dir: Path) -> None:
    play = mini_dir / "tests" / "c.play"
    play.write_text("# comment\nwait 10\n\nexpect air >= 95\n", encoding="utf-8")
    result = await run_play_file(play)
    [failure] = result.failures
    assert failure.startswith(f"{play}:4: expected air >= 95")
    assert "state: elapsed=10 phase=2 idle=10 air=90 bond=0 ending=none" in failure


async def test_expectations_on_lines_refusals_and_endings(mini_dir: Path) -> None:
    play = mini_dir / "tests" / "d.play"
    play.write_text("say your name?\nexpect line BOB\npress pump\nexpect refused\n", encoding="utf-8")
    result = await run_play_file(play)
    assert result.failures and "expected the last press to be refused" in result.failures[0]
    play.write_text("expect ending friends\n", encoding="utf-8")
    assert "got no ending yet" in (await run_play_file(play)).failures[0]


def test_syntax_problems_are_reported(tmp_path: Path) -> None:
    play = tmp_path / "x.play"
    play.write_text("jump 3\nwait soon\nsay\nwait 5\n", encoding="utf-8")
    steps, problems = parse_play(play)
    assert len(steps) == 1 and len(problems) == 3
    expected = "unknown command 'jump' (expected one of: say, press, wait, expect, seed, difficulty)"
    assert problems[0] == f"{play}:1: {expected}"


def test_check_finds_witnesses_for_every_ending(mini_dir: Path) -> None:
    [report] = check_path(mini_dir)
    assert report.ok and set(report.witnesses) == {"friends", "suffocated"}
    # The mini scene has no steering lines (its fallback is what other tests hear): one warning a phase.
    # And two pumps and two thank-yous make friends at once, far under a third of its 5 minutes.
    assert [(f.level, f.where.rsplit(": ", 1)[-1]) for f in report.findings] == [
        ("warning", "script.steer.1"), ("warning", "script.steer.2"), ("warning", "endings.friends")]


def test_check_warns_about_each_phase_without_steering_lines(tmp_path: Path) -> None:
    two = BASE + '[[phases]]\nid = 2\ntitle = "Two"\nenter = "air >= 60"\n'
    bare = check_scene(load_scene(write_scene(tmp_path / "a", two)), budget=0.5)
    assert [f.where.rsplit(": ", 1)[-1] for f in bare.findings if "steer" in f.where] == ["script.steer.1",
                                                                                          "script.steer.2"]
    assert all(f.level == "warning" for f in bare.findings if "steer" in f.where)
    half = check_scene(load_scene(write_scene(tmp_path / "b", two + '[script.steer]\n2 = ["The pump!"]\n')), budget=0.5)
    assert [f.where.rsplit(": ", 1)[-1] for f in half.findings if "steer" in f.where] == ["script.steer.1"]


def test_check_rejects_an_ending_true_at_start_and_unreachable_ones(tmp_path: Path) -> None:
    at_start = load_scene(write_scene(tmp_path / "a", BASE.replace('when = "air >= 100"', 'when = "air >= 10"')))
    report = check_scene(at_start, budget=1)
    assert not report.ok and "holds at the start" in str(report.findings[0])
    impossible = BASE.replace('when = "air >= 100"', 'when = "air >= 100 and air < 0"')
    never = load_scene(write_scene(tmp_path / "b", impossible))
    report = check_scene(never, budget=0.5)
    assert not report.ok and any("endings.done" in str(f) and "not reached" in str(f) for f in report.findings)


def test_check_warns_about_unused_state_and_dead_controls(tmp_path: Path) -> None:
    text = BASE.replace("[[endings]]", '''[state.ghost]
[state.air_rate]
rate = 10
show = "hidden"
[[controls]]
id = "never"
label = "NEVER"
when = "air > 1000"
effects = { air = "+1" }
[[endings]]''').replace('when = "air >= 100"', 'when = "elapsed >= 5"')
    report = check_scene(load_scene(write_scene(tmp_path / "c", text)), budget=0.5)
    found = "\n".join(str(f) for f in report.findings)
    assert report.ok
    assert "state.ghost: warning: is hidden and never read" in found
    assert "controls.never: warning: never became available" in found
    assert "script.controls.never: warning: no lines" in found


def test_check_reports_load_errors_with_locations(tmp_path: Path) -> None:
    folder = write_scene(tmp_path / "d", BASE.replace('when = "air >= 100"', 'when = "oxygen > 1"'))
    [report] = check_path(folder)
    assert not report.ok and "endings[0].when" in str(report.findings[0])


RISING = BASE.replace('[state.air]\nstart = 50', '[state.air]\nstart = 50\nrate = 1')  # `done` at 50 s, untouched
TIMED = RISING.replace("[[endings]]", '''[[controls]]
id = "pump"
label = "PUMP"
key = "1"
effects = { air = "+25" }
[[endings]]''')


def test_check_warns_when_a_success_comes_in_under_a_third_of_minutes(tmp_path: Path) -> None:
    # Four presses of the pump reach `done` (air 100) at once: far under a third of 3 minutes (60 s).
    quick = check_scene(load_scene(write_scene(tmp_path / "a", 'minutes = 3\n' + TIMED)), budget=2)
    [finding] = [f for f in quick.findings if f.where.rsplit(": ", 1)[-1] == "endings.done"]
    assert finding.level == "warning"
    assert "under a third of the scene's 3 minutes (60 s)" in finding.message
    assert f"reached {quick.fastest['done']:.0f} s in" in finding.message and quick.fastest["done"] < 60


def test_check_is_quiet_when_the_fastest_success_takes_a_third_of_minutes(tmp_path: Path) -> None:
    # The same scene with the pump gone: air rises 1 a second, so `done` takes 50 s, a third of
    # 2.5 minutes exactly (50 s), and no faster path exists.
    report = check_scene(load_scene(write_scene(tmp_path / "b", 'minutes = 2.5\n' + RISING)), budget=2)
    assert report.fastest["done"] == 50
    assert not [f for f in report.findings if "under a third" in f.message]
    # ...and a third of 3 minutes (60 s) is more than 50 s: the same scene advertised longer warns.
    longer = check_scene(load_scene(write_scene(tmp_path / "c", 'minutes = 3\n' + RISING)), budget=2)
    assert [f.where.rsplit(": ", 1)[-1] for f in longer.findings if "under a third" in f.message] == ["endings.done"]


def test_check_warns_about_a_role_that_ends_with_a_full_stop(tmp_path: Path) -> None:
    dotted = check_scene(load_scene(write_scene(tmp_path / "a", BASE.replace('role = "tester"', 'role = "a tester."'))),
                         budget=0.5)
    assert any(f.where.endswith("player.role") and "ends with '.'" in f.message for f in dotted.findings)
    plain = check_scene(load_scene(write_scene(tmp_path / "b", BASE)), budget=0.5)
    assert not any(f.where.endswith("player.role") for f in plain.findings)
