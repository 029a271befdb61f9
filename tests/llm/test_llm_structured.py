"""Structured answers through the real SDKs: a malformed answer is retried once (at once, with no
backoff) and never more; a 200 with no content is a clean invalid_output; an OpenAI-compatible
server that refuses ``response_format`` is asked with less, and that is remembered."""

from __future__ import annotations

from typing import Any

import pytest

from digital_actors.errors import ModelError
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.base import ChatRequest, Message
from digital_actors.llm.errors import ProviderError
from digital_actors.llm.openai_compat import OpenAICompatChatModel, local_chat, openai_chat
from tests.fakes.anthropic_server import FakeAnthropic, error_reply
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.openai_server import error_reply as openai_error
from tests.fakes.sse_server import Reply
from tests.llm.helpers import Sleeps

SCHEMA = {"type": "object", "properties": {"answer": {"type": "boolean"}},
          "required": ["answer"], "additionalProperties": False}
ASK = ChatRequest(system=(), messages=(Message("user", "Did they apologise? Answer in JSON."),),
                  max_tokens=20, json_schema=SCHEMA, purpose="judge")
NOT_JSON = "Sure! yes"


def claude(server: FakeAnthropic, sleeps: Sleeps, **options: Any) -> AnthropicChatModel:
    options.setdefault("max_retries", 2)
    return AnthropicChatModel(api_key="sk-ant-test", model="claude-test", base_url=server.url,
                              sleep=sleeps, rand=lambda: 1.0, **options)


def gpt(server: FakeOpenAI, sleeps: Sleeps, **options: Any) -> OpenAICompatChatModel:
    options.setdefault("max_retries", 2)
    return openai_chat(api_key="sk-test", model="gpt-test", base_url=server.base_url,
                       sleep=sleeps, rand=lambda: 1.0, **options)


async def failure(model: AnthropicChatModel | OpenAICompatChatModel) -> ProviderError:
    with pytest.raises(ModelError) as caught:
        await model.complete(ASK)
    assert isinstance(caught.value, ProviderError)
    return caught.value


async def test_a_malformed_anthropic_answer_is_retried_once_at_once(
        anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.default = Reply(text_body=NOT_JSON)
    async with claude(anthropic_server, sleeps) as model:
        error = await failure(model)
    assert error.kind == "invalid_output"
    assert len(anthropic_server.seen) == 2  # was 3 with max_retries=2 before the limit
    assert sleeps.delays == [0.0]


async def test_a_malformed_openai_answer_is_retried_once_at_once(
        openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.default = Reply(text_body=NOT_JSON)
    async with gpt(openai_server, sleeps, max_retries=4) as model:
        error = await failure(model)
    assert error.kind == "invalid_output"
    assert len(openai_server.seen) == 2 and sleeps.delays == [0.0]


async def test_a_retried_malformed_answer_can_still_succeed(
        openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.replies += [Reply(text_body=NOT_JSON), Reply(text_body='{"answer": true}')]
    async with gpt(openai_server, sleeps) as model:
        result = await model.complete(ASK)
    assert result.json() == {"answer": True} and len(openai_server.seen) == 2


async def test_outages_are_retried_as_before_but_malformed_answers_only_once(
        anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.replies += [Reply(text_body=NOT_JSON), error_reply("overloaded_error"),
                                 Reply(text_body=NOT_JSON), Reply(tool_input={"answer": True})]
    async with claude(anthropic_server, sleeps, max_retries=4) as model:
        error = await failure(model)
    assert error.kind == "invalid_output"
    assert len(anthropic_server.seen) == 3
    assert sleeps.delays == [0.0, 1.0]  # no backoff for a bad answer; backoff for the 529


@pytest.mark.parametrize("body", [
    {"id": "msg", "type": "message", "role": "assistant", "model": "claude-test", "content": [],
     "stop_reason": "end_turn", "stop_sequence": None,
     "usage": {"input_tokens": 3, "output_tokens": 0}},
    {"id": "msg", "type": "message", "role": "assistant", "model": "claude-test",
     "content": [{"type": "tool_use", "id": "t", "name": "respond", "input": "yes"}],
     "stop_reason": "tool_use", "stop_sequence": None,
     "usage": {"input_tokens": 3, "output_tokens": 1}},
])
async def test_an_anthropic_200_without_a_usable_answer_is_invalid_output(
        anthropic_server: FakeAnthropic, sleeps: Sleeps, body: dict[str, Any]) -> None:
    anthropic_server.default = Reply(raw_body=body)
    async with claude(anthropic_server, sleeps, max_retries=0) as model:
        error = await failure(model)
    assert error.kind == "invalid_output" and error.hint is not None


@pytest.mark.parametrize("choices", [
    [], None, [{"index": 0, "message": None, "finish_reason": "stop"}],
    [{"index": 0, "message": {"role": "assistant", "content": None}, "finish_reason": "stop"}],
    [{"index": 0, "message": {"role": "assistant", "content": "  "}, "finish_reason": "stop"}],
    [{"index": 0, "message": {"role": "assistant", "content": "[true]"}, "finish_reason": "stop"}],
])
async def test_an_openai_200_without_a_usable_answer_is_invalid_output(
        openai_server: FakeOpenAI, sleeps: Sleeps, choices: list[Any] | None) -> None:
    openai_server.default = Reply(raw_body={"id": "c", "object": "chat.completion", "created": 1,
                                            "model": "gpt-test", "choices": choices})
    async with gpt(openai_server, sleeps, max_retries=0) as model:
        error = await failure(model)
    assert error.kind == "invalid_output"


async def test_a_server_refusing_json_schema_is_asked_for_json_object_from_then_on(
        openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.refused_formats = frozenset({"json_schema"})
    openai_server.default = Reply(text_body='{"answer": false}')
    async with local_chat(base_url=openai_server.base_url, model="llama", sleep=sleeps) as model:
        first = await model.complete(ASK)
        second = await model.complete(ASK)
    assert first.json() == second.json() == {"answer": False}
    assert model.structured_mode == "json_object"
    assert [s.body["response_format"]["type"] for s in openai_server.seen] == [
        "json_schema", "json_object", "json_object"]
    assert sleeps.delays == []  # a step down is not a retry


async def test_a_server_refusing_every_format_gets_the_prompt_alone(
        openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.refused_formats = frozenset({"json_schema", "json_object"})
    openai_server.default = Reply(text_body='```json\n{"answer": true}\n```')
    async with local_chat(base_url=openai_server.base_url, model="llama", sleep=sleeps) as model:
        assert (await model.complete(ASK)).json() == {"answer": True}
        assert (await model.complete(ASK)).json() == {"answer": True}
    assert model.structured_mode == "prompt"
    assert [s.body.get("response_format", {}).get("type") for s in openai_server.seen] == [
        "json_schema", "json_object", None, None]


async def test_other_bad_requests_are_not_mistaken_for_a_format_refusal(
        openai_server: FakeOpenAI, sleeps: Sleeps) -> None:
    openai_server.default = openai_error(400, error_message="max_tokens is too large")
    async with gpt(openai_server, sleeps) as model:
        error = await failure(model)
    assert error.kind == "bad_request" and model.structured_mode == "json_schema"
    assert len(openai_server.seen) == 1
