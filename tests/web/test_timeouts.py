"""Slow and broken clients over raw sockets, against a server run as ``serve`` runs it
(``handler_options``): headers and bodies have deadlines, and a hang-up is never a 500.

The deadlines here are a fraction of a second so the tests are quick; nothing asserts how long
anything took: each test waits (bounded by GUARD) for the server to act, or fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from structlog.testing import capture_logs

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from tests.web.conftest import GUARD, yield_until
from web import create_app, server
from web.keys import REGISTRY
from web.server import LINGER_SECONDS, handler_options

QUICK = 0.2  # seconds: the header and body deadlines under test
BODY = b'{"player_id": "0b1f7a52-4d7e-4a38-9f1e-3c1d2b5e6f70"}'


class Running:
    def __init__(self, app: web.Application, runner: web.AppRunner, port: int) -> None:
        self.app, self.runner, self.port = app, runner, port

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)


@pytest.fixture
async def running(settings_factory: Callable[..., Settings]) -> AsyncIterator[Callable[..., Any]]:
    runners: list[web.AppRunner] = []

    async def start(**values: Any) -> Running:
        settings = settings_factory(**values)
        app = create_app(settings, engine=Engine(settings, clock=FakeClock()), pace=0)
        runner = web.AppRunner(app, access_log=None, **handler_options(settings))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return Running(app, runner, runner.addresses[0][1])

    yield start
    for runner in runners:
        await runner.cleanup()


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (GUARD fails a server that never does)."""
    data = b""
    async with asyncio.timeout(GUARD):
        with contextlib.suppress(ConnectionResetError):
            while chunk := await reader.read(4096):
                data += chunk
    return data


async def test_headers_not_finished_in_time_close_the_connection_unanswered(running) -> None:
    app = await running(http_header_timeout_seconds=QUICK)
    reader, writer = await app.connect()
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n")  # and never the blank line
    await writer.drain()
    assert await read_until_closed(reader) == b""
    writer.close()


async def test_a_prompt_client_on_the_same_settings_is_served_and_kept_alive(running) -> None:
    app = await running(http_header_timeout_seconds=QUICK)
    reader, writer = await app.connect()
    for _ in range(2):  # two requests on one kept-alive connection
        writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        assert b'"ok"' in await reader.readexactly(length)
    writer.close()


async def test_a_stalled_body_gets_408_then_the_connection_closes(running) -> None:
    app = await running(http_body_timeout_seconds=QUICK)
    reader, writer = await app.connect()
    writer.write(b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[:10])
    await writer.drain()
    with capture_logs() as logs:
        answer = await read_until_closed(reader)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and b"Connection: close" in head
    assert body == b'{"error": "request body not received in time"}'
    assert len(app.app[REGISTRY]) == 0  # no token for a request that never finished
    assert [e["status"] for e in logs if e["event"] == "http_request"] == [408]


async def test_a_body_that_arrives_in_time_is_served(running) -> None:
    app = await running(http_body_timeout_seconds=QUICK)
    reader, writer = await app.connect()
    writer.write(b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)
    await writer.drain()
    answer = await read_until_closed(reader)
    assert answer.startswith(b"HTTP/1.1 200") and b'"player_id": "0b1f7a52-4d7e-4a38-9f1e-3c1d2b5e6f70"' in answer
    writer.close()


@pytest.mark.parametrize("reset", [True, False], ids=["reset", "closed"])
async def test_a_client_hanging_up_mid_body_is_one_quiet_line_never_a_500(running, reset: bool) -> None:
    app = await running()
    with capture_logs() as logs:
        _, writer = await app.connect()
        writer.write(b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[: len(BODY) // 2])
        await writer.drain()
        await yield_until(lambda: app.runner.server is not None and len(app.runner.server.connections) == 1)
        if reset:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()
        await yield_until(lambda: any(e["event"] == "http_request" for e in logs))
    events = [e["event"] for e in logs]
    assert events == ["client_aborted", "http_request"]
    assert logs[1]["status"] == 499 and logs[0]["log_level"] == "info"
    assert not any("exc_info" in e or "exception" in e for e in logs)
    assert len(app.app[REGISTRY]) == 0


async def test_a_malformed_request_is_a_400_and_an_info_line_without_a_traceback(running, caplog) -> None:
    app = await running()
    reader, writer = await app.connect()
    with caplog.at_level(logging.DEBUG):
        writer.write(b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\n{\"pla\r\nZZ\r\n")  # "ZZ" is no chunk size
        await writer.drain()
        answer = await read_until_closed(reader)
    writer.close()
    assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
    records = [r for r in caplog.records if r.name == "web.http_protocol"]
    assert [(r.levelname, r.exc_info) for r in records] == [("INFO", None)]
    assert records[0].getMessage() == "malformed request from 127.0.0.1: Invalid character in chunk size: b'ZZ' ^"


def test_a_server_side_error_still_logs_its_traceback() -> None:
    """The lookalike: only the client's malformed HTTP is quietened, never the server's own errors."""
    record = logging.LogRecord("web.http_protocol", logging.ERROR, __file__, 1, "Error handling request from %s",
                               ("127.0.0.1",), (RuntimeError, RuntimeError("boom"), None))
    assert server.ClientFaults().filter(record) and record.levelname == "ERROR" and record.exc_info is not None


def test_serve_runs_the_app_with_the_handler_options(monkeypatch, settings_factory: Callable[..., Settings]) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(server, "configure_logging", lambda **_: None)
    monkeypatch.setattr(server, "init_sentry", lambda _settings: None)
    monkeypatch.setattr(server, "import_provider", lambda _settings: None)
    monkeypatch.setattr(server.web, "run_app", lambda app, **kwargs: seen.update(kwargs))
    server.serve(settings_factory(http_header_timeout_seconds=7.5))
    assert (seen["keepalive_timeout"], seen["lingering_time"], seen["handler_cancellation"]) == (
        7.5, LINGER_SECONDS, False)
