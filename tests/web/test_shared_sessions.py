"""Two servers sharing one real Redis (REDIS_URL): a player's socket may reconnect to either and the
scene goes on; limits count both; a server that shuts down hands its players over."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.memory.store import SqliteMemoryStore
from tests.web.conftest import GUARD, closed, new_token, open_ws, until
from web import create_app
from web.keys import ENGINE, REGISTRY
from web.player import PlayerSession
from web.redis_store import RedisSessionStore
from web.sessions import CLEANUP_INTERVAL

Client = TestClient[web.Request, web.Application]


@contextlib.asynccontextmanager
async def server(settings: Settings, name: str, *, open_memory: bool = False,
                 reachable: bool = True) -> AsyncIterator[Client]:
    """One server process's app: its own engine and clock, the shared Redis under its own name; ready
    once it hears the others (a message to a process not yet subscribed is lost: pub/sub keeps none)."""
    assert settings.redis_url is not None
    store = RedisSessionStore(settings.redis_url.get_secret_value(), per_minute=settings.session_rate_per_minute,
                              burst=settings.session_rate_burst,
                              lease=settings.ws_resume_seconds + 2 * CLEANUP_INTERVAL, instance=name)
    app = create_app(settings, engine=Engine(settings, clock=FakeClock()), pace=0, session_store=store,
                     open_memory=open_memory)
    async with TestClient(TestServer(app)) as client:
        if reachable:
            async with asyncio.timeout(GUARD):
                await store.listening()
        yield client


def store_of(client: Client) -> RedisSessionStore:
    store = client.app[REGISTRY].store
    assert isinstance(store, RedisSessionStore)
    return store


def player_of(client: Client, token: str) -> PlayerSession:
    found = client.app[REGISTRY].lookup(token)
    assert isinstance(found, PlayerSession), found
    return found


async def play_a_little(ws: Any) -> None:
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")  # the opening
    await ws.send_json({"type": "press", "control": "pump"})
    await until(ws, "LineFinished", lambda f: f["text"] == "Pumping.")
    await ws.send_json({"type": "say", "text": "thank you, really"})  # signal "kind": bond +50
    await until(ws, "LineFinished")


async def test_a_reconnect_to_another_server_goes_on_with_the_scene(
        settings_factory: Callable[..., Settings], redis_url: str) -> None:
    settings = settings_factory(redis_url=redis_url)
    async with server(settings, "a") as a, server(settings, "b") as b:
        token = (await new_token(a))["token"]
        ws = await open_ws(a, token)
        await ws.send_json({"type": "name", "name": "Ada"})
        await until(ws, "PlayerNamed")
        await play_a_little(ws)
        was = player_of(a, token).session
        assert was is not None
        state, history = was.world.state(), list(was.history)
        await a.app[REGISTRY].flush()
        await ws.close()

        again = await open_ws(b, token)
        await again.send_json({"type": "resume"})
        snap, _ = await until(again, "Snapshot")
        view = snap["view"]
        texts = [e["text"] for e in view["transcript"]]
        assert view["started"] and view["title"] == "Mini" and snap["name"] == "Ada"
        assert texts[:4] == ["Hello? Anyone?", "You use PUMP.", "Pumping.", "thank you, really"]
        async with asyncio.timeout(GUARD):
            await store_of(a).wait_handled(1)  # a was told the session moved
        assert len(a.app[REGISTRY]) == 0

        now = player_of(b, token).session
        assert now is not None and now.history == history
        assert now.world.fired == state.fired and now.world.pressed == state.pressed
        assert now.world.values["bond"] == state.values["bond"] == 50
        assert now.player_name == "Ada"
        await again.send_json({"type": "say", "text": "What is your name?"})
        reply, _ = await until(again, "LineFinished")
        assert reply["text"] == "Bob."  # the dialogue goes on, on b
        await again.close()


async def test_the_same_token_on_another_server_replaces_the_older_socket(
        settings_factory: Callable[..., Settings], redis_url: str) -> None:
    settings = settings_factory(redis_url=redis_url)
    async with server(settings, "a") as a, server(settings, "b") as b:
        token = (await new_token(a))["token"]
        first = await open_ws(a, token)
        await play_a_little(first)
        second = await open_ws(b, token)
        gone = await closed(first)
        assert gone.data == 4409  # as two tabs on one server: the newer connection wins
        await second.send_json({"type": "resume"})
        snap, _ = await until(second, "Snapshot")
        assert snap["view"]["started"] is True
        await second.close()


async def test_rates_and_shares_count_every_server(settings_factory: Callable[..., Settings], redis_url: str) -> None:
    settings = settings_factory(redis_url=redis_url, session_rate_burst=3, session_rate_per_minute=1,
                                web_max_sessions_per_client=2)
    async with server(settings, "a") as a, server(settings, "b") as b:
        one, two = (await new_token(a))["token"], (await new_token(b))["token"]
        three = await new_token(a)  # the client's share is 2: its oldest waiting token (on a) gives way
        assert len(a.app[REGISTRY]) == 1 and a.app[REGISTRY].lookup(one) == "unknown"
        refused = await b.post("/api/session")  # the burst of 3 is spent across both servers
        assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 50
        ws = await a.ws_connect(f"/ws?token={one}")
        assert (await closed(ws)).data == 4401
        for token in (two, three["token"]):
            live = await open_ws(a, token)
            await live.close()
        async with asyncio.timeout(GUARD):
            await store_of(b).wait_handled(1)
        assert len(b.app[REGISTRY]) == 0  # two moved from b to a when its socket came to a


async def test_a_server_that_shuts_down_hands_its_players_over_and_the_attempt_is_recorded_once(
        settings_factory: Callable[..., Settings], redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "memory.db"
    settings = settings_factory(redis_url=redis_url, digital_actors_db=str(db))
    async with server(settings, "b", open_memory=True) as b:
        async with server(settings, "a", open_memory=True) as a:
            issued = await new_token(a)
            ws = await open_ws(a, issued["token"])
            await play_a_little(ws)

        again = await open_ws(b, issued["token"])
        await again.send_json({"type": "resume"})
        await until(again, "Snapshot")
        clock = b.app[ENGINE].clock
        assert isinstance(clock, FakeClock)
        await clock.advance(5)  # 5 s of scene time: phase 2
        await until(again, "PhaseChanged")
        await again.send_json({"type": "say", "text": "thank you"})  # bond 100 in phase 2: the ending
        over, _ = await until(again, "GameOver")
        assert over["ending_id"] == "friends"
        await again.close()
    async with SqliteMemoryStore.open(db) as store:
        data = await store.export(issued["player_id"])
    attempts = data["scene_attempts"]
    assert [a["outcome"] for a in attempts] == ["success"]  # not a "quit" from a, then a second attempt on b
    stats = attempts[0]["stats"]
    stats = json.loads(stats) if isinstance(stats, str) else stats
    assert stats["lines_said"] == 2 and stats["controls_pressed"] == 1  # counted on both servers


async def test_without_redis_new_players_wait_and_health_says_why(
        settings_factory: Callable[..., Settings], redis_server) -> None:  # type: ignore[no-untyped-def]
    from tests.redis_server import free_port

    settings = settings_factory(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async with server(settings, "a", reachable=False) as a:
        refused = await a.post("/api/session")
        assert refused.status == 503 and refused.headers["Retry-After"] == "5"
        health = await a.get("/health")
        body = await health.json()
        assert health.status == 200 and body["status"] == "degraded"
        assert any("session store" in reason and "unreachable" in reason for reason in body["reasons"])
