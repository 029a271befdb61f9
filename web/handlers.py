"""HTTP handlers: health, metrics, session tokens, the scene list, the page and its assets."""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import uuid

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from web.clients import client_of
from web.keys import ASSETS, CATALOG, ENGINE, METRICS, SETTINGS, TRUSTED_PROXIES
from web.keys import REGISTRY as SESSIONS
from web.sessions import ClientLimited, RegistryFull
from web.store import StoreUnavailable

log = structlog.get_logger()
UUID_CHARS = 36  # player ids are UUIDs in their canonical 8-4-4-4-12 form
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
    reasons = request.app[ENGINE].degraded_reasons() + await request.app[SESSIONS].problems()
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
    body = await asyncio.to_thread(generate_latest, request.app[METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, **NO_STORE})


async def create_session(request: web.Request) -> web.Response:
    """``{token, player_id}``: the token opens /ws; the browser keeps the player id and sends it back.

    Nothing is written here: the player's memory row is made at their first scene (web/player.py),
    so a refused request, or a token that never connects, costs the server no storage."""
    client = client_of(request, request.app[TRUSTED_PROXIES])
    registry = request.app[SESSIONS]
    try:
        await registry.limit(client)
        player_id = await _wanted_player(request) or str(uuid.uuid4())
        player = await registry.issue(player_id, client=client)
    except (ClientLimited, RegistryFull, StoreUnavailable) as e:
        status = 429 if isinstance(e, ClientLimited) else 503
        return web.json_response({"error": e.message, "hint": e.hint}, status=status,
                                 headers={"Retry-After": str(max(1, math.ceil(e.retry_after))), **NO_STORE})
    settings = request.app[SETTINGS]
    return web.json_response({"token": player.token, "player_id": player.player_id,
                              "expires_in": settings.session_token_ttl_seconds,
                              "resume_seconds": settings.ws_resume_seconds}, headers=NO_STORE)


async def _wanted_player(request: web.Request) -> str | None:
    """The id the browser kept, if it sent one in the canonical form the server hands out (a UUID)."""
    if not request.body_exists:  # (already read by the bounded_body middleware)
        return None
    try:
        data = json.loads(await request.text())
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise web.HTTPBadRequest(reason="expected a JSON object like {\"player_id\": \"...\"}") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(reason="expected a JSON object like {\"player_id\": \"...\"}")
    value = data.get("player_id")
    if not isinstance(value, str) or len(value) != UUID_CHARS:
        return None
    try:
        canonical = str(uuid.UUID(value))
    except ValueError:
        return None
    return canonical if canonical == value.lower() else None


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
