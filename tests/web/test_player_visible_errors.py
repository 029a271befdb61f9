"""``digital_actors_player_visible_errors_total`` counts what a player saw fail, once per turn —
never a retry, a suggestion or a judgement in the background — and the model's requests and
failures are counted per provider for the API error-rate alert."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.sse_server import Reply
from tests.web.conftest import open_ws, until
from web import create_app
from web.player import PlayerSession

Client = TestClient[web.Request, web.Application]
DOWN = Reply(status=503, error_type="api_error", error_message="upstream unavailable")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def visible(kind: str) -> float:
    return sample("digital_actors_player_visible_errors_total", kind=kind)


def turns() -> float:
    return sample("digital_actors_requests_total", scene="mini", character="bob", kind="say")


@pytest.fixture
async def provider() -> AsyncIterator[FakeAnthropic]:
    # Lines stream "Right here."; the judge's structured call answers "no".
    async with FakeAnthropic(default=Reply(chunks=["Right", " here", "."], tool_input={"kind": False})) as server:
        yield server


@pytest.fixture
async def client(settings_factory: Callable[..., Settings], provider: FakeAnthropic,
                 clock: FakeClock) -> AsyncIterator[Client]:
    # Breaker threshold 10: every failed line here is a real call, not the breaker's instant refusal.
    settings = settings_factory(anthropic_api_key="sk-ant-fake", anthropic_base_url=provider.url,
                                anthropic_model="claude-test", llm_max_retries=0, suggestions=False,
                                llm_breaker_failure_threshold=10)
    async with TestClient(TestServer(create_app(settings, engine=Engine(settings, clock=clock), pace=0))) as c:
        yield c


async def play(client: Client) -> Any:
    ws = await open_ws(client)
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")  # the authored opening
    return ws


async def test_a_delivered_turn_counts_no_failure_and_a_stand_in_counts_one(
        client: Client, provider: FakeAnthropic) -> None:
    before = {k: visible(k) for k in ("actor_failed", "turn_failed", "error_frame")}
    turns_before = turns()
    requests = sample("digital_actors_llm_requests_total", provider="anthropic")
    failed_requests = sample("digital_actors_llm_request_errors_total", provider="anthropic", kind="server")
    errors_all = sum(sample("digital_actors_errors_total", type=t) for t in ("llm_server",))
    ws = await play(client)

    await ws.send_json({"type": "say", "text": "are you there?"})
    line, _ = await until(ws, "LineFinished", lambda f: f["text"] == "Right here.")
    assert line["failed"] is False
    assert visible("actor_failed") == before["actor_failed"]
    assert sample("digital_actors_llm_requests_total", provider="anthropic") > requests

    provider.default = DOWN
    await ws.send_json({"type": "say", "text": "name?"})
    line, _ = await until(ws, "LineFinished")
    assert (line["text"], line["failed"]) == ("Bob.", True)  # the understudy's line stood in
    await ws.close()

    assert turns() == turns_before + 2
    assert visible("actor_failed") == before["actor_failed"] + 1
    assert visible("turn_failed") == before["turn_failed"] and visible("error_frame") == before["error_frame"]
    # The line's request and the judge's beside it both failed: the provider's failures count both,
    # the generic errors counter too, and neither is a failure the player saw twice.
    assert sample("digital_actors_llm_request_errors_total", provider="anthropic", kind="server") \
        == failed_requests + 2
    assert sample("digital_actors_errors_total", type="llm_server") == errors_all + 2


async def test_a_line_cut_short_by_the_provider_counts_once(client: Client, provider: FakeAnthropic) -> None:
    before = visible("actor_failed")
    ws = await play(client)
    provider.default = Reply(chunks=["Right", " here", " and"], stream_error_after=2, tool_input={"kind": False})
    await ws.send_json({"type": "say", "text": "are you there?"})
    line, _ = await until(ws, "LineFinished")
    assert line["text"].startswith("Right here") and line["failed"] is True
    await ws.close()
    assert visible("actor_failed") == before + 1


async def test_an_internal_error_frame_counts(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    before = visible("error_frame")
    ws = await play(client)

    async def broken(self: PlayerSession, command: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(PlayerSession, "handle", broken)
    await ws.send_json({"type": "say", "text": "hello"})
    error, _ = await until(ws, "Error")
    assert error["code"] == "internal"
    await ws.close()
    assert visible("error_frame") == before + 1
