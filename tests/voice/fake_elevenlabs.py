"""A local stand-in for the ElevenLabs streaming TTS endpoint, speaking its wire format.

``POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_24000`` with a JSON body returns
chunked raw PCM16; errors are JSON ``{"detail": {"status", "message"}}`` bodies. Tests queue
behaviours (``Reply``) that the next requests consume in order; by default every request
streams a deterministic tone. Used by tests/voice and benchmarks/voice_latency.py.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

API_KEY = "test-key-123"


@dataclass
class Reply:
    """One scripted response: an error status, a stream, a hang or a mid-stream disconnect."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    first_byte_delay: float = 0.0  # seconds before the first audio byte (after the headers)
    hang: bool = False  # send headers, then never any audio
    disconnect_after: int | None = None  # bytes sent before the connection is dropped
    chunk_bytes: int = 2400


def tone(text: str, sample_rate: int, ms_per_char: float = 40.0) -> bytes:
    """Deterministic speech-like audio: a 220 Hz tone whose length follows the text."""
    count = max(1, int(len(text) * ms_per_char * sample_rate / 1000))
    wave = 8000 * np.sin(2 * np.pi * 220 * np.arange(count) / sample_rate)
    return bytes(wave.astype("<i2").tobytes())


@dataclass
class Request:
    voice_id: str
    query: dict[str, str]
    body: dict[str, Any]
    api_key: str | None
    client_port: int | None  # the same port twice means the connection was reused


class FakeElevenLabs:
    """The fake server. ``async with FakeElevenLabs() as fake:`` then use ``fake.base_url``."""

    def __init__(self, *, api_key: str = API_KEY, default: Reply | None = None) -> None:
        self.api_key = api_key
        self.default = default or Reply()
        self.replies: deque[Reply] = deque()
        self.requests: list[Request] = []
        self.warm_ports: list[int | None] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def __aenter__(self) -> FakeElevenLabs:
        app = web.Application()
        app.router.add_post("/v1/text-to-speech/{voice_id}/stream", self._stream)
        app.router.add_route("HEAD", "/", self._head)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _head(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.warm_ports.append(peer[1] if peer else None)
        return web.Response(status=200)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append(Request(request.match_info["voice_id"], dict(request.query), body,
                                     request.headers.get("xi-api-key"), peer[1] if peer else None))
        if request.headers.get("xi-api-key") != self.api_key:
            return _error(401, "invalid_api_key", "Invalid API key")
        reply = self.replies.popleft() if self.replies else self.default
        if reply.status != 200:
            payload = reply.body or {"detail": {"status": "error", "message": f"HTTP {reply.status}"}}
            return web.Response(status=reply.status, text=json.dumps(payload),
                                content_type="application/json", headers=reply.headers)
        rate = int(request.query.get("output_format", "pcm_24000").removeprefix("pcm_"))
        audio = tone(body["text"], rate)
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        if reply.hang:
            await asyncio.Event().wait()  # until the client goes away (the handler is cancelled)
        if reply.first_byte_delay:
            await asyncio.sleep(reply.first_byte_delay)
        if reply.disconnect_after is not None:
            await response.write(audio[: reply.disconnect_after])
            assert request.transport is not None
            request.transport.close()
            return response
        for start in range(0, len(audio), reply.chunk_bytes):
            await response.write(audio[start:start + reply.chunk_bytes])
        await response.write_eof()
        return response


def _error(status: int, code: str, message: str) -> web.Response:
    return web.Response(status=status, content_type="application/json",
                        text=json.dumps({"detail": {"status": code, "message": message}}))
