"""OpenAI-compatible chat completions (OpenAI, Gemini, Ollama, llama.cpp, vLLM, LM Studio).

Streams with ``stream_options.include_usage`` and drops that option for good on a server
that refuses it (some local servers reject unknown fields with a 400). Structured output
uses ``response_format: json_schema``; a server that refuses it (400 naming response_format)
is asked with ``json_object`` instead, then with the prompt alone (its instructions ask for
JSON), each step down remembered for good. Every answer must parse as a JSON object.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncGenerator
from typing import Any, Literal

import openai
import structlog

from digital_actors.llm.adapter import HttpChatModel, merged_turns, parse_json_object, wire_text
from digital_actors.llm.base import ChatRequest, Completion, StreamEnd, StreamItem, TextDelta, Usage
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

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"
NO_KEY = "no-key-needed"  # the SDK insists on a key; local servers ignore it
SDK_ERRORS: tuple[type[Exception], ...] = (openai.OpenAIError, *TRANSPORT_ERRORS)
STREAM_ERRORS: tuple[type[Exception], ...] = (*SDK_ERRORS, json.JSONDecodeError)
MAX_STOP = 4  # OpenAI accepts at most four stop sequences
StructuredMode = Literal["json_schema", "json_object", "prompt"]
STEP_DOWN: dict[StructuredMode, StructuredMode] = {"json_schema": "json_object",
                                                   "json_object": "prompt"}
log = structlog.get_logger()


class OpenAICompatChatModel(HttpChatModel):
    """A ChatModel over ``openai.AsyncOpenAI`` chat completions at any compatible base URL."""

    def __init__(self, *, api_key: str | None, model: str, base_url: str | None,
                 provider_name: str = "openai", key_name: str = "OPENAI_API_KEY",
                 timeout: float = 20.0, connect_timeout: float = 5.0,
                 first_token_timeout: float = 8.0, max_retries: int = 2,
                 max_tokens_param: str = "max_tokens", include_usage: bool = True,
                 http_client: Any | None = None, sleep: Sleep | None = None,
                 rand: Random = random.random) -> None:
        super().__init__(provider=provider_name, model=model,
                         timeouts=Timeouts(connect_timeout, first_token_timeout, timeout),
                         retrier=Retrier(RetryPolicy(max_retries=max_retries),
                                         sleep or asyncio.sleep, rand),
                         secrets=(api_key,))
        self.base_url = base_url
        self.key_name = key_name
        self.include_usage = include_usage
        self.structured_mode: StructuredMode = "json_schema"
        self._max_tokens_param = max_tokens_param
        self._owns_client = http_client is None
        if http_client is None:  # aiohttp's pool: httpx's costs O(connections) CPU per request under load
            http_client = openai.DefaultAioHttpClient(timeout=openai.Timeout(timeout, connect=connect_timeout))
        self._client = openai.AsyncOpenAI(
            api_key=api_key or NO_KEY, base_url=base_url, max_retries=0, http_client=http_client,
            timeout=openai.Timeout(timeout, connect=connect_timeout))

    def params(self, request: ChatRequest) -> dict[str, Any]:
        """Chat-completions parameters for ``request`` (system prompt as the first message)."""
        messages: list[dict[str, str]] = []
        system = request.system_text()
        if system:
            messages.append({"role": "system", "content": system})
        messages.extend(merged_turns(request.messages))
        params: dict[str, Any] = {"model": self.model, "messages": messages,
                                  "temperature": request.temperature,
                                  self._max_tokens_param: request.max_tokens}
        if request.stop:
            params["stop"] = list(request.stop[:MAX_STOP])
        return params

    async def _open(self, request: ChatRequest) -> Any:
        params = {**self.params(request), "stream": True}
        if self.include_usage:
            params["stream_options"] = {"include_usage": True}
        try:
            return await self._client.chat.completions.create(**params)
        except openai.BadRequestError as e:
            if not self.include_usage or "stream_options" not in str(e.body or e):
                raise self.map_error(e) from e
        self.include_usage = False
        params.pop("stream_options")
        try:
            return await self._client.chat.completions.create(**params)
        except SDK_ERRORS as e:
            raise self.map_error(e) from e

    async def _attempt(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        try:
            stream = await self._open(request)
        except SDK_ERRORS as e:
            raise self.map_error(e) from e
        usage = Usage()
        stop_reason: str | None = None
        try:
            async for chunk in stream:
                for choice in chunk.choices or ():
                    text = choice.delta.content if choice.delta is not None else None
                    if text is not None:
                        yield TextDelta(wire_text(text, self.provider))
                    stop_reason = choice.finish_reason or stop_reason
                if chunk.usage is not None:
                    usage = _usage(chunk.usage)
            if stop_reason is None:
                raise provider_error("incomplete", self.provider, "no finish_reason")
            yield StreamEnd(usage, stop_reason)
        except STREAM_ERRORS as e:
            raise self.map_error(e) from e
        finally:
            await stream.close()

    def response_format(self, request: ChatRequest) -> dict[str, Any] | None:
        """What this server is asked for structured output, in the mode it has accepted so far."""
        if self.structured_mode == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "respond",
                                                           "schema": request.json_schema}}
        return {"type": "json_object"} if self.structured_mode == "json_object" else None

    async def _structured(self, request: ChatRequest) -> Completion:
        while True:
            params = self.params(request)
            response_format = self.response_format(request)
            if response_format is not None:
                params["response_format"] = response_format
            try:
                reply = await self._client.chat.completions.create(**params)
                break
            except openai.BadRequestError as e:
                if self.structured_mode == "prompt" or not _refuses_format(e):
                    raise self.map_error(e) from e
                self.structured_mode = STEP_DOWN[self.structured_mode]
                log.info("structured_output_step_down", provider=self.provider, model=self.model,
                         mode=self.structured_mode)
            except SDK_ERRORS as e:
                raise self.map_error(e) from e
        # A 200 may carry no choices, a null message or null content: all are invalid_output.
        choice = reply.choices[0] if reply.choices else None
        message = choice.message if choice is not None else None
        content = message.content if message is not None else None
        parsed = parse_json_object(None if content is None else wire_text(content, self.provider),
                                   self.provider)
        usage = _usage(reply.usage) if reply.usage is not None else Usage()
        return Completion(json.dumps(parsed, ensure_ascii=False), usage,
                          choice.finish_reason if choice is not None else None)

    def map_error(self, error: BaseException) -> ProviderError:
        """Translate an SDK or transport exception into a ProviderError."""
        if isinstance(error, ProviderError):
            return error
        p, key = self.provider, self.key_name
        if isinstance(error, openai.APIStatusError):
            code = body_error_field("code", error.body)
            kind = ("quota" if code == "insufficient_quota"
                    else kind_for_status(error.status_code, body_error_field("type", error.body)))
            detail = body_error_field("message", error.body) or f"HTTP {error.status_code}"
            return provider_error(kind, p, detail, key_name=key, status=error.status_code,
                                  retry_after=parse_retry_after(error.response.headers),
                                  secrets=self.secrets)
        if isinstance(error, openai.APITimeoutError) and not refused(error):
            return provider_error("timeout", p, "the request timed out", key_name=key)
        if isinstance(error, (openai.APIConnectionError, *TRANSPORT_ERRORS)):
            found = provider_error("connection", p, type(error).__name__, key_name=key)
            if self.provider == "local":
                found.hint = (f"start the model server at {self.base_url} (Ollama: `ollama serve`)"
                              " or fix OPENAI_BASE_URL")
            return found
        if isinstance(error, openai.APIError):  # an error object inside an open stream
            detail = body_error_field("message", error.body) or error.message
            return provider_error("server", p, detail, key_name=key, secrets=self.secrets)
        if isinstance(error, ValueError):  # JSONDecodeError, UnicodeDecodeError: an unreadable reply
            return provider_error("invalid_output", p, f"{type(error).__name__}: {error}",
                                  key_name=key, secrets=self.secrets)
        return provider_error("unexpected", p, type(error).__name__, key_name=key)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.close()


def _refuses_format(error: openai.BadRequestError) -> bool:
    """A 400 about the output format itself (not about the rest of the request)."""
    text = str(error.body or error).lower()
    return any(word in text for word in ("response_format", "json_schema", "json_object"))


def _usage(raw: Any) -> Usage:
    """OpenAI counts cached tokens inside prompt_tokens; split them out (Anthropic's convention)."""
    details = getattr(raw, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0)
    prompt = int(getattr(raw, "prompt_tokens", 0) or 0)
    return Usage(input_tokens=max(0, prompt - cached),
                 output_tokens=int(getattr(raw, "completion_tokens", 0) or 0),
                 cache_read_tokens=cached)


def openai_chat(*, api_key: str, model: str, base_url: str | None = None,
                **options: Any) -> OpenAICompatChatModel:
    """OpenAI itself (or any keyed OpenAI-compatible service when ``base_url`` is given)."""
    return OpenAICompatChatModel(
        api_key=api_key, model=model, base_url=base_url, provider_name="openai",
        key_name="OPENAI_API_KEY",
        max_tokens_param="max_completion_tokens" if base_url is None else "max_tokens", **options)


def gemini_chat(*, api_key: str, model: str, base_url: str = GEMINI_BASE_URL,
                **options: Any) -> OpenAICompatChatModel:
    """Gemini through Google's OpenAI-compatible endpoint (GOOGLE_API_KEY)."""
    return OpenAICompatChatModel(api_key=api_key, model=model, base_url=base_url,
                                 provider_name="gemini", key_name="GOOGLE_API_KEY", **options)


def local_chat(*, base_url: str, model: str, api_key: str | None = None,
               **options: Any) -> OpenAICompatChatModel:
    """A local server (Ollama ``http://localhost:11434/v1``, llama.cpp, vLLM, LM Studio)."""
    return OpenAICompatChatModel(api_key=api_key, model=model, base_url=base_url,
                                 provider_name="local", key_name="OPENAI_API_KEY", **options)
