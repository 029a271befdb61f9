"""A developer's ``.env`` (or a setting exported in their shell) never reaches a test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digital_actors.config import Settings

LEAKY = "ANTHROPIC_API_KEY=sk-ant-real-key-from-a-developer\nLLM_PROVIDER=anthropic\nLOG_LEVEL=DEBUG\n"


def test_a_dotenv_in_the_working_directory_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(LEAKY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.anthropic_api_key is None and settings.llm_provider == "auto" and settings.log_level == "INFO"
    # ... and in a command a test runs from there.
    out = subprocess.run([sys.executable, "-m", "digital_actors", "config"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    assert "LLM_PROVIDER=auto" in out.stdout and "ANTHROPIC_API_KEY=\n" in out.stdout


def test_outside_the_suite_the_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(LEAKY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DIGITAL_ACTORS_ENV_FILE"}
    out = subprocess.run([sys.executable, "-m", "digital_actors", "config"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "LLM_PROVIDER=anthropic" in out.stdout and "ANTHROPIC_API_KEY=********" in out.stdout
    assert "sk-ant-real" not in out.stdout

