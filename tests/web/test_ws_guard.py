"""WebSocket defences: tokens, origins, sizes, rates, garbage, shutdown, and what reaches the logs."""

from __future__ import annotations

import json
from collections.abc import Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.memory.store import SqliteMemoryStore
from tests.web.conftest import closed, frame, new_token, open_ws, until, yield_until
from web import create_app
from web.keys import REGISTRY
from web.wording import ORIGIN_CLOSED, SHUTTING_DOWN, TOKEN_CLOSED


async def _close_code(client, url: str, **kwargs) -> tuple[int, str]:
    ws = await client.ws_connect(url, **kwargs)
    msg = await closed(ws)
    await ws.close()
    return msg.data, msg.extra


async def test_missing_and_unknown_tokens_are_refused(client) -> None:
    assert await _close_code(client, "/ws") == (4401, TOKEN_CLOSED["missing"])
    code, reason = await _close_code(client, "/ws?token=not-a-real-token")
    assert code == 4401 and reason == TOKEN_CLOSED["unknown"]


async def test_an_unused_token_expires(client, clock: FakeClock) -> None:
    token = (await new_token(client))["token"]
    await clock.advance(601)
    code, reason = await _close_code(client, f"/ws?token={token}")
    assert code == 4401 and reason == TOKEN_CLOSED["expired"]


async def test_a_dropped_session_expires_after_the_resume_window(client, app: web.Application,
                                                                 clock: FakeClock) -> None:
    token = (await new_token(client))["token"]
    ws = await open_ws(client, token)
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await ws.close()
    player = app[REGISTRY].lookup(token)
    assert not isinstance(player, str)
    await yield_until(lambda: not player.connected)
    await clock.advance(125)  # past the 120 s window: the sweeper (every 5 s) closes it
    await yield_until(lambda: player.closed)
    assert len(app[REGISTRY]) == 0
    code, reason = await _close_code(client, f"/ws?token={token}")
    assert code == 4401 and reason == TOKEN_CLOSED["expired"]


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1.evil.example"])
async def test_foreign_origins_are_refused(client, origin: str) -> None:
    token = (await new_token(client))["token"]
    code, reason = await _close_code(client, f"/ws?token={token}", origin=origin)
    assert (code, reason) == (4403, ORIGIN_CLOSED)


async def test_same_origin_and_allowed_origins_connect(settings_factory: Callable[..., Settings],
                                                       engine: Engine) -> None:
    app = create_app(settings_factory(allowed_origins="https://game.example, http://localhost:3000"),
                     engine=engine, pace=0)
    async with TestClient(TestServer(app)) as client:
        host = f"http://{client.server.host}:{client.server.port}"
        for origin in (host, "https://game.example", "http://localhost:3000"):
            ws = await open_ws(client, origin=origin)
            await ws.close()
        token = (await new_token(client))["token"]
        assert (await _close_code(client, f"/ws?token={token}", origin="https://other.example"))[0] == 4403


async def test_oversize_frames_close_with_1009(client) -> None:
    ws = await open_ws(client)
    await ws.send_str(json.dumps({"type": "say", "text": "x" * 9000}))
    msg = await closed(ws)
    assert msg.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


async def test_rate_limit_warns_then_closes(settings_factory: Callable[..., Settings], clock: FakeClock) -> None:
    settings = settings_factory(ws_rate_burst=3, ws_rate_per_second=1, ws_rate_abuse_limit=4)
    app = create_app(settings, engine=Engine(settings, clock=clock), pace=0)
    async with TestClient(TestServer(app)) as client:
        ws = await open_ws(client)
        for _ in range(3):
            await ws.send_json({"type": "resume"})
            assert (await frame(ws))["type"] == "Snapshot"
        await ws.send_json({"type": "resume"})  # over the burst: dropped, one warning
        notice = await frame(ws)
        assert notice["type"] == "Notice" and "too fast" in notice["message"]
        await clock.advance(1)  # one token back
        await ws.send_json({"type": "resume"})
        assert (await frame(ws))["type"] == "Snapshot"
        for _ in range(4):
            await ws.send_json({"type": "resume"})
        msg = await closed(ws)
        assert (msg.data, msg.extra) == (aiohttp.WSCloseCode.POLICY_VIOLATION, "rate limit exceeded")


