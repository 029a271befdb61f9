from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from digital_actors.cli import cli


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.output


def test_scenes_lists_scene_folders(mini_dir: Path) -> None:
    code, out = run("--scenes", str(mini_dir.parent), "scenes")
    assert code == 0 and "mini" in out and "--scenes" in out


def test_check_exit_codes(mini_dir: Path, tmp_path: Path) -> None:
    code, out = run("check", str(mini_dir), "--explain")
    assert code == 0 and "ok" in out and "friends:" in out
    assert "(the fastest playthrough found took " in out
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "scene.toml").write_text('id = "bad"\ntitle = 3\n', encoding="utf-8")
    code, out = run("check", str(bad))
    assert code == 1 and "FAIL" in out and "required key is missing" in out


def test_test_command_exit_codes(mini_dir: Path) -> None:
    code, out = run("test", str(mini_dir))
    assert code == 0 and out.strip().endswith("2 passed, 0 failed")
    (mini_dir / "tests" / "z.play").write_text("wait 1\nexpect phase == 2\n", encoding="utf-8")
    code, out = run("test", str(mini_dir))
    assert code == 1 and "z.play:2: expected phase == 2" in out and "1 failed" in out


def test_usage_errors_exit_2(mini_dir: Path) -> None:
    assert run("play", "nope", "--scenes", str(mini_dir.parent))[0] == 2
    code, out = run("--scenes", str(mini_dir.parent), "play", "mini", "--set", "oxygen=3")
    assert code == 2 and "known: air, bond" in out
    code, out = run("--scenes", str(mini_dir.parent), "play", "mini", "--phase", "9")
    assert code == 2 and "no phase 9" in out
    assert run("--bogus")[0] == 2
    assert run("test", "no/such/path")[0] == 2


def test_config_masks_secrets(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-very-secret-value")
    code, out = run("config")
    assert code == 0 and "ANTHROPIC_API_KEY=********" in out and "very-secret" not in out


def test_piped_play_is_deterministic_and_reaches_an_ending(mini_dir: Path) -> None:
    script = "what's your name?\n/1\n/press pump\nthank you\nthank you\n"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "digital_actors", "--scenes", str(mini_dir.parent), "play", "mini", "--plain"]
    outs = [subprocess.run(cmd, input=script, capture_output=True, text=True, env=env, timeout=60) for _ in range(2)]
    assert outs[0].returncode == 0, outs[0].stderr
    assert outs[0].stdout == outs[1].stdout
    out = outs[0].stdout
    assert "Bob: Hello? Anyone?" in out and "> what's your name?" in out and "Bob: Bob." in out
    assert "* PUMP: cooling down (2 s)." in out
    assert "Friends (success)" not in out  # phase 2 needs a second accepted pump press
    assert "input ended" in out


def test_piped_play_to_an_ending(mini_dir: Path) -> None:
    script = "/1\n" + "thank you\n" * 2
    cmd = [sys.executable, "-m", "digital_actors", "--scenes", str(mini_dir.parent), "play", "mini",
           "--plain", "--set", "air=5", "--phase", "2"]
    out = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "*** Friends (success) ***" in out.stdout and "Bob: Thanks, friend." in out.stdout
