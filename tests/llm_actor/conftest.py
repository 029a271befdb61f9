"""Fixtures for the LLM actor tests: scenes, fake provider servers, no ambient keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from digital_actors.scene.loader import load_scene
from digital_actors.scene.model import Scene
from tests.llm_actor.helpers import RoutedAnthropic, RoutedOpenAI

ROOT = Path(__file__).parents[2]
MINI_DIR = ROOT / "tests" / "engine" / "fixtures" / "mini"
PRESSURE_DIR = ROOT / "scenes" / "pressure_point"


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ambient keys or base URLs must never leak into these tests."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "OPENAI_API_KEY",
                 "OPENAI_BASE_URL", "OPENAI_MODEL", "GOOGLE_API_KEY", "GEMINI_MODEL",
                 "LLM_PROVIDER", "ANTHROPIC_AUTH_TOKEN", "DIRECTOR_LLM", "SUGGESTIONS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mini() -> Scene:
    return load_scene(MINI_DIR)


@pytest.fixture
def pressure() -> Scene:
    return load_scene(PRESSURE_DIR)


@pytest.fixture
async def anthropic_server() -> AsyncIterator[RoutedAnthropic]:
    async with RoutedAnthropic() as server:
        yield server


@pytest.fixture
async def openai_server() -> AsyncIterator[RoutedOpenAI]:
    async with RoutedOpenAI() as server:
        yield server
