"""What the README promises, checked against behaviour."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def run_shell(command: str, home: Path) -> subprocess.CompletedProcess[str]:
    # The console script of the interpreter running the tests, whether or not its venv is activated.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "DIGITAL_ACTORS_HOME": str(home)}
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def test_the_first_section_gives_exactly_a_play_command_and_a_test_command() -> None:
    first = README.split("\n---\n", 1)[0]
    blocks = [b.strip() for b in shell_blocks(first)]
    assert len(blocks) == 2
    play, tests = blocks
    assert play.endswith("digital-actors") and "python3 -m venv" in play
    assert tests.endswith("python -m pytest") and "python3 -m venv" in tests
    # CI runs the README's own test command (it reads it from here), in a brand-new venv.
    assert "README.md" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_piped_seed_example_gives_the_same_transcript_every_time(tmp_path: Path) -> None:
    [example] = [b.strip() for b in shell_blocks(README) if "--seed 1" in b and "printf" in b]
    assert "deterministic" in README or "same transcript every time" in README
    home = tmp_path / "home"  # one profile for both runs: memory must not change the second
    first = run_shell(example, home)
    second = run_shell(example, home)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "Smith" in first.stdout and "> Who are you?" in first.stdout  # it really played
    assert first.stdout.encode() == second.stdout.encode()


def test_the_see_it_section_shows_committed_screenshots_of_every_size() -> None:
    first, rest = README.split("\n---\n", 1)
    assert "docs/screenshots/" not in first  # the first section stays two commands
    links = re.findall(r"\]\((docs/screenshots/[^)]+\.png)\)", rest)
    assert {link.split("/")[-1].split("-")[0] for link in links} == {"1280x800", "1366x768", "360x740"}
    for link in links:
        assert (ROOT / link).is_file(), link
