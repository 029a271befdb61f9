"""POST /api/session under a flood: per-client rates and caps, trusted proxies only, refused requests
write nothing, tokens that never connect expire fast and give way to players (web/sessions.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.memory.store import SqliteMemoryStore
from tests.web.conftest import closed, open_ws, until, yield_until
from web import create_app
from web.keys import REGISTRY as SESSIONS
from web.wording import TOKEN_CLOSED

Client = TestClient[web.Request, web.Application]


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value("digital_actors_sessions_refused_total", {"reason": reason}) or 0.0


async def post(client: Client, headers: dict[str, str] | None = None, **body: Any) -> aiohttp.ClientResponse:
    response = await client.post("/api/session", json=body, headers=headers or {})
    await response.read()
    return response


async def statuses(client: Client, n: int, headers: Callable[[int], dict[str, str]] = lambda i: {}) -> list[int]:
    return [(await post(client, headers(i))).status for i in range(n)]


async def close_code(client: Client, token: str) -> tuple[int, str]:
    ws = await client.ws_connect(f"/ws?token={token}")
    msg = await closed(ws)
    await ws.close()
    return msg.data, msg.extra


class Servers:
    """Apps with chosen settings, and clients that connect to them from chosen 127.x addresses."""

    def __init__(self, settings_factory: Callable[..., Settings], clock: FakeClock, store: SqliteMemoryStore) -> None:
        self.settings_factory, self.clock, self.store = settings_factory, clock, store
        self.servers: list[TestServer] = []
        self.clients: list[Client] = []

    async def __call__(self, **values: Any) -> TestServer:
        settings = self.settings_factory(**values)
        app = create_app(settings, engine=Engine(settings, clock=self.clock), memory_store=self.store, pace=0)
        server = TestServer(app)
        await server.start_server()
        self.servers.append(server)
        return server

    async def peer(self, server: TestServer, address: str = "127.0.0.1") -> Client:
        client: Client = TestClient(server, connector=aiohttp.TCPConnector(local_addr=(address, 0)))
        await client.start_server()
        self.clients.append(client)
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        for server in self.servers:
            await server.close()


@pytest.fixture
async def serve(settings_factory: Callable[..., Settings], clock: FakeClock,
                store: SqliteMemoryStore) -> AsyncIterator[Servers]:
    servers = Servers(settings_factory, clock, store)
    yield servers
    await servers.close()


async def test_one_address_gets_its_burst_then_429_and_refusals_write_nothing(serve, clock, store) -> None:
    server = await serve(session_rate_burst=3, session_rate_per_minute=6)
    bot, player = await serve.peer(server, "127.0.0.1"), await serve.peer(server, "127.0.0.2")
    before = refused("rate")
    assert await statuses(bot, 3) == [200] * 3
    limited = await post(bot, player_id="0b1f7a52-4d7e-4a38-9f1e-3c1d2b5e6f70")
    assert limited.status == 429 and limited.headers["Retry-After"] == "10"  # 6 a minute: one per 10 s
    assert (await limited.json())["error"] == "Too many new sessions from your address."
    assert await statuses(bot, 20) == [429] * 20
    assert refused("rate") - before == 21
    assert len(server.app[SESSIONS]) == 3 and server.app[SESSIONS].held_by("127.0.0.1") == 3
    assert await store.list_players() == []  # no request wrote a player row, refused or not
    assert (await post(player)).status == 200  # another address is not affected
    await clock.advance(10)
    assert await statuses(bot, 2) == [200, 429]


async def test_forwarded_addresses_count_only_from_a_trusted_proxy(serve) -> None:
    server = await serve(session_rate_burst=2, trusted_proxies="127.0.0.1/32")
    proxy = await serve.peer(server, "127.0.0.1")
    spoofed = await statuses(proxy, 5, lambda i: {"X-Forwarded-For": f"10.9.9.{i}, 198.51.100.7"})
    assert spoofed == [200, 200, 429, 429, 429]  # the bot's own X-Forwarded-For entries change nothing
    assert await statuses(proxy, 2, lambda i: {"X-Forwarded-For": "198.51.100.8"}) == [200, 200]
    rfc = await statuses(proxy, 3, lambda i: {"Forwarded": f'for="[2001:db8::{i + 1}]:4711";proto=https'})
    assert rfc == [200, 200, 429]  # three addresses of one /64 are one client
    assert (await post(proxy, {"Forwarded": 'for="[2001:db8:0:1::1]"'})).status == 200
    held = server.app[SESSIONS]
    assert held.held_by("198.51.100.7") == 2 and held.held_by("2001:db8::/64") == 2
    assert held.held_by("127.0.0.1") == 0


@pytest.mark.parametrize("header", ["X-Forwarded-Host", "X-Real-IP", "X-Forwarded", "Forwarded-For",
                                    "X-Forwarded-For-Original", "X-Client-IP", "True-Client-IP"])
async def test_lookalike_headers_from_a_trusted_proxy_are_not_read(serve, header: str) -> None:
    server = await serve(session_rate_burst=2, trusted_proxies="127.0.0.1/32")
    proxy = await serve.peer(server, "127.0.0.1")
    assert await statuses(proxy, 4, lambda i: {header: f"198.51.100.{i}"}) == [200, 200, 429, 429]


@pytest.mark.parametrize("trusted", ["", "127.0.0.2/32", "127.0.0.10", "10.0.0.0/8", "::1"])
async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(serve, trusted: str) -> None:
    server = await serve(session_rate_burst=2, trusted_proxies=trusted)
    bot = await serve.peer(server, "127.0.0.1")

    def spoof(i: int) -> dict[str, str]:
        return {"X-Forwarded-For": f"198.51.100.{i}", "Forwarded": f"for=203.0.113.{i}"}

    assert await statuses(bot, 4, spoof) == [200, 200, 429, 429]
    assert server.app[SESSIONS].held_by("127.0.0.1") == 2


async def test_an_address_holds_its_share_giving_up_its_own_unconnected_tokens_first(serve) -> None:
    server = await serve(web_max_sessions_per_client=2, session_rate_burst=100)
    home, other = await serve.peer(server, "127.0.0.1"), await serve.peer(server, "127.0.0.2")
    playing = await open_ws(home)
    waiting = await (await home.post("/api/session")).json()
    third = await post(home)  # takes the place of this address's own unconnected token
    assert third.status == 200
    assert await close_code(home, waiting["token"]) == (4401, TOKEN_CLOSED["expired"])
    second = await open_ws(home, (await third.json())["token"])
    before = refused("client_cap")
    full = await post(home)
    assert full.status == 429 and full.headers["Retry-After"] == "60"
    assert refused("client_cap") - before == 1
    assert (await post(other)).status == 200
    await playing.close()
    await second.close()


async def test_tokens_that_never_connect_expire_after_the_ttl(serve, clock: FakeClock) -> None:
    server = await serve()  # SESSION_TOKEN_TTL_SECONDS: 60 by default
    client = await serve.peer(server)
    early = await (await client.post("/api/session")).json()
    late = await (await client.post("/api/session")).json()
    await clock.advance(59)
    ws = await open_ws(client, early["token"])  # inside the window: it connects
    await clock.advance(2)  # 61 s
    assert await close_code(client, late["token"]) == (4401, TOKEN_CLOSED["expired"])
    registry = server.app[SESSIONS]
    await clock.advance(5)  # the sweeper's next round (every 5 s) gives its place back
    await yield_until(lambda: len(registry) == 1)
    assert registry.lookup(early["token"]) is not None and registry.held_by("127.0.0.1") == 1
    await ws.close()


async def test_a_flood_from_many_addresses_cannot_keep_a_player_out(serve, store) -> None:
    server = await serve(web_max_sessions=5, trusted_proxies="127.0.0.1")
    proxy = await serve.peer(server)
    flood = await statuses(proxy, 40, lambda i: {"X-Forwarded-For": f"198.51.100.{i % 8}"})
    assert flood == [200] * 40  # eight addresses, five each: every token takes an unconnected one's place
    assert len(server.app[SESSIONS]) == 5
    player = await post(proxy, {"X-Forwarded-For": "203.0.113.1"})
    assert player.status == 200
    ws = await open_ws(proxy, (await player.json())["token"], headers={"X-Forwarded-For": "203.0.113.1"})
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "SceneStarted")
    assert [p.id for p in await store.list_players()] == [(await player.json())["player_id"]]  # the flood wrote none
    sockets = [ws]
    for i in range(4):  # players with sockets hold their places
        issued = await post(proxy, {"X-Forwarded-For": f"203.0.113.{10 + i}"})
        sockets.append(await open_ws(proxy, (await issued.json())["token"]))
    assert (await post(proxy, {"X-Forwarded-For": "203.0.113.99"})).status == 503
    for s in sockets:
        await s.close()
