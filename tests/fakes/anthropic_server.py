"""A local fake of the Anthropic Messages API speaking the real streaming wire format (SSE)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tests.fakes.sse_server import FakeServer, Reply, before_chunk, open_sse, send

STATUS_FOR_TYPE = {
    "invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
    "not_found_error": 404, "rate_limit_error": 429, "api_error": 500, "overloaded_error": 529,
}


def error_reply(error_type: str, **kwargs: Any) -> Reply:
    """An HTTP error reply with the real status for ``error_type`` (e.g. ``overloaded_error``)."""
    return Reply(status=STATUS_FOR_TYPE[error_type], error_type=error_type, **kwargs)


class FakeAnthropic(FakeServer):
    """``POST /v1/messages``, streamed (``stream: true``) or not. Use ``url`` as base_url."""

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/messages", self._messages)]

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, self._answer)

    def error_body(self, reply: Reply) -> dict[str, Any]:
        return {"type": "error", "error": {"type": reply.error_type or "api_error",
                                           "message": reply.error_message},
                "request_id": "req_fake"}

    async def _answer(self, request: web.Request, reply: Reply,
                      body: dict[str, Any]) -> web.StreamResponse:
        if body.get("stream"):
            return await self._stream(request, reply, body)
        if reply.raw_body is not None:
            return web.json_response(reply.raw_body)
        if reply.whole_delay:
            await asyncio.sleep(reply.whole_delay)
        return web.json_response(self._message(reply, body))

    def _usage(self, reply: Reply) -> dict[str, int]:
        return {"input_tokens": 25, "output_tokens": 1, "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0, **reply.usage}

    def _message(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        if reply.tool_input is not None:
            content: list[dict[str, Any]] = [{"type": "tool_use", "id": "toolu_1",
                                              "name": body["tools"][0]["name"],
                                              "input": reply.tool_input}]
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": reply.text_body or "".join(reply.chunks)}]
            stop = reply.stop_reason
        usage = self._usage(reply)
        usage["output_tokens"] = reply.usage.get("output_tokens", 12)
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
                "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}

    async def _stream(self, request: web.Request, reply: Reply,
                      body: dict[str, Any]) -> web.StreamResponse:
        response = await open_sse(request, reply)
        await send(response, {"type": "message_start", "message": {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": self._usage(reply)}}, "message_start")
        await send(response, {"type": "content_block_start", "index": 0,
                              "content_block": {"type": "text", "text": ""}},
                   "content_block_start")
        await send(response, {"type": "ping"}, "ping")
        for index, chunk in enumerate(reply.chunks):
            if not await before_chunk(request, reply, index):
                return response
            if reply.stream_error_after == index:
                await send(response, {"type": "error", "error": {
                    "type": reply.stream_error_type, "message": reply.error_message}}, "error")
                return response
            await send(response, {"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "text_delta", "text": chunk}},
                       "content_block_delta")
        if not await before_chunk(request, reply, len(reply.chunks)):
            return response
        await send(response, {"type": "content_block_stop", "index": 0}, "content_block_stop")
        await send(response, {"type": "message_delta",
                              "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                              "usage": {"output_tokens": reply.usage.get("output_tokens", 12)}},
                   "message_delta")
        await send(response, {"type": "message_stop"}, "message_stop")
        return response
