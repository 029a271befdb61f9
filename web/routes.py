"""Every URL the server answers, in one place."""

from __future__ import annotations

from aiohttp import web

from web import handlers, memory, ws


def setup_routes(app: web.Application) -> None:
    app.add_routes([
        web.get("/", handlers.index, name="index"),
        web.get("/health", handlers.health, name="health"),
        web.get("/metrics", handlers.metrics, name="metrics"),
        web.post("/api/session", handlers.create_session, name="session"),
        web.get("/api/scenes", handlers.scenes, name="scenes"),
        web.get("/api/memory", memory.show, name="memory"),
        web.delete("/api/memory", memory.forget, name="forget_all"),
        web.delete("/api/memory/{note}", memory.forget, name="forget_note"),
        web.get("/ws", ws.websocket, name="ws"),
        web.get(r"/static/{version:[0-9a-f]{1,64}}/{name:[A-Za-z0-9_.\-]+}", handlers.asset, name="asset"),
    ])
