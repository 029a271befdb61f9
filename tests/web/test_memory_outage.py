"""/health and a web player's scene while memory writes fail: degraded with the reason (never a silent
"ok"), exactly ``{"status": "ok"}`` again once they land; the player's row and attempt land later."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.memory.outbox import Outbox
from digital_actors.memory.store import SqliteMemoryStore
from tests.memory.faults import read_only, retry_until_drained, write_lock
from tests.web.conftest import new_token, open_ws, until
from web import create_app
from web.keys import ENGINE

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "player_memory.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteMemoryStore]:
    async with SqliteMemoryStore.open(db_path) as opened:
        yield opened


@pytest.fixture
async def memory_client(settings: Settings, clock: FakeClock, store: SqliteMemoryStore) -> AsyncIterator[Client]:
    engine = Engine(settings, clock=clock, write_busy_timeout_ms=0)
    async with TestClient(TestServer(create_app(settings, engine=engine, memory_store=store, pace=0))) as client:
        yield client
        assert engine.outbox is not None
        await engine.outbox.aclose()


def outbox_of(client: Client) -> Outbox:
    outbox = client.app[ENGINE].outbox
    assert outbox is not None
    return outbox



async def play_a_scene(client: Client) -> str:
    """A browser's first scene: the moment its memory row and its attempt are written."""
    token = await new_token(client)
    ws = await open_ws(client, token["token"])
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await outbox_of(client).settled()
    await ws.close()
    return str(token["player_id"])


async def test_health_is_degraded_while_writes_fail_and_ok_once_they_land(
        memory_client: Client, db_path: Path, store: SqliteMemoryStore, clock: FakeClock) -> None:
    healthy = await memory_client.get("/health")
    assert (healthy.status, await healthy.json()) == (200, {"status": "ok"})
    with write_lock(db_path):
        player_id = await play_a_scene(memory_client)  # its row and attempt cannot be written now
        response = await memory_client.get("/health")
        body = await response.json()
        assert response.status == 200 and body["status"] == "degraded"
        assert len(body["reasons"]) == 1
        assert "writes are failing" in body["reasons"][0] and "locked by another program" in body["reasons"][0]
    await retry_until_drained(outbox_of(memory_client), clock)
    healthy = await memory_client.get("/health")
    assert (healthy.status, await healthy.json()) == (200, {"status": "ok"})
    record = await store.get_player(player_id)
    assert record is not None and record.kind == "web"
    assert len((await store.export(player_id))["scene_attempts"]) == 1


async def test_health_probes_a_write_when_nothing_is_pending(memory_client: Client,
                                                            store: SqliteMemoryStore) -> None:
    await read_only(store)  # the file became read-only; no player has written since
    response = await memory_client.get("/health")
    body = await response.json()
    assert response.status == 200 and body["status"] == "degraded"
    assert body["reasons"] and "test write failed" in body["reasons"][0] and "read-only" in body["reasons"][0]
    await read_only(store, on=False)
    healthy = await memory_client.get("/health")
    assert (healthy.status, await healthy.json()) == (200, {"status": "ok"})
