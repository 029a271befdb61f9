"""``serve``: run the web server until SIGINT/SIGTERM, then shut down gracefully.

With ``--workers N`` (WEB_WORKERS) above 1, ``web/workers.py`` runs N such servers on the one port.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TypedDict

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import CollectorRegistry

from digital_actors.config import Settings
from digital_actors.errors import ConfigError
from digital_actors.llm.select import import_provider
from digital_actors.logging import configure_logging
from web.app import create_app
from web.observability import init_sentry

log = structlog.get_logger()
SHUTDOWN_TIMEOUT = 20.0  # seconds handlers get to finish after the sockets are told to go away
EXIT_USAGE = 2  # the CLI's exit code for a setting or an argument that cannot work
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
          port: int | None = None, workers: int | None = None) -> None:
    """Blocking: listen first (a busy port is one line and exit 2, before anything else starts),
    then configure logs and Sentry, import the model SDK, open the memory store, check the
    model, and serve until a signal arrives. ``workers`` above 1 (default WEB_WORKERS) runs that
    many server processes on the port, and needs REDIS_URL (else one line and exit 2)."""
    host = host or settings.host
    port = settings.port if port is None else port
    workers = settings.web_workers if workers is None else workers
    try:
        if workers > 1:
            from web.workers import serve_workers

            raise SystemExit(serve_workers(settings, workers=workers, extra_scenes=extra_scenes, host=host, port=port))
        sockets = listen(host, port)
    except ConfigError as e:
        fail(e)
    run(settings, sockets, extra_scenes=extra_scenes, host=host)


def fail(error: ConfigError) -> NoReturn:
    """One line (and a hint) on stderr, exit code 2: a setting or an argument that cannot work."""
    print(f"error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"  hint: {error.hint}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE) from None


def run(settings: Settings, sockets: list[socket.socket], *, extra_scenes: Sequence[Path] = (), host: str = "",
        metrics: CollectorRegistry | None = None) -> None:
    """Serve on ``sockets`` (bound and listening) until a signal arrives; closes them at the end."""
    try:
        configure_logging(level=settings.log_level, json=settings.log_format_json, env=settings.env,
                          secrets=settings.secret_values(), log_prompts=settings.log_prompts)
        init_sentry(settings)
        imported = import_provider(settings)  # before the loop runs: the import blocks for a second
        if imported is not None:
            log.info("provider_sdk_imported", event_type="server_start", module=imported[0],
                     seconds=round(imported[1], 3))
        app = create_app(settings, extra_scenes=extra_scenes, open_memory=True, metrics=metrics)
        bound = sockets[0].getsockname()[1]  # the real port when 0 asked for any free one

        async def announce(_: web.Application) -> None:
            log.info("server_started", event_type="server_started", host=host, port=bound, env=settings.env)

        app.on_startup.append(announce)
        web.run_app(app, sock=sockets, access_log=None, print=None,
                    shutdown_timeout=SHUTDOWN_TIMEOUT, handle_signals=True, **handler_options(settings))
    finally:
        for sock in sockets:
            sock.close()
    log.info("server_stopped", event_type="server_stopped")


def listen(host: str, port: int, *, reuse_port: bool = False) -> list[socket.socket]:
    """Bound, listening sockets for every address ``host`` names (both families for a name like
    ``localhost``, as aiohttp would bind), or a ConfigError that says why and what to do.
    ``reuse_port``: SO_REUSEPORT, so that several workers' sockets share the port."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ConfigError(f"cannot listen on {host!r}: the name does not resolve ({e.strerror})",
                          hint="set HOST (or --host) to an address of this machine, "
                               "e.g. 127.0.0.1 or 0.0.0.0") from None
    sockets: list[socket.socket] = []
    seen: set[tuple[int, str]] = set()
    try:
        for family, _, _, _, address in infos:
            key = (int(family), str(address[0]))
            if key in seen:  # getaddrinfo repeats an address per protocol
                continue
            seen.add(key)
            sockets.append(socket.create_server(address, family=family, reuse_port=reuse_port))
    except OSError as e:
        for sock in sockets:
            sock.close()
        raise _bind_error(e, host, port) from None
    return sockets


def _bind_error(e: OSError, host: str, port: int) -> ConfigError:
    where = f"{host}:{port}"
    if e.errno == errno.EADDRINUSE:
        other = port + 1 if port < 65535 else 8080
        return ConfigError(
            f"port {port} is in use (another program is already listening on {where})",
            hint=f"stop it (`ss -ltnp 'sport = :{port}'` shows which) or choose another port "
                 f"(PORT={other} or --port {other})")
    if e.errno == errno.EACCES:
        return ConfigError(f"cannot listen on {where}: permission denied",
                           hint="ports below 1024 need privileges; use a port above 1024 "
                                "(PORT=8080) behind a reverse proxy")
    if e.errno == errno.EADDRNOTAVAIL:
        return ConfigError(f"cannot listen on {where}: {host} is not an address of this machine",
                           hint="set HOST (or --host) to 127.0.0.1, 0.0.0.0 or one of this "
                                "machine's addresses")
    return ConfigError(f"cannot listen on {where}: {e.strerror or e}",
                       hint="check HOST and PORT (or --host/--port)")
