"""``serve``: run the web server until SIGINT/SIGTERM, then shut down gracefully."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import structlog
from aiohttp import web

from digital_actors.config import Settings
from digital_actors.llm.select import import_provider
from digital_actors.logging import configure_logging
from web.app import create_app
from web.observability import init_sentry

log = structlog.get_logger()
SHUTDOWN_TIMEOUT = 20.0  # seconds handlers get to finish after the sockets are told to go away


def serve(settings: Settings, *, extra_scenes: Sequence[Path] = (), host: str | None = None,
          port: int | None = None) -> None:
    """Blocking: configure logs and Sentry, import the model SDK, open the memory store, check
    the model, then serve until a signal arrives."""
    configure_logging(level=settings.log_level, json=settings.log_format_json, env=settings.env,
                      secrets=settings.secret_values(), log_prompts=settings.log_prompts)
    init_sentry(settings)
    imported = import_provider(settings)  # before the loop runs: the import blocks for a second
    if imported is not None:
        log.info("provider_sdk_imported", event_type="server_start", module=imported[0],
                 seconds=round(imported[1], 3))
    app = create_app(settings, extra_scenes=extra_scenes, open_memory=True)
    host = host or settings.host
    port = settings.port if port is None else port

    async def announce(_: web.Application) -> None:
        log.info("server_started", event_type="server_started", host=host, port=port, env=settings.env)

    app.on_startup.append(announce)
    web.run_app(app, host=host, port=port, access_log=None, print=None,
                shutdown_timeout=SHUTDOWN_TIMEOUT, handle_signals=True)
    log.info("server_stopped", event_type="server_stopped")
