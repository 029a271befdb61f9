"""Claude through the official SDK: streamed Messages API, prompt caching, tool-forced JSON.

The SDK's own retries are off (``max_retries=0``): the driver retries, and only before the
first token, so a retried stream can never repeat text the player has already seen.
Structured output forces a single tool (``respond``) whose input schema is the request's
JSON schema; this works on every current Claude model, unlike prompt-and-parse.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
from collections.abc import AsyncGenerator
from typing import Any

import anthropic

from digital_actors.llm.adapter import (
    HttpChatModel,
    json_object,
    merged_turns,
    parse_json_object,
    wire_text,
)
from digital_actors.llm.base import (
    ChatRequest,
    Completion,
    StreamEnd,
    StreamItem,
    TextDelta,
    Usage,
)
from digital_actors.llm.driver import Timeouts
from digital_actors.llm.errors import (
    TRANSPORT_ERRORS,
    ProviderError,
    body_error_field,
    kind_for_status,
    parse_retry_after,
    provider_error,
    refused,
)
from digital_actors.llm.retry import Random, Retrier, RetryPolicy, Sleep

PROVIDER = "anthropic"
TOOL_NAME = "respond"
MAX_CACHE_BREAKPOINTS = 4  # the Messages API accepts at most four cache_control markers
SDK_ERRORS: tuple[type[Exception], ...] = (anthropic.AnthropicError, *TRANSPORT_ERRORS)
STREAM_ERRORS: tuple[type[Exception], ...] = (*SDK_ERRORS, json.JSONDecodeError)
# Recent SDKs (2.x) dropped sampling parameters from the Messages API; send one only if known.
SENDS_TEMPERATURE = "temperature" in inspect.signature(
    anthropic.resources.messages.AsyncMessages.create).parameters


class AnthropicChatModel(HttpChatModel):
    """A ChatModel over ``anthropic.AsyncAnthropic``. Pass ``http_client`` to share a pool."""

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None,
                 timeout: float = 20.0, connect_timeout: float = 5.0,
                 first_token_timeout: float = 8.0, max_retries: int = 2,
                 http_client: Any | None = None, sleep: Sleep | None = None,
                 rand: Random = random.random) -> None:
        super().__init__(provider=PROVIDER, model=model,
                         timeouts=Timeouts(connect_timeout, first_token_timeout, timeout),
                         retrier=Retrier(RetryPolicy(max_retries=max_retries),
                                         sleep or asyncio.sleep, rand),
                         secrets=(api_key,))
        self._owns_client = http_client is None
        if http_client is None:  # aiohttp's pool: httpx's costs O(connections) CPU per request under load
            http_client = anthropic.DefaultAioHttpClient(timeout=anthropic.Timeout(timeout, connect=connect_timeout))
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, max_retries=0, http_client=http_client,
            timeout=anthropic.Timeout(timeout, connect=connect_timeout))

    def params(self, request: ChatRequest) -> dict[str, Any]:
        """The Messages API parameters for ``request`` (cache_control on cached system blocks)."""
        cached = [i for i, b in enumerate(request.system) if b.cache and b.text]
        marked = set(cached[-MAX_CACHE_BREAKPOINTS:])
        system: list[dict[str, Any]] = []
        for i, block in enumerate(request.system):
            if not block.text:
                continue
            item: dict[str, Any] = {"type": "text", "text": block.text}
            if i in marked:
                item["cache_control"] = {"type": "ephemeral"}
            system.append(item)
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": merged_turns(request.messages),
        }
        if SENDS_TEMPERATURE:
            params["temperature"] = request.temperature
        if system:
            params["system"] = system
        if request.stop:
            params["stop_sequences"] = list(request.stop)
        return params

    async def _attempt(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        try:
            stream = await self._client.messages.create(**self.params(request), stream=True)
        except SDK_ERRORS as e:
            raise map_error(e, self.secrets) from e
        usage = Usage()
        stop_reason: str | None = None
        finished = False
        try:
            async for event in stream:
                kind = event.type
                if kind == "content_block_delta" and event.delta.type == "text_delta":
                    yield TextDelta(wire_text(event.delta.text, PROVIDER))
                elif kind == "message_start":
                    usage = _merge_usage(usage, event.message.usage)
                elif kind == "message_delta":
                    stop_reason = event.delta.stop_reason or stop_reason
                    usage = _merge_usage(usage, event.usage)
                elif kind == "message_stop":
                    finished = True
            if not finished:
                raise provider_error("incomplete", PROVIDER, "no message_stop event")
            yield StreamEnd(usage, stop_reason)
        except STREAM_ERRORS as e:
            raise map_error(e, self.secrets) from e
        finally:
            await stream.close()

    async def _structured(self, request: ChatRequest) -> Completion:
        assert request.json_schema is not None
        params = self.params(request)
        params["tools"] = [{"name": TOOL_NAME, "description": "Give your answer in this structure.",
                            "input_schema": request.json_schema}]
        params["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
        try:
            message = await self._client.messages.create(**params)
        except SDK_ERRORS as e:
            raise map_error(e, self.secrets) from e
        usage = _merge_usage(Usage(), message.usage)
        blocks = message.content or []  # a 200 with no content is invalid_output, not a TypeError
        for block in blocks:
            if block.type == "tool_use":
                answer = json_object(block.input, PROVIDER)
                return Completion(json.dumps(answer, ensure_ascii=False), usage,
                                  message.stop_reason)
        text = "".join(wire_text(b.text, PROVIDER) for b in blocks if b.type == "text")
        parsed = parse_json_object(text, PROVIDER)
        return Completion(json.dumps(parsed, ensure_ascii=False), usage, message.stop_reason)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.close()


def map_error(error: BaseException, secrets: tuple[str | None, ...] = ()) -> ProviderError:
    """Translate an SDK or transport exception into a ProviderError (kind, hint, retry-after).
    The provider's words go to ``detail``, scrubbed of ``secrets`` (the key it may quote)."""
    key = "ANTHROPIC_API_KEY"
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, anthropic.APIStatusError):
        body_type = getattr(error, "type", None) or body_error_field("type", error.body)
        detail = (getattr(error, "api_message", None) or body_error_field("message", error.body)
                  or str(error))
        status = error.status_code if error.status_code >= 400 else None
        return provider_error(kind_for_status(error.status_code, body_type), PROVIDER, detail,
                              key_name=key, status=status, secrets=secrets,
                              retry_after=parse_retry_after(error.response.headers))
    if isinstance(error, anthropic.APITimeoutError) and not refused(error):
        return provider_error("timeout", PROVIDER, "the request timed out", key_name=key)
    if isinstance(error, (anthropic.APIConnectionError, *TRANSPORT_ERRORS)):
        return provider_error("connection", PROVIDER, type(error).__name__, key_name=key)
    if isinstance(error, (anthropic.APIResponseValidationError, json.JSONDecodeError)):
        return provider_error("invalid_output", PROVIDER, "the response could not be read")
    return provider_error("unexpected", PROVIDER, type(error).__name__)


def _merge_usage(current: Usage, sdk_usage: Any) -> Usage:
    """Fold an SDK usage object in; later events carry cumulative counts, absent fields stay."""
    if sdk_usage is None:
        return current

    def pick(name: str, old: int) -> int:
        value = getattr(sdk_usage, name, None)
        return old if value is None else int(value)

    return Usage(
        input_tokens=pick("input_tokens", current.input_tokens),
        output_tokens=pick("output_tokens", current.output_tokens),
        cache_read_tokens=pick("cache_read_input_tokens", current.cache_read_tokens),
        cache_write_tokens=pick("cache_creation_input_tokens", current.cache_write_tokens),
    )
