"""The code stays clean: ruff everywhere, mypy --strict on the engine and the front ends (STYLE.md §20)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_ruff_is_clean() -> None:
    out = run(sys.executable, "-m", "ruff", "check", ".", "--output-format", "concise")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_on_the_engine_and_both_front_ends() -> None:
    out = run(sys.executable, "-m", "mypy")  # packages from pyproject: digital_actors, tui, web
    assert out.returncode == 0, out.stdout + out.stderr
