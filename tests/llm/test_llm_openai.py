"""The real openai SDK against a local server speaking the chat-completions streaming format."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from digital_actors.errors import ModelError
from digital_actors.llm.base import ChatRequest, Message, TextDelta, Usage
from digital_actors.llm.errors import ProviderError
from digital_actors.llm.openai_compat import (
    OpenAICompatChatModel,
    gemini_chat,
    local_chat,
    openai_chat,
)
from tests.fakes.openai_server import FakeOpenAI, error_reply
from tests.fakes.sse_server import Reply
from tests.llm.helpers import REQUEST, Sleeps, drain


def make(server: FakeOpenAI, sleeps: Sleeps, **options: Any) -> OpenAICompatChatModel:
    return openai_chat(api_key="sk-test-openai-key", model="gpt-test", base_url=server.base_url,
                       sleep=sleeps, rand=lambda: 1.0, **options)


async def test_text_in_order_and_usage_with_cached_tokens(openai_server: FakeOpenAI,
                                                          sleeps: Sleeps) -> None:
    openai_server.replies.append(Reply(
        chunks=["Keep ", "pumping", "."],
        usage={"prompt_tokens": 1000, "cached_tokens": 800, "completion_tokens": 5}))
    async with make(openai_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None and out.texts == ["Keep ", "pumping", "."]
    assert out.end is not None and out.end.stop_reason == "stop"
    assert out.end.usage == Usage(input_tokens=200, output_tokens=5, cache_read_tokens=800)
    body = openai_server.seen[0].body
    assert openai_server.seen[0].headers["authorization"] == "Bearer sk-test-openai-key"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "You are Mara, the engineer.\n\nPressure is rising."},
        {"role": "user", "content": "What do we do?"},
    ]
    assert body["stop"] == ["\nPLAYER:"]
    assert body["max_tokens"] == 64  # a custom base URL gets the widely supported name


async def test_official_openai_uses_max_completion_tokens() -> None:
    model = openai_chat(api_key="k", model="gpt-test")
    try:
        params = model.params(REQUEST)
    finally:
        await model.aclose()
    assert params["max_completion_tokens"] == 64 and "max_tokens" not in params


async def test_server_refusing_stream_options_is_served_without(openai_server: FakeOpenAI,
                                                                 sleeps: Sleeps) -> None:
    openai_server.reject_stream_options = True
    async with local_chat(base_url=openai_server.base_url, model="llama", sleep=sleeps) as model:
        first = await drain(model.stream(REQUEST))
        second = await drain(model.stream(REQUEST))
    assert first.text == second.text == "Hello there."
    assert first.end is not None and first.end.usage == Usage()
    assert not model.include_usage
    assert ["stream_options" in s.body for s in openai_server.seen] == [True, False, False]
    assert openai_server.seen[0].headers["authorization"] == "Bearer no-key-needed"
    assert sleeps.delays == []


async def test_retries_429_and_500_then_succeeds(openai_server: FakeOpenAI,
                                                 sleeps: Sleeps) -> None:
    openai_server.replies += [error_reply(429, headers={"retry-after-ms": "1500"}),
                              error_reply(500), Reply(chunks=["ok"])]
    async with make(openai_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None and out.text == "ok"
    assert sleeps.delays == [1.5, 1.0]


async def test_retries_exhausted(openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.default = error_reply(503)
    async with make(openai_server, sleeps, max_retries=1) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError)
    assert out.error.retryable and out.error.kind == "server" and out.error.status == 503
    assert len(openai_server.seen) == 2


async def test_401_names_the_key_and_is_not_retried(openai_server: FakeOpenAI,
                                                    sleeps: Sleeps) -> None:
    openai_server.default = error_reply(401, error_message="Incorrect API key provided")
    async with make(openai_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError) and out.error.kind == "auth"
    assert not out.error.retryable and "Incorrect API key" in out.error.detail
    assert out.error.message == "openai call failed: auth (HTTP 401)"  # the provider's words: logs only
    assert out.error.hint is not None and "OPENAI_API_KEY" in out.error.hint
    assert isinstance(out.error.__cause__, openai.AuthenticationError)
    assert len(openai_server.seen) == 1


async def test_gemini_errors_name_the_google_key(openai_server: FakeOpenAI,
                                                 sleeps: Sleeps) -> None:
    openai_server.default = error_reply(401)
    async with gemini_chat(api_key="g", model="gemini-test", base_url=openai_server.base_url,
                           sleep=sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert model.provider == "gemini"
    assert isinstance(out.error, ProviderError) and out.error.hint is not None
    assert "GOOGLE_API_KEY" in out.error.hint


async def test_exhausted_quota_is_not_retried(openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.quota_exhausted = True
    openai_server.default = error_reply(429)
    async with make(openai_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError) and out.error.kind == "quota"
    assert not out.error.retryable and len(openai_server.seen) == 1


async def test_error_chunk_before_text_is_retried(openai_server: FakeOpenAI,
                                                  sleeps: Sleeps) -> None:
    openai_server.replies += [Reply(stream_error_after=0), Reply(chunks=["Back", "."])]
    async with make(openai_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None and out.text == "Back."
    assert len(openai_server.seen) == 2


async def test_mid_stream_disconnect_is_not_retried(openai_server: FakeOpenAI,
                                                    sleeps: Sleeps) -> None:
    openai_server.replies.append(Reply(chunks=["Wait", "..."], disconnect_after=1))
    async with make(openai_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.texts == ["Wait"]
    assert isinstance(out.error, ProviderError) and out.error.kind == "connection"
    assert len(openai_server.seen) == 1


async def test_first_token_timeout(openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.default = Reply(hold=asyncio.Event())
    async with make(openai_server, sleeps, max_retries=0, first_token_timeout=0.2) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError) and out.error.kind == "first_token_timeout"
    await asyncio.wait_for(openai_server.disconnected.wait(), 5)


async def test_cancellation_closes_the_connection(openai_server: FakeOpenAI,
                                                  sleeps: Sleeps) -> None:
    openai_server.replies.append(Reply(chunks=["One", " two"], stall_after=1,
                                       release=asyncio.Event()))
    got_first = asyncio.Event()

    async def perform(model: OpenAICompatChatModel) -> None:
        async for item in model.stream(REQUEST):
            if isinstance(item, TextDelta):
                got_first.set()

    async with make(openai_server, sleeps) as model:
        task = asyncio.create_task(perform(model))
        await got_first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(openai_server.disconnected.wait(), 5)
    assert openai_server.disconnects == 1 and openai_server.completed == 0


async def test_structured_output_uses_response_format(openai_server: FakeOpenAI,
                                                      sleeps: Sleeps) -> None:
    schema = {"type": "object", "properties": {"action": {"type": "string"}}}
    openai_server.replies.append(Reply(text_body='```json\n{"action": "hint"}\n```'))
    request = ChatRequest(system=(), messages=(Message("user", "Decide."),), max_tokens=40,
                          json_schema=schema, purpose="director")
    async with make(openai_server, sleeps) as model:
        result = await model.complete(request)
    assert result.json() == {"action": "hint"}
    assert result.usage == Usage(input_tokens=30, output_tokens=9)
    body = openai_server.seen[0].body
    assert body["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "respond", "schema": schema}}
    assert "stream" not in body


async def test_structured_output_that_is_not_json(openai_server: FakeOpenAI,
                                                  sleeps: Sleeps) -> None:
    openai_server.default = Reply(text_body="I think you should give a hint.")
    request = ChatRequest(system=(), messages=(Message("user", "Decide."),), max_tokens=40,
                          json_schema={"type": "object"})
    async with make(openai_server, sleeps, max_retries=0) as model:
        with pytest.raises(ModelError) as caught:
            await model.complete(request)
    assert isinstance(caught.value, ProviderError) and caught.value.kind == "invalid_output"


async def test_local_server_down_hints_at_the_server(sleeps: Sleeps) -> None:
    async with FakeOpenAI() as server:
        url = server.base_url
    async with local_chat(base_url=url, model="llama", max_retries=0, sleep=sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError) and out.error.kind == "connection"
    assert out.error.hint is not None and url in out.error.hint
