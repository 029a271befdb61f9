"""Sentry is optional and lazy; JSON logs carry the fields the deployment guide queries."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import shutil
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from digital_actors import events as ev
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.fake import ScriptedChatModel
from digital_actors.logging import configure_logging
from digital_actors.scene.loader import load_scene
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.sentry_inbox import SentryInbox
from tests.llm.helpers import REQUEST, drain
from tests.llm_actor.helpers import harness
from tests.web.conftest import FIXTURES, open_ws, until
from web import create_app, protocol
from web.keys import SETTINGS
from web.middlewares import access_log
from web.observability import init_sentry
from web.server import handler_options

ROOT = Path(__file__).parents[2]
KEY = "fake-anthropic-key-Hq2Zx9"


def test_sentry_is_off_without_a_dsn(settings: Settings) -> None:
    assert init_sentry(settings) is False


def test_a_missing_sentry_package_is_one_warning(settings_factory: Callable[..., Settings],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # import fails as if not installed
    with capture_logs() as logs:
        assert init_sentry(settings_factory(sentry_dsn="https://key@sentry.example/1")) is False
    assert [e["event"] for e in logs] == ["sentry_unavailable"]
    assert "digital-actors[sentry]" in logs[0]["hint"]


def test_sentry_is_configured_from_settings(settings_factory: Callable[..., Settings],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    sdk = types.ModuleType("sentry_sdk")
    sdk.init = lambda **kw: calls.append(kw)  # type: ignore[attr-defined]
    integrations = types.ModuleType("sentry_sdk.integrations.aiohttp")
    integrations.AioHttpIntegration = lambda: "aiohttp-integration"  # type: ignore[attr-defined]
    logging_integration = types.ModuleType("sentry_sdk.integrations.logging")
    logging_integration.LoggingIntegration = lambda **kw: ("logging-integration", kw)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentry_sdk", sdk)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.aiohttp", integrations)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.logging", logging_integration)
    settings = settings_factory(sentry_dsn="https://key@sentry.example/1", env="production",
                                sentry_traces_sample_rate=0.25, anthropic_api_key="fake-anthropic-Zq81")
    assert init_sentry(settings) is True
    [call] = calls
    scrub = call.pop("before_send")
    assert call.pop("before_breadcrumb") is scrub
    assert call == {"dsn": "https://key@sentry.example/1", "environment": "production",
                    "traces_sample_rate": 0.25, "auto_enabling_integrations": False,
                    "include_local_variables": False,
                    "integrations": ["aiohttp-integration",
                                     ("logging-integration", {"level": logging.INFO,
                                                              "event_level": logging.ERROR})]}
    event = {"message": "failed with fake-anthropic-Zq81", "extra": {"dsn": "https://key@x/1",
                                                                   "input_tokens": 12}}
    assert scrub(event, {}) == {"message": "failed with [redacted]",
                                "extra": {"dsn": "[redacted]", "input_tokens": 12}}


async def test_access_log_is_one_json_line_without_the_query() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", json=True, env="production", stream=stream)
    try:
        from aiohttp import web
        from aiohttp.test_utils import make_mocked_request

        request = make_mocked_request("GET", "/ws?token=abcdefSECRET")

        async def handler(_: web.Request) -> web.Response:
            return web.Response(status=204)

        await access_log(request, handler)
    finally:
        configure_logging(level="INFO")
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["event_type"] == "http_request" and line["path"] == "/ws" and line["status"] == 204
    assert {"@timestamp", "severity", "response_time_ms", "env"} <= set(line)
    assert "SECRET" not in stream.getvalue()


@pytest.fixture
def sentry_inbox() -> Iterator[SentryInbox]:
    """A local Sentry endpoint; the SDK is switched off again afterwards."""
    with SentryInbox() as inbox:
        try:
            yield inbox
        finally:
            sentry_sdk.get_client().close(timeout=2)
            sentry_sdk.get_global_scope().set_client(None)
            configure_logging(level="WARNING")


def error_events(inbox: SentryInbox) -> list[dict[str, Any]]:
    sentry_sdk.flush(timeout=5)
    return inbox.events()


def exceptions(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["type"], e["value"]) for e in event.get("exception", {}).get("values", [])]


async def test_a_handler_that_raises_reaches_sentry(settings_factory: Callable[..., Settings],
                                                    engine: Engine, sentry_inbox: SentryInbox) -> None:
    settings = settings_factory(sentry_dsn=sentry_inbox.dsn, anthropic_api_key=KEY)
    configure_logging(level="INFO", json=True, stream=io.StringIO(), secrets=settings.secret_values())
    assert init_sentry(settings) is True
    app = create_app(settings, engine=engine, pace=0)

    async def boom(_: web.Request) -> web.Response:
        raise RuntimeError(f"handler broke holding {KEY}")

    app.router.add_get("/api/boom", boom)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/api/boom")
        assert response.status == 500 and await response.json() == {"error": "internal server error"}
    [event] = error_events(sentry_inbox)
    assert exceptions(event) == [("RuntimeError", "handler broke holding [redacted]")]
    assert event["logger"] == "digital_actors.errors" and event["level"] == "error"
    assert event["logentry"]["message"] == "http_handler_failed"
    assert all(KEY.encode() not in body for body in sentry_inbox.raw)
    assert set(sentry_inbox.paths) == {"/api/42/envelope/"}


async def test_a_failed_session_task_reaches_sentry(settings_factory: Callable[..., Settings],
                                                    sentry_inbox: SentryInbox) -> None:
    settings = settings_factory(sentry_dsn=sentry_inbox.dsn)
    configure_logging(level="INFO", json=True, stream=io.StringIO())
    assert init_sentry(settings) is True
    model = ScriptedChatModel(lambda _: "Fine. Go.")
    async with harness(load_scene(FIXTURES / "mini"), model=model, suggestions=True) as h:
        async def broken(*_: object) -> list[str]:
            raise RuntimeError("suggestions broke")

        h.session.actor.suggestions_later = broken  # type: ignore[attr-defined]
        await h.session.say("hello")
        await h.settle()
    [event] = error_events(sentry_inbox)
    assert exceptions(event) == [("RuntimeError", "suggestions broke")]
    assert event["logentry"]["message"] == "session_task_failed"


def json_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(the JSON objects, the lines that are not one)."""
    good: list[dict[str, Any]] = []
    bad: list[str] = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        (good if isinstance(value, dict) else bad).append(value if isinstance(value, dict) else line)
    return good, bad


