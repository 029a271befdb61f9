"""``create_app``: the web front end's composition root. Everything it owns hangs off typed app keys
and is opened and closed by ``cleanup_ctx`` — no module-level state.

Start-up prepares the casting (provider SDK imported, key checked) before the sockets open.
Shutdown order: ``on_shutdown`` closes every socket with 1001 GOING_AWAY; then the cleanup
contexts unwind — sessions close and their memory writes finish (with REDIS_URL they are handed
over instead: saved for the process the player reconnects to), then the session store, the memory
store and the engine close.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import structlog
from aiohttp import WSCloseCode, web
from prometheus_client import REGISTRY as PROMETHEUS
from prometheus_client import CollectorRegistry

from digital_actors.clock import Clock
from digital_actors.config import Settings
from digital_actors.engine import READING_PACE, Engine
from digital_actors.memory.store import MemoryStore
from web import wording
from web.assets import Assets
from web.catalog import SceneCatalog
from web.clients import parse_trusted
from web.keys import (
    ALLOWED_ORIGINS,
    ASSETS,
    CATALOG,
    ENGINE,
    METRICS,
    REGISTRY,
    SETTINGS,
    SHUTTING_DOWN,
    SOCKETS,
    TRUSTED_PROXIES,
)
from web.middlewares import access_log, bounded_body, errors, security_headers
from web.origin import parse_allowed
from web.routes import setup_routes
from web.sessions import CLEANUP_INTERVAL, SessionRegistry
from web.store import LocalSessionStore, SessionStore

log = structlog.get_logger()


def create_app(settings: Settings, *, engine: Engine | None = None, memory_store: MemoryStore | None = None,
               extra_scenes: Sequence[Path] = (), open_memory: bool = False,
               pace: float = READING_PACE, session_store: SessionStore | None = None,
               metrics: CollectorRegistry | None = None) -> web.Application:
    """The aiohttp application. ``engine``/``memory_store``/``session_store`` are injected (tests) or built here.

    ``open_memory=True`` opens the configured store (SQLite or PostgreSQL) for the app's lifetime
    (``serve`` does); if it cannot be opened the server still plays, and /health says why.
    The session store is Redis at REDIS_URL when set (shared with every other server), else this
    process's own. ``metrics``: what /metrics exposes (a worker of several: every worker's, summed).
    """
    app = web.Application(middlewares=[access_log, errors, bounded_body], client_max_size=64 * 1024)
    owns_engine = engine is None
    app[SETTINGS] = settings
    app[METRICS] = metrics or PROMETHEUS
    app[ENGINE] = engine or Engine(settings, extra_scenes=extra_scenes)
    if memory_store is not None:
        app[ENGINE].store = memory_store  # the engine owns the store: sessions, /health and tokens ask it
    app[CATALOG] = SceneCatalog(app[ENGINE])
    app[ASSETS] = Assets()
    app[SOCKETS] = weakref.WeakSet()
    app[SHUTTING_DOWN] = asyncio.Event()
    app[ALLOWED_ORIGINS] = parse_allowed(settings.allowed_origins)
    app[TRUSTED_PROXIES] = parse_trusted(settings.trusted_proxies)
    clock = app[ENGINE].clock
    app[REGISTRY] = SessionRegistry(settings, engine=app[ENGINE], catalog=app[CATALOG], clock=clock, pace=pace,
                                    store=session_store or choose_session_store(settings, clock))
    setup_routes(app)
    app.on_response_prepare.append(security_headers)
    if open_memory and app[ENGINE].store is None:
        app.cleanup_ctx.append(_memory_store)
    if owns_engine:
        app.cleanup_ctx.append(_engine)
    app.cleanup_ctx.append(_session_store)
    app.cleanup_ctx.append(_sessions)
    app.on_startup.append(_prepare_casting)
    app.on_shutdown.append(_close_sockets)
    return app


def choose_session_store(settings: Settings, clock: Clock) -> SessionStore:
    """Redis at REDIS_URL (every server shares it), else this process's own store."""
    if settings.redis_url is None or not settings.redis_url.get_secret_value():
        return LocalSessionStore(per_minute=settings.session_rate_per_minute, burst=settings.session_rate_burst,
                                 clock=clock)
    from web.redis_store import RedisSessionStore  # the Redis client loads only when it is used

    return RedisSessionStore(settings.redis_url.get_secret_value(), per_minute=settings.session_rate_per_minute,
                             burst=settings.session_rate_burst, lease=settings.ws_resume_seconds + 2 * CLEANUP_INTERVAL,
                             max_connections=settings.redis_max_connections)


async def _session_store(app: web.Application) -> AsyncIterator[None]:
    """A shared store listens for sessions other processes took over; closed after the sessions."""
    store = app[REGISTRY].store
    sharing = store.sharing
    if sharing is not None:
        await sharing.start()
        problem = await sharing.problem()
        log.info("session_store", event_type="server_start", shared=True, instance=sharing.instance,
                 problem=problem)
    try:
        yield
    finally:
        await store.aclose()


async def _prepare_casting(app: web.Application) -> None:
    """Choose, import and check the model before the first player connects (the sites open
    only after start-up), so no player's turn pays the SDK import or the start-up check."""
    casting = await app[ENGINE].casting()
    log.info("performer_ready", event_type="performer", provider=casting.provider,
             reason=casting.reason)


async def _memory_store(app: web.Application) -> AsyncIterator[None]:
    """The engine opens the store for the app's lifetime; if it cannot, play goes on without memory
    and /health says why (``Engine.memory_error``)."""
    engine = app[ENGINE]
    if not await engine.open_memory() and engine.memory_error is not None:
        e = engine.memory_error
        log.error("memory_store_unavailable", event_type="memory_unavailable", error=e.message, hint=e.hint)
    try:
        yield
    finally:
        await engine.close_memory()


async def _engine(app: web.Application) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await app[ENGINE].aclose()


async def _sessions(app: web.Application) -> AsyncIterator[None]:
    """The expiry sweeper while the app runs; on exit every session closes and its memory write lands."""
    registry = app[REGISTRY]
    tasks = [asyncio.create_task(registry.run_cleanup(CLEANUP_INTERVAL))]
    if registry.store.sharing is not None:
        tasks.append(asyncio.create_task(registry.run_flusher()))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await registry.close_all()


async def _close_sockets(app: web.Application) -> None:
    """Tell every browser the server is going away (1001), so it reconnects elsewhere or later."""
    app[SHUTTING_DOWN].set()
    open_sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    sockets = list(open_sockets)
    if sockets:
        log.info("closing_sockets", event_type="shutdown", count=len(sockets))
        await asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY, message=wording.SHUTTING_DOWN.encode())
                               for ws in sockets), return_exceptions=True)