garbage = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                 max_leaves=12).map(lambda v: json.dumps(v)),
    st.fixed_dictionaries({"type": st.sampled_from(["start", "say", "press", "settings", "interrupt", "pause"])},
                          optional={"text": st.integers() | st.text() | st.none() | st.lists(st.integers()),
                                    "scene": st.integers(min_value=-10**30, max_value=10**30) | st.text(max_size=90),
                                    "control": st.floats() | st.text(max_size=90),
                                    "voice": st.integers() | st.text(max_size=3)}).map(json.dumps),
    st.sampled_from(["1e99999", "[" * 3000 + "]" * 3000, '{"type": "say", "text": 1' + "0" * 5000 + "}",
                     '{"type": "\\ud800"}', "\x00", '{"type": "say", "text": "\u202e\u0000\U0001f600"}']),
)


@pytest.fixture
async def tolerant_client(settings_factory: Callable[..., Settings]):
    """One server for every generated example, with no rate limit or per-client cap to trip over."""
    settings = settings_factory(ws_rate_burst=10**6, session_rate_burst=10**6, web_max_sessions_per_client=10**6)
    app = create_app(settings, engine=Engine(settings, clock=FakeClock()), pace=0)
    async with TestClient(TestServer(app)) as client:
        yield client


@hyp_settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(garbage, min_size=1, max_size=4))
async def test_garbage_frames_never_crash_or_leak(payloads, tolerant_client) -> None:
    client = tolerant_client
    ws = await open_ws(client)
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    for payload in payloads:
        if isinstance(payload, bytes):
            await ws.send_bytes(payload)
        else:
            await ws.send_str(payload)
    await ws.send_json({"type": "resume"})  # the probe: the connection still answers
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg  # nothing here may close the connection
        body = json.loads(msg.data)
        assert "Traceback" not in msg.data and "File \"" not in msg.data
        if body["type"] == "Error":
            assert body["code"] in ("bad_json", "bad_message", "unknown_type", "invalid",
                                    "binary_not_accepted", "refused"), body
        if body["type"] == "Snapshot":
            break
    await ws.close()
    assert (await client.get("/health")).status == 200


async def test_shutdown_closes_sockets_with_going_away_and_finishes_memory_writes(
        settings: Settings, engine: Engine) -> None:
    async with SqliteMemoryStore.open(":memory:") as store:
        server = TestServer(create_app(settings, engine=engine, memory_store=store, pace=0))
        client: TestClient[web.Request, web.Application] = TestClient(server)
        await client.start_server()
        issued = await new_token(client)
        ws = await open_ws(client, issued["token"])
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "LineFinished")
        await server.close()
        msg = await closed(ws)
        assert (msg.data, msg.extra) == (aiohttp.WSCloseCode.GOING_AWAY, SHUTTING_DOWN)
        await client.close()
        exported = await store.export(issued["player_id"])
        assert [a["outcome"] for a in exported["scene_attempts"]] == ["quit"]


async def test_logs_never_carry_the_token(client) -> None:
    with capture_logs() as logs:
        issued = await new_token(client)
        ws = await open_ws(client, issued["token"])
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "LineFinished")
        await ws.close()
        await client.get("/health")
    assert issued["token"] not in repr(logs)
    requests = [e for e in logs if e.get("event_type") == "http_request"]
    assert {"method", "path", "status", "response_time_ms"} <= set(requests[0])
    assert any(e["path"] == "/ws" for e in requests)
    assert all(len(e.get("session_id", "x" * 12)) == 12 for e in logs)


async def test_a_connected_players_session_outlives_the_tokens_lifetime(client, app: web.Application,
                                                                        clock: FakeClock) -> None:
    """Regression: a player still connected was expired once the token's lifetime had passed."""
    token = (await new_token(client))["token"]
    ws = await open_ws(client, token)
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    player = app[REGISTRY].lookup(token)
    assert not isinstance(player, str)
    await clock.advance(3 * 600 + 5)  # three token lifetimes, connected all along; the sweeper runs
    assert await app[REGISTRY].expire_due() == 0
    assert app[REGISTRY].lookup(token) is player and not player.closed
    await ws.send_json({"type": "resume"})
    snapshot, _ = await until(ws, "Snapshot")
    assert snapshot["view"]["title"] == "Mini"
    await ws.close()