async def bad_request(address: tuple[str, int], path: str) -> bytes:
    """A request aiohttp cannot parse: its server logger writes an error whose traceback quotes the
    request line, query string included."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(f"GET {path} HTTP/9.9\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_every_log_line_is_json(level: str, app: web.Application) -> None:
    stream = io.StringIO()
    configure_logging(level=level, json=True, env="production", stream=stream, secrets=[KEY])
    try:
        async with FakeAnthropic() as provider:
            model = AnthropicChatModel(api_key=KEY, model="claude-test", base_url=provider.url,
                                       max_retries=0)
            assert (await drain(model.stream(REQUEST))).text == "Hello there."
            await model.aclose()
        async with TestServer(app) as server:  # aiohttp's own logger: an ERROR with a traceback
            assert b"400" in await bad_request((server.host, server.port), "/ws?token=PLAYERTOKEN123&x=1")
        runner = web.AppRunner(app, access_log=None, **handler_options(app[SETTINGS]))  # as `serve` runs
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            assert b"400" in await bad_request(runner.addresses[0][:2], "/ws?token=PLAYERTOKEN456&x=1")
        finally:
            await runner.cleanup()
        logging.getLogger("some.library").warning("a library line with %s", KEY)
    finally:
        configure_logging(level="WARNING")
    text = stream.getvalue()
    good, bad = json_lines(text)
    assert bad == []
    assert any(e["event"].startswith("Error handling request") and e["severity"] == "ERROR"
               and "PLAYERTOKEN123" in e["exception"].replace("[redacted]", "PLAYERTOKEN123")
               for e in good)  # aiohttp's traceback quoted the request line, inside the JSON
    assert any(e["event"].startswith("malformed request") and e["severity"] == "INFO"
               and "token=[redacted]" in e["event"] for e in good)
    assert "PLAYERTOKEN456" not in text
    assert any(e["event"] == "a library line with [redacted]" for e in good)
    assert "PLAYERTOKEN123" not in text and KEY not in text
    assert "You are Mara" not in text  # prompts are not logged unless LOG_PROMPTS
    sdk_lines = [e for e in good if str(e.get("logger", "")).startswith(("anthropic", "httpx"))]
    assert bool(sdk_lines) == (level == "DEBUG")  # the SDKs' own lines, as JSON


async def test_prompts_are_logged_only_when_asked() -> None:
    outputs = {}
    for log_prompts in (False, True):
        stream = io.StringIO()
        configure_logging(level="DEBUG", json=True, stream=stream, log_prompts=log_prompts)
        try:
            async with FakeAnthropic() as provider:
                model = AnthropicChatModel(api_key=KEY, model="claude-test", base_url=provider.url)
                await drain(model.stream(REQUEST))
                await model.aclose()
        finally:
            configure_logging(level="WARNING")
        outputs[log_prompts] = stream.getvalue()
    assert "You are Mara" not in outputs[False] and "What do we do?" not in outputs[False]
    prompts = [e for e in json_lines(outputs[True])[0] if e["event"] == "llm_prompt"]
    assert prompts and prompts[0]["system"].startswith("You are Mara")
    assert prompts[0]["messages"] == [{"role": "user", "content": "What do we do?"}]


def documented_queries() -> list[str]:
    """The jq filters of docs/DEPLOYMENT.md's Logs section."""
    text = (ROOT / "docs" / "DEPLOYMENT.md").read_text(encoding="utf-8")
    return [line.split("jq -c ", 1)[1].strip().strip("'") for line in text.splitlines()
            if "| jq -c '" in line]


