"""Every test gets its own DIGITAL_ACTORS_HOME and no API keys: offline and isolated."""

from __future__ import annotations

from pathlib import Path

import pytest

KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "ELEVENLABS_API_KEY",
        "OPENAI_BASE_URL", "DIGITAL_ACTORS_SCENES", "DIGITAL_ACTORS_DB", "LLM_PROVIDER")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "da-home"
    monkeypatch.setenv("DIGITAL_ACTORS_HOME", str(home))
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    # No synthesis unless a test asks for it (Piper is installed in CI and would speak every line).
    monkeypatch.setenv("VOICE", "false")
    return home
