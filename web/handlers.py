"""HTTP handlers: health, metrics, session tokens, the scene list, the page and its assets."""

from __future__ import annotations

import asyncio
import hmac
import json
import re

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from web.keys import ASSETS, CATALOG, ENGINE, SETTINGS
from web.keys import REGISTRY as SESSIONS
from web.sessions import RegistryFull

log = structlog.get_logger()
PLAYER_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")
HEALTH_TIMEOUT = 3.0
WRITE_PROBE_TIMEOUT = 1.0
YEAR = "public, max-age=31536000, immutable"
NO_STORE = {"Cache-Control": "no-store"}


async def health(request: web.Request) -> web.Response:
    """200 ``{"status": "ok"}``; 503 with a reason when memory cannot even be read or every scene is unusable.

    200 ``{"status": "degraded", "reasons": [...]}`` while the model's circuit breaker is open, or
    while memory writes fail (kept for retry; players are told): every player is still served, so
    a load balancer must keep the instance; restarting it would not bring the provider or the disk
    back. Alert on the breaker metric and on ``digital_actors_memory_writes_pending``.
    """
    engine = request.app[ENGINE]
    problem = f"memory store: {engine.memory_error.message}" if engine.memory_error is not None else None
    store = engine.store
    if problem is None and store is not None:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                ok, reason = await store.healthy()
        except TimeoutError:
            ok, reason = False, f"memory store did not answer within {HEALTH_TIMEOUT:g}s"
        problem = None if ok else f"memory store: {reason}"
        if ok:  # readable: can a write land too? (failing writes or a test write; degraded, not 503)
            await engine.check_memory_writes(WRITE_PROBE_TIMEOUT)
    if problem is None and not await request.app[CATALOG].playable():
        problem = "no scene loads: check DIGITAL_ACTORS_SCENES and run `digital-actors check`"
    if problem is not None:
        log.warning("health_failed", event_type="health", reason=problem)
        return web.json_response({"status": "unavailable", "reason": problem}, status=503, headers=NO_STORE)
    reasons = request.app[ENGINE].degraded_reasons()
    if reasons:
        return web.json_response({"status": "degraded", "reasons": reasons}, headers=NO_STORE)
    return web.json_response({"status": "ok"}, headers=NO_STORE)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition; a bearer token is required when METRICS_TOKEN is set."""
    secret = request.app[SETTINGS].metrics_token
    if secret is not None and secret.get_secret_value():
        sent = request.headers.get("Authorization", "")
        expected = f"Bearer {secret.get_secret_value()}"
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return web.json_response({"error": "a bearer token is required"}, status=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, **NO_STORE})


async def create_session(request: web.Request) -> web.Response:
    """``{token, player_id}``: the token opens /ws; the browser keeps the player id and sends it back."""
    wanted = await _wanted_player(request)
    player_id = await _player_id(request, wanted)
    try:
        player = request.app[SESSIONS].issue(player_id)
    except RegistryFull as e:
        return web.json_response({"error": e.message, "hint": e.hint}, status=503,
                                 headers={"Retry-After": "30", **NO_STORE})
    settings = request.app[SETTINGS]
    return web.json_response({"token": player.token, "player_id": player.player_id,
                              "expires_in": settings.session_token_ttl_seconds,
                              "resume_seconds": settings.ws_resume_seconds}, headers=NO_STORE)


async def _wanted_player(request: web.Request) -> str | None:
    if not request.can_read_body:
        return None
    try:
        data = json.loads(await request.text())
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise web.HTTPBadRequest(reason="expected a JSON object like {\"player_id\": \"...\"}") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(reason="expected a JSON object like {\"player_id\": \"...\"}")
    value = data.get("player_id")
    return value if isinstance(value, str) and PLAYER_ID.match(value) else None


async def _player_id(request: web.Request, wanted: str | None) -> str:
    """The returning browser's id when it is known; otherwise a new one. When the store cannot answer,
    the id is kept and its row written later (``Engine.web_player``), never an id that fails every attempt."""
    return await request.app[ENGINE].web_player(wanted)


async def scenes(request: web.Request) -> web.Response:
    """The scene picker's list."""
    return web.json_response({"scenes": await request.app[CATALOG].summaries()},
                             headers={"Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.Response:
    """The game page; never cached, so a deploy's new asset versions are picked up at once."""
    return web.Response(body=request.app[ASSETS].index, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def asset(request: web.Request) -> web.Response:
    """A bundle file: cached for a year under the current version; revalidated under an old one."""
    assets = request.app[ASSETS]
    found = assets.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    current = request.match_info["version"] == assets.version
    return web.Response(body=found.body, headers={"Content-Type": found.content_type,
                                                  "Cache-Control": YEAR if current else "no-cache"})
