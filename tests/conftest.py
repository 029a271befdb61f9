"""Every test gets its own DIGITAL_ACTORS_HOME, no API keys and no developer settings: offline,
isolated, and deaf to a ``.env`` file or a setting exported in the shell that runs the suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from digital_actors.config import Settings

# Read by the engine outside Settings, or by the SDKs themselves.
EXTRA = ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "DIGITAL_ACTORS_SCENES", "DIGITAL_ACTORS_DB", "DATABASE_URL")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "da-home"
    # No .env: a developer's file in the working directory must not reach a test (a real key in it would
    # be used), in this process or in a command a test runs.
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    monkeypatch.setenv("DIGITAL_ACTORS_ENV_FILE", "")
    for name in {*(field.upper() for field in Settings.model_fields), *EXTRA}:
        monkeypatch.delenv(name, raising=False)
    for name in [k for k in os.environ if k.startswith("ELEVENLABS_VOICE_")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGITAL_ACTORS_HOME", str(home))
    # No synthesis unless a test asks for it (Piper is installed in CI and would speak every line).
    monkeypatch.setenv("VOICE", "false")
    return home


@pytest.fixture(autouse=True)
def fresh_logging() -> Iterator[None]:
    """A command a test runs configures logging for its process (``check`` sets ERROR): the next
    test starts from structlog's defaults again, so ``capture_logs`` sees every level."""
    yield
    structlog.reset_defaults()
