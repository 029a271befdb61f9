"""Web fixtures: the mini scene, a FakeClock engine (pace 0: lines stream at once), the app and a client."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.memory.store import SqliteMemoryStore
from web import create_app

FIXTURES = Path(__file__).parent / "fixtures"
GUARD = 5.0  # a safety net against a hung test, never a way to wait for something


@pytest.fixture
def scenes_dir(tmp_path: Path) -> Path:
    target = tmp_path / "scenes"
    shutil.copytree(FIXTURES / "mini", target / "mini")
    return target


@pytest.fixture
def settings_factory(scenes_dir: Path) -> Callable[..., Settings]:
    def make(**values: Any) -> Settings:
        return Settings(_env_file=None, digital_actors_scenes=str(scenes_dir), **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(settings: Settings, clock: FakeClock) -> Engine:
    return Engine(settings, clock=clock)


@pytest.fixture
def app(settings: Settings, engine: Engine) -> web.Application:
    return create_app(settings, engine=engine, pace=0)


@pytest.fixture
async def client(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app)) as c:
        yield c


async def new_token(client: TestClient[web.Request, web.Application], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/session", json=body)
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def open_ws(client: TestClient[web.Request, web.Application], token: str | None = None,
                  **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
    if token is None:
        token = (await new_token(client))["token"]
    ws = await client.ws_connect(f"/ws?token={token}", **kwargs)
    welcome = await frame(ws)
    assert welcome["type"] == "Welcome"
    return ws


async def frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next JSON frame (binary audio frames are skipped)."""
    while True:
        msg = await ws.receive(timeout=GUARD)
        if msg.type is aiohttp.WSMsgType.BINARY:
            continue
        assert msg.type is aiohttp.WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
        return dict(json.loads(msg.data))


Frame = dict[str, Any]


async def until(ws: aiohttp.ClientWebSocketResponse, kind: str,
                check: Callable[[Frame], bool] = lambda f: True) -> tuple[Frame, list[Frame]]:
    """Read frames up to the first of type ``kind`` passing ``check``; returns it and those before."""
    seen: list[dict[str, Any]] = []
    while True:
        got = await frame(ws)
        if got["type"] == kind and check(got):
            return got, seen
        seen.append(got)


async def closed(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The close message (skipping any frames still in flight)."""
    while True:
        msg = await ws.receive(timeout=GUARD)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return msg


async def yield_until(condition: Callable[[], bool], turns: int = 2000) -> None:
    """Let the loop run (no sleeping on wall time) until ``condition`` holds."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


@pytest.fixture
async def store() -> AsyncIterator[SqliteMemoryStore]:
    """A memory store in RAM."""
    async with SqliteMemoryStore.open(":memory:") as s:
        yield s


@pytest.fixture
async def remembering(settings: Settings, clock: FakeClock,
                      store: SqliteMemoryStore) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A test client of a server whose memory is ``store``."""
    app = create_app(settings, engine=Engine(settings, clock=clock), memory_store=store, pace=0)
    async with TestClient(TestServer(app)) as client:
        yield client
