"""``serve``: run the web server until SIGINT/SIGTERM, then shut down gracefully."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from digital_actors.config import Settings
from digital_actors.llm.select import import_provider
from digital_actors.logging import configure_logging
from web.app import create_app
from web.observability import init_sentry

log = structlog.get_logger()
SHUTDOWN_TIMEOUT = 20.0  # seconds handlers get to finish after the sockets are told to go away
# After an early answer (408, 413) to a body still on its way: seconds spent draining it, so the
# client reads the answer rather than a reset. aiohttp's 10 s would let a stalled body hold on.
LINGER_SECONDS = 1.0


class HandlerOptions(TypedDict):
    keepalive_timeout: float
    lingering_time: float
    handler_cancellation: bool
    logger: logging.Logger


class ClientFaults(logging.Filter):
    """aiohttp logs a request it cannot parse (a bad header, a broken chunk: the client's fault, and
    what scanners send all day) at ERROR with a traceback; make it one INFO line without one."""

    def filter(self, record: logging.LogRecord) -> bool:
        fault = record.exc_info[1] if record.exc_info else None
        if isinstance(fault, HttpProcessingError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg, record.args = "malformed request from %s: %s", (remote, " ".join(fault.message.split()))
            record.exc_info = record.exc_text = None
        return True


def protocol_logger() -> logging.Logger:
    """The logger aiohttp's connection handler writes to, with ``ClientFaults`` on it."""
    logger = logging.getLogger("web.http_protocol")
    if not any(isinstance(f, ClientFaults) for f in logger.filters):
        logger.addFilter(ClientFaults())
    return logger


def handler_options(settings: Settings) -> HandlerOptions:
    """aiohttp's per-connection settings (``run_app`` and test servers take them alike).

    aiohttp closes a connection that has not sent a whole request's headers ``keepalive_timeout``
    seconds after it connected (or after its previous response): that is the header timeout.
    The body's deadline is the ``bounded_body`` middleware's. Handlers are not cancelled when a
    client hangs up (``run_app``'s default, said here so test servers run the same way)."""
    return HandlerOptions(keepalive_timeout=settings.http_header_timeout_seconds, lingering_time=LINGER_SECONDS,
                          handler_cancellation=False, logger=protocol_logger())


def serve(settings: Settings, *, extra_scenes: Sequence[Path] = (), host: str | None = None,
          port: int | None = None) -> None:
    """Blocking: configure logs and Sentry, import the model SDK, open the memory store, check
    the model, then serve until a signal arrives."""
    configure_logging(level=settings.log_level, json=settings.log_format_json, env=settings.env)
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
                shutdown_timeout=SHUTDOWN_TIMEOUT, handle_signals=True, **handler_options(settings))
    log.info("server_stopped", event_type="server_stopped")
