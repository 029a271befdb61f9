"""Failover between two real servers: ``serve`` A and B on different ports share the memory store (a
real PostgreSQL database, then one SQLite file) and a real Redis. A scene starts on A, two turns are
played, A is killed with SIGKILL, and the same token reconnects to B: same phase, same values, the
dialogue goes on, and the finished attempt is recorded once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis import asyncio as aioredis

from digital_actors.memory.stores import open_store
from tests.redis_server import free_port
from tests.web.serving import GUARD, Served
from web.store import token_key

SCENE = """\
id = "failover"
title = "Failover"
[player]
role = "caller"
[cast.ann]
name = "Ann"
brief = "An operator at the exchange."
[state.trust]
start = 10
show = "gauge"
[state.done]
[[phases]]
id = 1
title = "Dialling"
[[phases]]
id = 2
title = "Talking"
enter = "trust >= 20"
[[signals]]
id = "greet"
ask = "Did the player greet her?"
keywords = ["hello"]
effects = { trust = "+10" }
[[signals]]
id = "bye"
ask = "Did the player say goodbye?"
keywords = ["goodbye"]
effects = { done = "+1" }
[[endings]]
id = "farewell"
kind = "success"
when = "done >= 1"
title = "Farewell"
[script]
opening = ["Operator."]
fallback = ["Say again?"]
[script.signals]
greet = ["Hello, caller. Connecting you."]
[script.endings]
farewell = ["Goodbye, caller."]
[[script.replies]]
keywords = ["name"]
lines = ["Ann, from the exchange."]
"""


Frame = dict[str, Any]


async def frames_until(ws: aiohttp.ClientWebSocketResponse, kind: str, **match: Any) -> tuple[Frame, list[Frame]]:
    seen = []
    async with asyncio.timeout(GUARD):
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame, seen
            seen.append(frame)
    raise AssertionError(f"the socket closed before {kind}: {seen[-5:]}")


async def saved(redis_url: str, token: str, text: str) -> dict[str, Any]:
    """A's snapshot once its transcript holds ``text`` (A writes it a moment after each turn: this reads
    Redis, the state another process shares, until it does)."""
    redis = aioredis.Redis.from_url(redis_url)
    try:
        async with asyncio.timeout(GUARD):
            while True:
                blob = await redis.hget(f"da:s:{token_key(token)}", "snap")
                state = json.loads(blob) if blob is not None else {"view": {"transcript": []}}
                if text in [entry["text"] for entry in state["view"]["transcript"]]:
                    return dict(state)
                await asyncio.sleep(0.05)
    finally:
        await redis.aclose()


@pytest.fixture(params=["postgresql", "sqlite"])
def memory_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The memory store A and B share: a PostgreSQL database of its own, or one SQLite file."""
    if request.param == "sqlite":
        return str(tmp_path / "memory.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.mark.slow
async def test_a_player_whose_server_was_killed_goes_on_on_another(tmp_path: Path, redis_url: str,
                                                                    memory_db: str) -> None:
    scenes = tmp_path / "scenes"
    (scenes / "failover").mkdir(parents=True)
    (scenes / "failover" / "scene.toml").write_text(SCENE, encoding="utf-8")
    shared = {"REDIS_URL": redis_url, "DIGITAL_ACTORS_DB": memory_db,
              "DIGITAL_ACTORS_SCENES": str(scenes)}
    a = await Served.start(tmp_path / "a", free_port(), env=shared)
    b = await Served.start(tmp_path / "b", free_port(), env=shared)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{a.base}/api/session") as r:
                issued = await r.json()
            token = issued["token"]
            async with http.ws_connect(f"{a.base}/ws?token={token}") as ws:
                await ws.send_json({"type": "start", "scene": "failover"})
                await frames_until(ws, "LineFinished", text="Operator.")
                await ws.send_json({"type": "say", "text": "hello there"})  # turn 1: trust 20, phase 2
                _, seen = await frames_until(ws, "LineFinished", text="Hello, caller. Connecting you.")
                assert [f["title"] for f in seen if f["type"] == "PhaseChanged"] == ["Talking"]
                await ws.send_json({"type": "say", "text": "what is your name?"})  # turn 2
                await frames_until(ws, "LineFinished", text="Ann, from the exchange.")
                before = await saved(redis_url, token, "Ann, from the exchange.")
                await a.kill()  # kill -9, the socket still open
                async for _ in ws:  # frames still in flight, then the connection is gone
                    pass
                assert ws.closed

            async with http.ws_connect(f"{b.base}/ws?token={token}") as ws:
                welcome, _ = await frames_until(ws, "Welcome")
                assert welcome["player_id"] == issued["player_id"]
                await ws.send_json({"type": "resume"})
                snap, _ = await frames_until(ws, "Snapshot")
                view = snap["view"]
                assert view["phase"] == "Talking"  # the same phase
                assert [(g["id"], g["value"]) for g in view["gauges"]] == [("trust", 20.0)]  # the same values
                said = [e["text"] for e in view["transcript"]]
                assert said[-2:] == ["what is your name?", "Ann, from the exchange."]
                scene = before["scene"]
                assert scene["world"]["values"] == {"trust": 20.0, "done": 0.0} and scene["world"]["phase"] == 2
                await ws.send_json({"type": "say", "text": "what was your name again?"})  # the dialogue goes on
                await frames_until(ws, "LineFinished", text="Ann, from the exchange.")
                await ws.send_json({"type": "say", "text": "goodbye then"})
                over, seen = await frames_until(ws, "GameOver")
                assert over["ending_id"] == "farewell"
                assert "Goodbye, caller." in [f["text"] for f in seen if f["type"] == "LineFinished"]
        moved = await b.logs.until("session_moved")
        assert moved[0]["outcome"] == "resumed" and moved[0]["from_elsewhere"] is True
        assert await b.stop() == 0  # SIGTERM: every memory write lands before it exits
    finally:
        await a.kill()
        await b.kill()
    async with open_store(memory_db) as store:
        data = await store.export(issued["player_id"])
    attempts = data["scene_attempts"]
    assert [(x["scene_id"], x["outcome"]) for x in attempts] == [("failover", "success")]  # recorded once
    stats = attempts[0]["stats"]
    stats = json.loads(stats) if isinstance(stats, str) else stats
    assert stats["lines_said"] == 4  # two turns on A, two on B
