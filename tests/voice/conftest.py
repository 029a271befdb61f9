"""Fixtures for the voice tests: the fake ElevenLabs server and a clock that never waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.voice.fake_elevenlabs import FakeElevenLabs


class RecordingClock:
    """Real monotonic ``now``; ``sleep`` records the delay and only yields to the loop."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


@pytest.fixture
async def fake_elevenlabs() -> AsyncIterator[FakeElevenLabs]:
    async with FakeElevenLabs() as server:
        yield server


@pytest.fixture(autouse=True)
def voice_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite turns voices off by default (tests/conftest.py); these tests are about voices."""
    monkeypatch.setenv("VOICE", "true")
