"""Fixtures for the provider tests: local fake servers and a sleep that only records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.llm.helpers import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def anthropic_server() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


@pytest.fixture
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ambient keys or base URLs must never leak into these tests."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "OPENAI_API_KEY",
                 "OPENAI_BASE_URL", "OPENAI_MODEL", "GOOGLE_API_KEY", "GEMINI_MODEL",
                 "LLM_PROVIDER", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
