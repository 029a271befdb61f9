"""Provider faults on the real wire formats: a fake Anthropic or OpenAI server that answers each
request with a fault mode chosen at random (seeded), or with the mode a test names.

Every mode is something a provider, a proxy or a broken network has been seen to send: malformed
stream events (``delta: null``, a number for text, invalid UTF-8, garbage JSON, unknown event
types), streams that end early or mid-event, an error event mid-stream, empty and blank answers,
hangs before the first byte and stalls after some text, HTTP errors whose text quotes the API key
the request carried, a 200 that is not a stream, and junk a model writes (raw JSON, stage
business, speaker tags, meta). Streamed (line) and structured (judge, suggestions, director)
requests each get the mode's own version. ``verify`` calls (5 tokens) always answer "OK".

    async with FaultyAnthropic(FaultPlan(seed=7)) as server: ...   # base_url=server.url
    async with FaultyOpenAI(FaultPlan(only="hang")) as server: ...   # base_url=server.base_url
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.fakes.sse_server import listen

# Fault modes (23). "clean" is not a fault: a well-formed, well-written answer.
STREAM_FAULTS: tuple[str, ...] = (
    "null_delta", "number_text", "bad_utf8", "lone_surrogate", "garbage_json", "unknown_events",
    "error_event", "truncated", "cut_mid_event", "empty", "blank", "hang", "stall",
    "http_500_html", "overloaded", "rate_limited_long", "auth_quoting_key", "bad_request_quoting_key",
    "not_a_stream", "junk_json", "junk_stage_business", "junk_speaker_after_aside", "junk_meta",
)
MODES: tuple[str, ...] = (*STREAM_FAULTS, "clean")
# Junk modes answer 200 with text a player must never see as written.
JUNK_MODES = frozenset({"junk_json", "junk_stage_business", "junk_speaker_after_aside", "junk_meta"})
MARKER = "FAULT-TEXT"  # in every error text the fake sends: it must never reach a player

CLEAN_LINE = "Hold the crank steady. We have about ninety seconds, so breathe and pull."
JUNK_LINES: dict[str, list[str]] = {
    "junk_json": ['{"line": "Hold the crank steady, Aft.", "emotion": "urgent"}',
                  '```json\n{"dialogue": "Keep pulling. Don\'t stop now."}\n```',
                  '[{"speaker": "{name}", "text": "Breathe. Then pull again."}]'],
    "junk_stage_business": ["*sighs heavily* Hold the crank. (pauses) Now pull.",
                            "(long pause) Aft... *glances at the gauge* keep going.",
                            "*takes a deep breath* Okay. *nods slowly* We go on three."],
    "junk_speaker_after_aside": ["(quietly) {name}: Hold the crank steady.",
                                 "*leans toward the intercom* **{name}:** Keep pulling, Aft.",
                                 "{name} (urgently): Pull. Now."],
    "junk_meta": ["As an AI, I can't actually be on a submarine.",
                  "Sure! Here's {name}'s line: Keep pulling, Aft.",
                  "Pull the crank.\n\nNote: I kept this under the word limit."],
}


def purpose_of(body: dict[str, Any]) -> str:
    """Which engine call a request is: ``line``, ``verify``, ``judge``, ``suggest``, ``director``."""
    if (body.get("max_tokens") or body.get("max_completion_tokens")) == 5:
        return "verify"
    schema: dict[str, Any] = {}
    if body.get("tools"):
        schema = body["tools"][0].get("input_schema", {})
    elif isinstance(body.get("response_format"), dict):
        schema = body["response_format"].get("json_schema", {}).get("schema", {})
    elif not body.get("stream"):
        return "structured"  # a server that refused response_format: the prompt asks for JSON
    else:
        return "line"
    props = schema.get("properties", {})
    if schema.get("title") == "signal_judgements":
        return "judge"
    return "suggest" if "replies" in props else "director" if "action" in props else "structured"


def good_answer(body: dict[str, Any], purpose: str) -> dict[str, Any]:
    """A well-formed structured answer for ``purpose``."""
    if purpose == "judge":
        schema = (body["tools"][0]["input_schema"] if body.get("tools")
                  else body["response_format"]["json_schema"]["schema"])
        return dict.fromkeys(schema.get("properties", {}), False)
    if purpose == "suggest":
        return {"replies": ["I'm pulling.", "How long do we have?", "Talk to me, James."]}
    if purpose == "director":
        return {"action": "continue", "text": "", "reason": "pacing is fine"}
    return {"ok": True}


@dataclass
class FaultPlan:
    """Which mode answers each request: ``only`` for one mode always, else a seeded random draw
    (``clean_share`` of requests answered cleanly). A retry (the same request body again) gets
    the same mode: a provider that hangs or errors keeps doing it for the call's retries.
    ``drawn`` records (purpose, mode) of each first draw, in order."""

    seed: int = 0
    only: str | None = None
    clean_share: float = 0.2
    modes: tuple[str, ...] = STREAM_FAULTS
    drawn: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rand = random.Random(self.seed)
        self._recent: dict[str, str] = {}

    def next(self, purpose: str, digest: str = "") -> str:
        if purpose == "verify":
            return "clean"
        if digest and digest in self._recent:
            return self._recent[digest]
        if self.only is not None:
            mode = self.only
        elif self._rand.random() < self.clean_share:
            mode = "clean"
        else:
            mode = self._rand.choice(self.modes)
        self.drawn.append((purpose, mode))
        if digest:
            self._recent[digest] = mode
            while len(self._recent) > 64:
                del self._recent[next(iter(self._recent))]
        return mode

    def junk(self, mode: str, name: str) -> str:
        return self._rand.choice(JUNK_LINES[mode]).replace("{name}", name)


class FaultServer(abc.ABC):
    """The shared machinery: an aiohttp app on 127.0.0.1, the plan, hangs released on stop."""

    def __init__(self, plan: FaultPlan | None = None, *, speaker: str = "James") -> None:
        self.plan = plan or FaultPlan()
        self.speaker = speaker  # the name a junk speaker tag uses
        self.requests = 0
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    @abc.abstractmethod
    def routes(self) -> list[web.RouteDef]:
        ...

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        self._runner, self.port = await listen(self.routes(), self.port, shutdown_timeout=0.2)
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw)
        self.requests += 1
        purpose = purpose_of(body)
        mode = self.plan.next(purpose, hashlib.sha256(raw).hexdigest())
        key = self.key_of(request)
        if mode in ("hang",) or (mode == "stall" and not body.get("stream")):
            await self._release.wait()
            return web.Response(status=503)
        errors = {"http_500_html": 500, "overloaded": 529, "rate_limited_long": 429,
                  "auth_quoting_key": 401, "bad_request_quoting_key": 400}
        if mode in errors:
            return self.error(mode, errors[mode], key)
        if mode == "not_a_stream" and body.get("stream"):
            return web.Response(status=200, content_type="application/json",
                                text=json.dumps({"id": "x", "content": "not a stream"}))
        if body.get("stream"):
            return await self.stream(request, body, mode, key)
        return await self.whole(request, body, mode, purpose, key)

    def error(self, mode: str, status: int, key: str) -> web.Response:
        text = f"{MARKER}: request refused for key {key}"
        if mode == "http_500_html":
            return web.Response(status=500, content_type="text/html",
                                text=f"<html><body><h1>500</h1><p>{text}</p></body></html>")
        headers = {"retry-after": "30"} if mode == "rate_limited_long" else {}
        return web.json_response(self.error_body(status, text), status=status, headers=headers)

    def line_text(self, mode: str) -> str:
        return self.plan.junk(mode, self.speaker) if mode in JUNK_MODES else CLEAN_LINE

    async def raw(self, request: web.Request, chunks: list[bytes], *, hold_after: int | None = None,
                  close: bool = False, content_type: str = "text/event-stream") -> web.StreamResponse:
        """Write ``chunks`` (holding forever after ``hold_after`` of them, or dropping the
        connection at the end with ``close``)."""
        response = web.StreamResponse(status=200, headers={"Content-Type": content_type,
                                                           "Cache-Control": "no-cache"})
        await response.prepare(request)
        for index, chunk in enumerate(chunks):
            if hold_after is not None and index == hold_after:
                await self._release.wait()
                return response
            await response.write(chunk)
        if close:
            assert request.transport is not None
            request.transport.close()
            return response
        await response.write_eof()
        return response

    # --- per provider ------------------------------------------------------------------
    @abc.abstractmethod
    def key_of(self, request: web.Request) -> str:
        ...

    @abc.abstractmethod
    def error_body(self, status: int, text: str) -> dict[str, Any]:
        ...

    @abc.abstractmethod
    async def stream(self, request: web.Request, body: dict[str, Any], mode: str,
                     key: str) -> web.StreamResponse:
        ...

    @abc.abstractmethod
    async def whole(self, request: web.Request, body: dict[str, Any], mode: str, purpose: str,
                    key: str) -> web.StreamResponse:
        ...


def sse(data: dict[str, Any] | list[Any] | str | bytes, event: str | None = None) -> bytes:
    payload = data if isinstance(data, bytes) else (
        data if isinstance(data, str) else json.dumps(data)).encode()
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + payload + b"\n\n"


def pieces(text: str, size: int = 7) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


class FaultyAnthropic(FaultServer):
    """``POST /v1/messages`` with faults. Use ``url`` as the Anthropic base_url."""

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/messages", self.handle)]

    def key_of(self, request: web.Request) -> str:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return request.headers.get("x-api-key") or bearer

    def error_body(self, status: int, text: str) -> dict[str, Any]:
        kind = {401: "authentication_error", 400: "invalid_request_error", 429: "rate_limit_error",
                529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": text}, "request_id": "req_f"}

    def _start(self, body: dict[str, Any]) -> bytes:
        return sse({"type": "message_start", "message": {
            "id": "msg_f", "type": "message", "role": "assistant", "model": body["model"],
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 40, "output_tokens": 1}}}, "message_start") + sse(
            {"type": "content_block_start", "index": 0,
             "content_block": {"type": "text", "text": ""}}, "content_block_start")

    @staticmethod
    def _delta(text: Any) -> bytes:
        return sse({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": text}}, "content_block_delta")

    @staticmethod
    def _end() -> bytes:
        return (sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
                + sse({"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                          "stop_sequence": None},
                       "usage": {"output_tokens": 14}}, "message_delta")
                + sse({"type": "message_stop"}, "message_stop"))

    async def stream(self, request: web.Request, body: dict[str, Any], mode: str,
                     key: str) -> web.StreamResponse:
        start, end = self._start(body), self._end()
        words = [self._delta(p) for p in pieces(self.line_text(mode))]
        special: dict[str, list[bytes]] = {
            "null_delta": [start, words[0], sse({"type": "content_block_delta", "index": 0,
                                                 "delta": None}, "content_block_delta"), end],
            "number_text": [start, self._delta(42), end],
            "bad_utf8": [start, sse(b'{"type":"content_block_delta","index":0,"delta":'
                                    b'{"type":"text_delta","text":"Hold \xff\xfe on."}}',
                                    "content_block_delta"), end],
            "lone_surrogate": [start, sse('{"type":"content_block_delta","index":0,"delta":'
                                          '{"type":"text_delta","text":"Hold \\ud800on\\u0007 '
                                          'tight."}}', "content_block_delta"), end],
            "garbage_json": [start, sse("{not json at all", "content_block_delta"), end],
            "unknown_events": [start, sse({"type": "mystery", "x": 1}, "mystery"),
                               sse({"type": "content_block_delta", "index": 0, "delta": {
                                   "type": "input_json_delta", "partial_json": "{"}},
                                   "content_block_delta"), end],
            "error_event": [start, *words[:2], sse({"type": "error", "error": {
                "type": "overloaded_error", "message": f"{MARKER}: overloaded, key {key}"}},
                "error")],
            "empty": [start, end],
            "blank": [start, self._delta("  "), self._delta("\n"), end],
        }
        if mode in special:
            return await self.raw(request, special[mode])
        if mode == "truncated":
            return await self.raw(request, [start, *words[:3]], close=True)
        if mode == "cut_mid_event":
            return await self.raw(request, [start, b'event: content_block_delta\ndata: {"type":"con'],
                                  close=True)
        if mode == "stall":
            return await self.raw(request, [start, *words, end], hold_after=3)
        return await self.raw(request, [start, *words, end])

    async def whole(self, request: web.Request, body: dict[str, Any], mode: str, purpose: str,
                    key: str) -> web.StreamResponse:
        def message(content: Any) -> web.Response:
            return web.json_response({"id": "msg_f", "type": "message", "role": "assistant",
                                      "model": body["model"], "content": content,
                                      "stop_reason": "tool_use", "stop_sequence": None,
                                      "usage": {"input_tokens": 40, "output_tokens": 12}})

        tool = body.get("tools", [{}])[0].get("name", "respond")
        answer = good_answer(body, purpose)
        if mode == "null_delta":
            return message([None])
        if mode == "number_text":
            return message([{"type": "tool_use", "id": "t", "name": tool, "input": "not an object"}])
        if mode in ("bad_utf8", "garbage_json", "cut_mid_event", "truncated"):
            raw = {"bad_utf8": b'{"id":"m","content":[{"type":"text","text":"\xff\xfe"}]}',
                   "garbage_json": b"{not json", "cut_mid_event": b'{"id": "msg_f", "cont',
                   "truncated": b'{"id": "msg_f", "content": [{"type": "tool_use"'}[mode]
            return await self.raw(request, [raw], content_type="application/json",
                                  close=mode in ("cut_mid_event", "truncated"))
        if mode == "lone_surrogate":
            return message([{"type": "tool_use", "id": "t", "name": tool,
                             "input": {k: "\ud800" if isinstance(v, str) else v
                                       for k, v in answer.items()}}])
        if mode == "unknown_events":
            return message([{"type": "mystery", "data": 1}])
        if mode == "error_event":
            return web.json_response(self.error_body(529, f"{MARKER}: overloaded, key {key}"))
        if mode in ("empty", "not_a_stream"):
            return message([] if mode == "empty" else "just text")
        if mode == "blank":
            return message([{"type": "text", "text": "   "}])
        if mode == "junk_json":
            return message([{"type": "tool_use", "id": "t", "name": tool, "input": {"unexpected": 1}}])
        return message([{"type": "tool_use", "id": "t", "name": tool, "input": answer}])


class FaultyOpenAI(FaultServer):
    """``POST /v1/chat/completions`` with faults. Use ``base_url`` as the SDK's base_url."""

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self.handle)]

    def key_of(self, request: web.Request) -> str:
        return request.headers.get("Authorization", "").removeprefix("Bearer ")

    def error_body(self, status: int, text: str) -> dict[str, Any]:
        kind = "invalid_request_error" if status < 500 else "server_error"
        return {"error": {"message": text, "type": kind, "param": None, "code": None}}

    @staticmethod
    def _chunk(body: dict[str, Any], delta: Any, finish: str | None = None) -> bytes:
        return sse({"id": "chatcmpl-f", "object": "chat.completion.chunk", "created": 1,
                    "model": body["model"], "choices": [{"index": 0, "delta": delta,
                                                         "finish_reason": finish}]})

    async def stream(self, request: web.Request, body: dict[str, Any], mode: str,
                     key: str) -> web.StreamResponse:
        start = self._chunk(body, {"role": "assistant", "content": ""})
        end = self._chunk(body, {}, "stop") + sse("[DONE]")
        words = [self._chunk(body, {"content": p}) for p in pieces(self.line_text(mode))]
        special: dict[str, list[bytes]] = {
            "null_delta": [start, words[0], sse({"id": "c", "choices": [None]}), end],
            "number_text": [start, self._chunk(body, {"content": 42}), end],
            "bad_utf8": [start, sse(b'{"id":"c","object":"chat.completion.chunk","created":1,'
                                    b'"model":"m","choices":[{"index":0,"delta":{"content":'
                                    b'"Hold \xff on."},"finish_reason":null}]}'), end],
            "lone_surrogate": [start, sse('{"id":"c","object":"chat.completion.chunk","created":1,'
                                          '"model":"m","choices":[{"index":0,"delta":{"content":'
                                          '"Hold \\ud800on\\u0007 tight."},"finish_reason":null}]}'),
                               end],
            "garbage_json": [start, sse("{not json at all"), end],
            "unknown_events": [start, sse({"id": "c", "choices": "mystery"}), end],
            "error_event": [start, *words[:2], sse({"error": {
                "message": f"{MARKER}: overloaded, key {key}", "type": "server_error"}})],
            "empty": [start, end],
            "blank": [start, self._chunk(body, {"content": "  "}), end],
        }
        if mode in special:
            return await self.raw(request, special[mode])
        if mode == "truncated":
            return await self.raw(request, [start, *words[:3]], close=True)
        if mode == "cut_mid_event":
            return await self.raw(request, [start, b'data: {"id":"chatcmpl-f","cho'], close=True)
        if mode == "stall":
            return await self.raw(request, [start, *words, end], hold_after=3)
        return await self.raw(request, [start, *words, end])

    async def whole(self, request: web.Request, body: dict[str, Any], mode: str, purpose: str,
                    key: str) -> web.StreamResponse:
        def reply(message: Any, choices: Any = None) -> web.Response:
            return web.json_response({
                "id": "chatcmpl-f", "object": "chat.completion", "created": 1,
                "model": body["model"],
                "choices": choices if choices is not None else [
                    {"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}})

        answer = good_answer(body, purpose)
        if mode == "null_delta":
            return reply(None)
        if mode == "number_text":
            return reply({"role": "assistant", "content": 42})
        if mode in ("bad_utf8", "garbage_json", "cut_mid_event", "truncated"):
            raw = {"bad_utf8": b'{"id":"c","choices":[{"message":{"content":"\xff"}}]}',
                   "garbage_json": b"{not json", "cut_mid_event": b'{"id": "chatcmpl-f", "cho',
                   "truncated": b'{"id": "c", "choices": [{"message": {"content": "{'}[mode]
            return await self.raw(request, [raw], content_type="application/json",
                                  close=mode in ("cut_mid_event", "truncated"))
        if mode == "lone_surrogate":
            return reply({"role": "assistant", "content": json.dumps(
                {k: "\ud800" if isinstance(v, str) else v for k, v in answer.items()})})
        if mode == "unknown_events":
            return reply(None, choices="mystery")
        if mode == "error_event":
            return web.json_response(self.error_body(500, f"{MARKER}: overloaded, key {key}"))
        if mode in ("empty", "not_a_stream"):
            return reply(None, choices=[])
        if mode == "blank":
            return reply({"role": "assistant", "content": "   "})
        if mode == "junk_json":
            return reply({"role": "assistant", "content": json.dumps({"unexpected": 1})})
        return reply({"role": "assistant", "content": json.dumps(answer)})
