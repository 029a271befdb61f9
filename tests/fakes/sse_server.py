"""A scriptable local HTTP server for provider fakes: queued replies, recorded requests, disconnects.

Slowness is driven by asyncio events the test controls (``hold``/``stall``); real delays
(``first_delay``/``chunk_delay``) exist only for benchmarks.
"""

from __future__ import annotations

import abc
import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web


async def listen(routes: list[web.RouteDef], port: int, *, shutdown_timeout: float) -> tuple[web.AppRunner, int]:
    """Serve ``routes`` on 127.0.0.1:``port`` (0: a free one); the runner and the port it got."""
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    assert server is not None and server.sockets  # type: ignore[attr-defined]
    return runner, int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]


@dataclass
class Reply:
    """What the fake answers to one request."""

    chunks: list[str] = field(default_factory=lambda: ["Hello", " there", "."])
    status: int = 200
    error_type: str | None = None          # an HTTP error body of this type (status must be >= 400)
    error_message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str = "end_turn"
    hold: asyncio.Event | None = None       # wait for this before sending anything
    stall_after: int | None = None          # after this many chunks, wait for ``release``
    release: asyncio.Event | None = None
    disconnect_after: int | None = None     # after this many chunks, drop the connection
    stream_error_after: int | None = None   # after this many chunks, send an in-stream error
    stream_error_type: str = "overloaded_error"
    tool_input: dict[str, Any] | None = None  # structured answer for non-streamed calls
    text_body: str | None = None            # non-streamed text answer (defaults to chunks joined)
    raw_body: dict[str, Any] | None = None  # non-streamed: this exact JSON body (odd 200s)
    first_delay: float = 0.0                # benchmark only: real seconds before the first chunk
    chunk_delay: float = 0.0                # benchmark only: real seconds between chunks
    whole_delay: float = 0.0                # benchmark only: real seconds before a non-streamed answer


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


Handler = Callable[[web.Request, Reply, dict[str, Any]], Awaitable[web.StreamResponse]]


class FakeServer(abc.ABC):
    """Serves ``replies`` in order (then ``default``) on 127.0.0.1 at a free port."""

    def __init__(self, replies: list[Reply] | None = None, *, default: Reply | None = None) -> None:
        self.replies: list[Reply] = list(replies or [])
        self.default = default or Reply()
        self.seen: list[Seen] = []
        self.arrived = asyncio.Event()  # set by every request (clear it to wait for the next)
        self.disconnects = 0
        self.disconnected = asyncio.Event()
        self.completed = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @abc.abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """Subclasses list their endpoints (each calling ``self.serve``)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        """Listen on a free port, or again on the same one after ``stop`` (an outage that ends)."""
        self._runner, self.port = await listen(self.routes(), self.port, shutdown_timeout=0.5)
        return self

    async def stop(self) -> None:
        for reply in [*self.replies, self.default]:
            for event in (reply.hold, reply.release):
                if event is not None:
                    event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else self.default

    async def serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the request, pick the reply, run ``handler``; count client disconnects."""
        body = await request.json()
        self.seen.append(Seen(request.path, {k.lower(): v for k, v in request.headers.items()}, body))
        self.arrived.set()
        reply = self.next_reply()
        try:
            if reply.hold is not None:
                await reply.hold.wait()
            if reply.status >= 400:
                return web.json_response(self.error_body(reply), status=reply.status,
                                         headers=reply.headers)
            response = await handler(request, reply, body)
            self.completed += 1
            return response
        except (asyncio.CancelledError, ConnectionResetError):
            self.disconnects += 1
            self.disconnected.set()
            raise

    @abc.abstractmethod
    def error_body(self, reply: Reply) -> dict[str, Any]:
        """The provider's JSON error body for a failing reply."""


async def open_sse(request: web.Request, reply: Reply) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-cache", **reply.headers})
    await response.prepare(request)
    return response


async def send(response: web.StreamResponse, data: dict[str, Any] | str,
               event: str | None = None) -> None:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    await response.write(f"{head}data: {payload}\n\n".encode())


async def before_chunk(request: web.Request, reply: Reply, index: int) -> bool:
    """Apply the reply's pacing before chunk ``index``; False means the connection was dropped."""
    if index == 0 and reply.first_delay:
        await asyncio.sleep(reply.first_delay)
    elif index and reply.chunk_delay:
        await asyncio.sleep(reply.chunk_delay)
    if reply.stall_after is not None and index == reply.stall_after:
        assert reply.release is not None, "stall_after needs a release event"
        await reply.release.wait()
    if reply.disconnect_after is not None and index == reply.disconnect_after:
        assert request.transport is not None
        request.transport.close()
        return False
    return True
