"""HTTP routes: health, metrics, session issue, the page and its assets, headers, errors."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.errors import MemoryStoreError
from tests.web.conftest import closed, new_token, open_ws, until, yield_until
from web import create_app
from web.keys import ASSETS, ENGINE
from web.wording import TOKEN_CLOSED

TOKEN = re.compile(r"^[A-Za-z0-9_\-]{43,}$")


class BrokenMemory:
    """A memory store whose health check fails (a full disk, say)."""

    path = ":memory:"

    async def healthy(self) -> tuple[bool, str]:
        return False, "database is locked"


async def serve(app: web.Application) -> TestClient[web.Request, web.Application]:
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_health_ok(client) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


async def test_health_ok_with_a_working_memory_store(settings: Settings, engine: Engine, store) -> None:
    client = await serve(create_app(settings, engine=engine, memory_store=store, pace=0))
    try:
        response = await client.get("/health")
        assert (response.status, await response.json()) == (200, {"status": "ok"})
    finally:
        await client.close()


async def test_health_503_when_memory_is_unusable(settings: Settings, engine: Engine) -> None:
    client = await serve(create_app(settings, engine=engine, memory_store=BrokenMemory(), pace=0))  # type: ignore[arg-type]
    try:
        response = await client.get("/health")
        body = await response.json()
        assert response.status == 503
        assert body["status"] == "unavailable" and "database is locked" in body["reason"]
    finally:
        await client.close()


async def test_health_503_when_the_store_could_not_open(app: web.Application, client) -> None:
    app[ENGINE].memory_error = MemoryStoreError("/app/data/player_memory.db is not a SQLite database.")
    response = await client.get("/health")
    assert response.status == 503
    assert "not a SQLite database" in (await response.json())["reason"]


async def test_serve_style_app_opens_the_store_and_survives_a_bad_file(
        settings_factory: Callable[..., Settings], tmp_path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("this is not a database")
    settings = settings_factory(digital_actors_db=str(bad))
    client = await serve(create_app(settings, open_memory=True, pace=0))
    try:
        response = await client.get("/health")
        assert response.status == 503
        assert "not a SQLite database" in (await response.json())["reason"]
        assert (await client.post("/api/session")).status == 200  # still plays, without memory
    finally:
        await client.close()


def exposed(text: str) -> dict[str, float]:
    """The samples of a Prometheus text exposition, by their full name with labels."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


async def test_metrics_count_what_happened(client) -> None:
    says = 'digital_actors_requests_total{character="bob",kind="say",scene="mini"}'
    answered = 'digital_actors_response_seconds_count{scene="mini"}'
    tokens = 'digital_actors_http_requests_total{method="POST",route="/api/session",status="200"}'
    closed = 'digital_actors_ws_disconnects_total{reason="client_closed"}'
    before = exposed(await (await client.get("/metrics")).text())
    ws = await open_ws(client)
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    for words in ("name?", "what is your name"):
        await ws.send_json({"type": "say", "text": words})
        await until(ws, "LineFinished", lambda f: f["text"] == "Bob.")
    during = exposed(await (await client.get("/metrics")).text())
    assert during["digital_actors_active_sessions"] == before.get("digital_actors_active_sessions", 0) + 1
    await ws.close()
    gone = before.get(closed, 0) + 1  # the server counts it when its handler ends, a few loop turns later
    await yield_until(lambda: (REGISTRY.get_sample_value("digital_actors_ws_disconnects_total",
                                                         {"reason": "client_closed"}) or 0) >= gone)
    response = await client.get("/metrics")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
    after = exposed(await response.text())
    assert after[says] - before.get(says, 0) == 2
    assert after[answered] - before.get(answered, 0) == 2  # each turn timed to its first text
    assert after[tokens] - before.get(tokens, 0) == 1
    assert after.get(closed, 0) - before.get(closed, 0) == 1


async def test_metrics_token(settings_factory: Callable[..., Settings], engine: Engine) -> None:
    client = await serve(create_app(settings_factory(metrics_token="s3cret-metrics"), engine=engine, pace=0))
    try:
        assert (await client.get("/metrics")).status == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
        right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert right.status == 200
    finally:
        await client.close()


async def test_session_issue_without_memory(client) -> None:
    first = await new_token(client)
    assert TOKEN.match(first["token"])
    uuid.UUID(first["player_id"])
    assert first["expires_in"] == 60 and first["resume_seconds"] == 120
    again = await new_token(client, player_id=first["player_id"])
    assert again["player_id"] == first["player_id"]
    assert again["token"] != first["token"]
    junk = await new_token(client, player_id="<script>")
    uuid.UUID(junk["player_id"])
    bad = await client.post("/api/session", data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status == 400 and "error" in await bad.json()


async def test_a_player_row_appears_at_the_first_scene_not_at_token_issue(settings: Settings, engine: Engine,
                                                                          store) -> None:
    client = await serve(create_app(settings, engine=engine, memory_store=store, pace=0))
    try:
        first = await new_token(client)
        again = await new_token(client, player_id=first["player_id"])  # the browser came back before playing
        assert again["player_id"] == first["player_id"]
        assert await store.list_players() == []  # tokens write nothing
        ws = await open_ws(client, again["token"])
        await ws.send_json({"type": "name", "name": "Ada"})  # named before the first scene
        await until(ws, "PlayerNamed")
        assert await store.list_players() == []
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "SceneStarted")
        record = await store.get_player(first["player_id"])
        assert record is not None and record.kind == "web" and record.given_name == "Ada"
        await ws.close()
        assert [p.id for p in await store.list_players()] == [first["player_id"]]
        returning = await new_token(client, player_id=first["player_id"])
        assert returning["player_id"] == first["player_id"]
        lookalike = await new_token(client, player_id=first["player_id"].replace("-", ""))  # not canonical
        assert lookalike["player_id"] not in (first["player_id"], first["player_id"].replace("-", ""))
    finally:
        await client.close()


