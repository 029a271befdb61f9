"""The real anthropic SDK against a local server speaking the Messages streaming wire format."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any

import anthropic
import pytest

from digital_actors.errors import ModelError
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.base import ChatRequest, Message, SystemBlock, TextDelta, Usage
from digital_actors.llm.errors import ProviderError
from tests.fakes.anthropic_server import FakeAnthropic, error_reply
from tests.fakes.sse_server import Reply
from tests.llm.helpers import REQUEST, Sleeps, drain


def make(server: FakeAnthropic, sleeps: Sleeps, **options: Any) -> AnthropicChatModel:
    options.setdefault("max_retries", 2)
    return AnthropicChatModel(api_key="sk-ant-test-key", model="claude-test", base_url=server.url,
                              sleep=sleeps, rand=lambda: 1.0, **options)


async def test_text_arrives_in_order_with_usage(anthropic_server: FakeAnthropic,
                                                sleeps: Sleeps) -> None:
    anthropic_server.replies.append(Reply(
        chunks=["The ", "line's ", "dead", "."],
        usage={"input_tokens": 40, "cache_read_input_tokens": 900,
               "cache_creation_input_tokens": 12, "output_tokens": 7}))
    async with make(anthropic_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None
    assert out.texts == ["The ", "line's ", "dead", "."]
    assert out.end is not None
    assert out.end.usage == Usage(input_tokens=40, output_tokens=7, cache_read_tokens=900,
                                  cache_write_tokens=12)
    assert out.end.stop_reason == "end_turn"
    assert sleeps.delays == []


async def test_request_marks_cached_system_blocks(anthropic_server: FakeAnthropic,
                                                  sleeps: Sleeps) -> None:
    request = ChatRequest(
        system=(SystemBlock("brief", cache=True), SystemBlock("live state")),
        messages=(Message("user", "one"), Message("user", "two"), Message("assistant", "ok"),
                  Message("user", "three")),
        max_tokens=50, stop=("PLAYER:",))
    async with make(anthropic_server, sleeps) as model:
        await drain(model.stream(request))
    seen = anthropic_server.seen[0]
    assert seen.path == "/v1/messages"
    # SDK 2.x sends the key as a bearer token; older ones as x-api-key
    assert "sk-ant-test-key" in (seen.headers.get("x-api-key", "")
                                 + seen.headers.get("authorization", ""))
    body = seen.body
    assert body["stream"] is True
    assert body["model"] == "claude-test"
    assert body["max_tokens"] == 50
    assert body["stop_sequences"] == ["PLAYER:"]
    assert body["system"] == [
        {"type": "text", "text": "brief", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "live state"},
    ]
    assert body["messages"] == [
        {"role": "user", "content": "one\n\ntwo"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "three"},
    ]


async def test_retries_429_529_500_then_succeeds(anthropic_server: FakeAnthropic,
                                                 sleeps: Sleeps) -> None:
    anthropic_server.replies += [
        error_reply("rate_limit_error", headers={"retry-after": "3"}),
        error_reply("overloaded_error"),
        error_reply("api_error"),
        Reply(chunks=["Fine", "."]),
    ]
    async with make(anthropic_server, sleeps, max_retries=3) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None and out.text == "Fine."
    assert len(anthropic_server.seen) == 4
    # retry-after wins over the first backoff (0.5 s); then full-jitter ceilings 1.0 and 2.0
    assert sleeps.delays == [3.0, 1.0, 2.0]


async def test_retries_exhausted_raise_a_retryable_error(anthropic_server: FakeAnthropic,
                                                         sleeps: Sleeps) -> None:
    anthropic_server.default = error_reply("overloaded_error", error_message="Overloaded")
    async with make(anthropic_server, sleeps, max_retries=2) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError)
    assert out.error.retryable and out.error.kind == "overloaded" and out.error.status == 529
    assert "Overloaded" in out.error.detail and "Overloaded" not in out.error.message
    assert out.error.message == "anthropic call failed: overloaded (HTTP 529)"
    assert isinstance(out.error.__cause__, anthropic.APIStatusError)
    assert len(anthropic_server.seen) == 3
    assert out.texts == []


async def test_401_is_not_retried_and_names_the_key(anthropic_server: FakeAnthropic,
                                                    sleeps: Sleeps) -> None:
    anthropic_server.default = error_reply("authentication_error", error_message="invalid x-api-key")
    async with make(anthropic_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError)
    assert not out.error.retryable and out.error.kind == "auth"
    assert out.error.hint is not None and "ANTHROPIC_API_KEY" in out.error.hint
    assert "sk-ant-test-key" not in str(out.error)
    assert isinstance(out.error.__cause__, anthropic.AuthenticationError)
    assert len(anthropic_server.seen) == 1 and sleeps.delays == []


async def test_long_retry_after_gives_up_at_once(anthropic_server: FakeAnthropic,
                                                 sleeps: Sleeps) -> None:
    anthropic_server.default = error_reply("rate_limit_error", headers={"retry-after": "120"})
    async with make(anthropic_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError) and out.error.retry_after == 120.0
    assert len(anthropic_server.seen) == 1


async def test_first_token_timeout(anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.default = Reply(hold=asyncio.Event())  # never released by the test
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with make(anthropic_server, sleeps, max_retries=1, first_token_timeout=0.2) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError)
    assert out.error.kind == "first_token_timeout" and out.error.retryable
    # The first-token timeout is one deadline for the whole call: no retry after it (a player
    # waits that long at most, then the fallback is the caller's).
    assert len(anthropic_server.seen) == 1 and sleeps.delays == []
    assert loop.time() - started < 1.0
    await asyncio.wait_for(anthropic_server.disconnected.wait(), 5)


async def test_retries_share_the_first_token_deadline(anthropic_server: FakeAnthropic,
                                                      sleeps: Sleeps) -> None:
    anthropic_server.replies = [error_reply("overloaded_error"), Reply(hold=asyncio.Event())]
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with make(anthropic_server, sleeps, max_retries=2, first_token_timeout=0.8) as model:
        out = await drain(model.stream(REQUEST))
    elapsed = loop.time() - started
    assert isinstance(out.error, ProviderError) and out.error.kind == "first_token_timeout"
    assert len(anthropic_server.seen) == 2  # retried once, and that retry got what was left
    assert sleeps.delays == [0.5] and 0.8 <= elapsed < 1.2


async def test_a_stream_that_stalls_after_text_ends_within_the_first_token_timeout(
        anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.default = Reply(chunks=["Hold", " on", "."], stall_after=1,
                                     release=asyncio.Event())
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with make(anthropic_server, sleeps, first_token_timeout=0.3, timeout=30.0) as model:
        out = await drain(model.stream(REQUEST))
    assert out.text == "Hold" and isinstance(out.error, ProviderError)
    assert out.error.kind == "timeout" and "stalled" in out.error.detail
    assert loop.time() - started < 1.5 and len(anthropic_server.seen) == 1


async def test_in_stream_error_before_text_is_retried(anthropic_server: FakeAnthropic,
                                                      sleeps: Sleeps) -> None:
    anthropic_server.replies += [Reply(stream_error_after=0), Reply(chunks=["Again", "."])]
    async with make(anthropic_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None and out.text == "Again."
    assert len(anthropic_server.seen) == 2


async def test_mid_stream_disconnect_is_not_retried(anthropic_server: FakeAnthropic,
                                                    sleeps: Sleeps) -> None:
    anthropic_server.replies.append(Reply(chunks=["Hold ", "on", "."], disconnect_after=2))
    async with make(anthropic_server, sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.texts == ["Hold ", "on"]
    assert isinstance(out.error, ProviderError) and out.error.kind == "connection"
    assert len(anthropic_server.seen) == 1 and sleeps.delays == []


async def test_total_timeout_mid_stream(anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.replies.append(Reply(chunks=["a", "b"], stall_after=1, release=asyncio.Event()))
    async with make(anthropic_server, sleeps, timeout=0.5) as model:
        out = await drain(model.stream(REQUEST))
    assert out.texts == ["a"]
    assert isinstance(out.error, ProviderError) and out.error.kind == "timeout"
    assert len(anthropic_server.seen) == 1


async def test_cancelling_the_consumer_closes_the_connection(anthropic_server: FakeAnthropic,
                                                             sleeps: Sleeps) -> None:
    anthropic_server.replies.append(
        Reply(chunks=["First", " second"], stall_after=1, release=asyncio.Event()))
    got_first = asyncio.Event()
    received: list[str] = []

    async def perform(model: AnthropicChatModel) -> None:
        async for item in model.stream(REQUEST):
            if isinstance(item, TextDelta):
                received.append(item.text)
                got_first.set()

    async with make(anthropic_server, sleeps) as model:
        task = asyncio.create_task(perform(model))
        await got_first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(anthropic_server.disconnected.wait(), 5)
    assert received == ["First"]
    assert anthropic_server.disconnects == 1 and anthropic_server.completed == 0


async def test_closing_the_stream_early_closes_the_connection(anthropic_server: FakeAnthropic,
                                                              sleeps: Sleeps) -> None:
    anthropic_server.replies.append(
        Reply(chunks=["First", " second"], stall_after=1, release=asyncio.Event()))
    async with make(anthropic_server, sleeps) as model:
        async with aclosing(model.stream(REQUEST)) as items:
            async for item in items:
                assert item == TextDelta("First")
                break
        await asyncio.wait_for(anthropic_server.disconnected.wait(), 5)
    assert anthropic_server.disconnects == 1


async def test_complete_joins_text(anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.replies.append(Reply(chunks=["We ", "hold", "."]))
    async with make(anthropic_server, sleeps) as model:
        result = await model.complete(REQUEST)
    assert result.text == "We hold."
    assert result.usage.output_tokens == 12


async def test_structured_output_forces_one_tool(anthropic_server: FakeAnthropic,
                                                 sleeps: Sleeps) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "boolean"}},
              "required": ["answer"]}
    anthropic_server.replies += [error_reply("overloaded_error"),
                                 Reply(tool_input={"answer": True})]
    request = ChatRequest(system=(), messages=(Message("user", "Did they apologise?"),),
                          max_tokens=20, json_schema=schema, purpose="judge")
    async with make(anthropic_server, sleeps) as model:
        result = await model.complete(request)
    assert result.json() == {"answer": True}
    body = anthropic_server.seen[-1].body
    assert "stream" not in body
    assert body["tools"] == [{"name": "respond", "description": "Give your answer in this structure.",
                              "input_schema": schema}]
    assert body["tool_choice"] == {"type": "tool", "name": "respond"}
    assert len(sleeps.delays) == 1


async def test_structured_output_not_json_is_an_error(anthropic_server: FakeAnthropic,
                                                      sleeps: Sleeps) -> None:
    anthropic_server.default = Reply(text_body="Sure! yes")
    request = ChatRequest(system=(), messages=(Message("user", "?"),), max_tokens=20,
                          json_schema={"type": "object"})
    async with make(anthropic_server, sleeps, max_retries=1) as model:
        with pytest.raises(ModelError) as caught:
            await model.complete(request)
    assert isinstance(caught.value, ProviderError) and caught.value.kind == "invalid_output"
    assert len(anthropic_server.seen) == 2


async def test_unreachable_server_is_a_connection_error(sleeps: Sleeps) -> None:
    async with FakeAnthropic() as server:
        url = server.url
    async with AnthropicChatModel(api_key="k", model="m", base_url=url, max_retries=1,
                                  sleep=sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert isinstance(out.error, ProviderError) and out.error.kind == "connection"
    assert len(sleeps.delays) == 1
