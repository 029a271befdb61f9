"""A local fake of OpenAI chat completions speaking the real streaming wire format.

``data: {chunk}`` lines, a usage chunk with empty ``choices`` when ``stream_options.include_usage``
is set, then ``data: [DONE]``. Use ``url + "/v1"`` as the SDK's base_url.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.sse_server import FakeServer, Reply, before_chunk, open_sse, send

ERRORS = {
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def error_reply(status: int, **kwargs: Any) -> Reply:
    """An HTTP error reply with OpenAI's error body for ``status``."""
    return Reply(status=status, error_type=ERRORS.get(status, ("invalid_request_error", None))[0],
                 **kwargs)


class FakeOpenAI(FakeServer):
    """``POST /v1/chat/completions``. ``reject_stream_options`` mimics strict local servers;
    ``refused_formats`` (``json_schema``, ``json_object``) mimics servers without structured output."""

    reject_stream_options = False
    quota_exhausted = False
    refused_formats: frozenset[str] = frozenset()

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self._completions)]

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, self._answer)

    def error_body(self, reply: Reply) -> dict[str, Any]:
        code = ERRORS.get(reply.status, (None, None))[1]
        if self.quota_exhausted and reply.status == 429:
            code = "insufficient_quota"
        return {"error": {"message": reply.error_message, "type": reply.error_type,
                          "param": None, "code": code}}

    async def _answer(self, request: web.Request, reply: Reply,
                      body: dict[str, Any]) -> web.StreamResponse:
        if self.reject_stream_options and "stream_options" in body:
            return web.json_response({"error": {
                "message": "Unrecognized request argument supplied: stream_options",
                "type": "invalid_request_error", "param": "stream_options", "code": None}},
                status=400)
        wanted = (body.get("response_format") or {}).get("type")
        if wanted in self.refused_formats:
            return web.json_response({"error": {
                "message": f"response_format type '{wanted}' is not supported by this server",
                "type": "invalid_request_error", "param": "response_format", "code": None}},
                status=400)
        if body.get("stream"):
            return await self._stream(request, reply, body)
        if reply.raw_body is not None:
            return web.json_response(reply.raw_body)
        content = (json.dumps(reply.tool_input) if reply.tool_input is not None
                   else reply.text_body or "".join(reply.chunks))
        return web.json_response({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1,
            "model": body["model"], "system_fingerprint": None,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": self._usage(reply)})

    def _usage(self, reply: Reply) -> dict[str, Any]:
        prompt = reply.usage.get("prompt_tokens", 30)
        completion = reply.usage.get("completion_tokens", 9)
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": reply.usage.get("cached_tokens", 0)}}

    def _chunk(self, body: dict[str, Any], delta: dict[str, Any],
               finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1,
                "model": body["model"], "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}]}

    async def _stream(self, request: web.Request, reply: Reply,
                      body: dict[str, Any]) -> web.StreamResponse:
        response = await open_sse(request, reply)
        await send(response, self._chunk(body, {"role": "assistant", "content": ""}))
        for index, chunk in enumerate(reply.chunks):
            if not await before_chunk(request, reply, index):
                return response
            if reply.stream_error_after == index:
                await send(response, {"error": {"message": reply.error_message,
                                                "type": "server_error", "code": None}})
                return response
            await send(response, self._chunk(body, {"content": chunk}))
        if not await before_chunk(request, reply, len(reply.chunks)):
            return response
        await send(response, self._chunk(body, {}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage_chunk = self._chunk(body, {})
            usage_chunk["choices"] = []
            usage_chunk["usage"] = self._usage(reply)
            await send(response, usage_chunk)
        await send(response, "[DONE]")
        return response