async def test_a_terminal_players_id_sent_by_a_browser_plays_without_touching_their_memory(
        settings: Settings, engine: Engine, store) -> None:
    terminal = await store.player("Ada", "terminal")
    client = await serve(create_app(settings, engine=engine, memory_store=store, pace=0))
    try:
        issued = await new_token(client, player_id=terminal.id)
        ws = await open_ws(client, issued["token"])
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "SceneStarted")
        await ws.close()
    finally:
        await client.close()
    assert (await store.export(terminal.id))["scene_attempts"] == []
    assert [(p.id, p.kind) for p in await store.list_players()] == [(terminal.id, "terminal")]


async def test_memory_records_the_attempt(settings: Settings, engine: Engine, store, clock) -> None:
    client = await serve(create_app(settings, engine=engine, memory_store=store, pace=0))
    try:
        issued = await new_token(client)
        ws = await open_ws(client, issued["token"])
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "LineFinished")
        await clock.advance(150)
        await until(ws, "GameOver")
        await ws.send_json({"type": "restart"})  # ends the recorded attempt, begins another
        await until(ws, "SceneStarted")
        await ws.close()
    finally:
        await client.close()
    exported = await store.export(issued["player_id"])
    outcomes = sorted(a["outcome"] for a in exported["scene_attempts"])
    assert outcomes == ["failure", "quit"]


async def test_registry_full_is_503_only_when_every_place_has_a_socket(
        settings_factory: Callable[..., Settings], engine: Engine) -> None:
    client = await serve(create_app(settings_factory(web_max_sessions=2), engine=engine, pace=0))
    try:
        playing = await open_ws(client)
        waiting = await new_token(client)
        newcomer = await new_token(client)  # takes the place of the token that never connected
        code, reason = await _close_code(client, f"/ws?token={waiting['token']}")
        assert code == 4401 and reason == TOKEN_CLOSED["expired"]
        second = await open_ws(client, newcomer["token"])
        full = await client.post("/api/session")
        assert full.status == 503 and full.headers["Retry-After"] == "30"
        assert (await full.json())["error"] == "This server is full."
        await playing.close()
        await second.close()
    finally:
        await client.close()


async def _close_code(client, url: str) -> tuple[int, str]:
    ws = await client.ws_connect(url)
    msg = await closed(ws)
    await ws.close()
    return msg.data, msg.extra


async def test_security_headers_everywhere(client) -> None:
    for path in ("/", "/health", "/nowhere", "/api/scenes"):
        response = await client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_index_and_versioned_assets(app: web.Application, client) -> None:
    index = await client.get("/")
    html = await index.text()
    assert index.headers["Cache-Control"] == "no-cache"
    version = app[ASSETS].version
    assert f'src="/static/{version}/app.js"' in html
    assert f'href="/static/{version}/style.css"' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP forbids it
    for name, kind in (("app.js", "text/javascript"), ("audio.js", "text/javascript"),
                       ("connection.js", "text/javascript"), ("style.css", "text/css")):
        asset = await client.get(f"/static/{version}/{name}")
        assert asset.status == 200
        assert asset.headers["Content-Type"].startswith(kind)
        assert "max-age=31536000" in asset.headers["Cache-Control"]
    stale = await client.get("/static/0123456789ab/app.js")
    assert stale.status == 200 and stale.headers["Cache-Control"] == "no-cache"
    for missing in (f"/static/{version}/index.html", f"/static/{version}/nope.js", "/static/x/..%2Fapp.py"):
        assert (await client.get(missing)).status == 404


async def test_scene_list(client) -> None:
    body: dict[str, Any] = await (await client.get("/api/scenes")).json()
    mini = next(s for s in body["scenes"] if s["id"] == "mini")
    assert mini == {"id": "mini", "title": "Mini", "tagline": "", "category": mini["category"],
                    "minutes": mini["minutes"]}


async def test_unexpected_errors_never_leak_a_traceback(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, engine=engine, pace=0)

    async def boom(_: web.Request) -> web.Response:
        raise RuntimeError("secret internals /work/main/web/handlers.py")

    app.router.add_get("/api/boom", boom)
    app.router.add_get("/boom", boom)
    client = await serve(app)
    try:
        api = await client.get("/api/boom")
        assert api.status == 500 and await api.json() == {"error": "internal server error"}
        page = await client.get("/boom")
        text = await page.text()
        assert page.status == 500 and "Traceback" not in text and "secret" not in text
        assert page.headers["X-Frame-Options"] == "DENY"
    finally:
        await client.close()