async def test_one_session_id_follows_a_player_from_the_socket_into_the_dialogue(
        settings: Settings, engine: Engine) -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", json=True, stream=stream)
    try:
        app = create_app(settings, engine=engine, pace=0)
        async with TestClient(TestServer(app)) as client:
            ws = await open_ws(client)
            await ws.send_json({"type": "start", "scene": "mini"})
            await until(ws, "LineFinished")
            await ws.send_json({"type": "say", "text": "What is your name?"})
            reply, _ = await until(ws, "LineFinished")
            assert reply["text"] == "Bob."
            await ws.close()
    finally:
        configure_logging(level="WARNING")
    lines, bad = json_lines(stream.getvalue())
    assert bad == []
    [welcome_id] = {e["session_id"] for e in lines if e["event"] == "ws_connected"}
    mine = [e for e in lines if e.get("session_id") == welcome_id]
    events = {e["event"] for e in mine}
    assert {"session_issued", "ws_connected", "scene_started", "turn"} <= events
    [turn] = [e for e in mine if e["event"] == "turn"]
    assert turn["event_type"] == "dialogue_generated" and turn["scene"] == "mini"
    # The documented queries find the same lines (jq itself when it is installed).
    queries = documented_queries()
    assert 'select(.session_id=="3f2a9c1b7d20")' in queries
    if shutil.which("jq") is not None:
        one_player = next(q for q in queries if "session_id==" in q).replace("3f2a9c1b7d20", welcome_id)
        found = jq(one_player, stream.getvalue())
        assert [json.loads(line)["event"] for line in found] == [e["event"] for e in mine]
        rows = jq(next(q for q in queries if "dialogue_generated" in q), stream.getvalue())
        assert json.loads(rows[0])["session_id"] == welcome_id


def jq(query: str, text: str) -> list[str]:
    """The lines ``jq -c QUERY`` prints for ``text``."""
    jq_path = shutil.which("jq")
    assert jq_path is not None
    return subprocess.run([jq_path, "-c", query], input=text, capture_output=True, text=True,
                          check=True).stdout.splitlines()


async def test_a_broken_event_pump_reaches_sentry(settings_factory: Callable[..., Settings], engine: Engine,
                                                  sentry_inbox: SentryInbox,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_factory(sentry_dsn=sentry_inbox.dsn)
    configure_logging(level="INFO", json=True, stream=io.StringIO())
    assert init_sentry(settings) is True
    real = protocol.player_view

    def broken(event: ev.Event) -> dict[str, Any] | None:
        if isinstance(event, ev.PlayerSaid):
            raise RuntimeError("the pump broke on PlayerSaid")
        return real(event)

    monkeypatch.setattr(protocol, "player_view", broken)
    async with TestClient(TestServer(create_app(settings, engine=engine, pace=0))) as client:
        ws = await open_ws(client)
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "LineFinished")
        await ws.send_json({"type": "say", "text": "What is your name?"})
        reply, _ = await until(ws, "LineFinished")  # the scene goes on without that one frame
        assert reply["text"] == "Bob."
        await ws.close()
    [event] = error_events(sentry_inbox)
    assert exceptions(event) == [("RuntimeError", "the pump broke on PlayerSaid")]
    assert event["logentry"]["message"] == "event_delivery_failed"
