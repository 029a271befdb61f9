"""ScriptedChatModel: the network-free model engine tests rely on."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from digital_actors.clock import FakeClock
from digital_actors.errors import ModelError
from digital_actors.llm import ChatModel, ChatRequest, Message, PartialReply, ScriptedChatModel
from digital_actors.llm.base import SystemBlock, TextDelta
from tests.llm.helpers import REQUEST, drain


def test_it_is_a_chat_model() -> None:
    assert isinstance(ScriptedChatModel(["x"]), ChatModel)


async def test_streams_replies_in_chunks_and_records_requests() -> None:
    model = ScriptedChatModel(["The line's dead.", "Second."], chunk_size=5)
    first = await drain(model.stream(REQUEST))
    second = await model.complete(REQUEST)
    assert first.texts == ["The l", "ine's", " dead", "."]
    assert first.end is not None and first.end.stop_reason == "end_turn"
    assert first.end.usage.output_tokens == 3
    assert first.end.usage.cache_read_tokens == 5  # words of the cached system block
    assert second.text == "Second."
    assert model.requests == [REQUEST, REQUEST]
    assert model.interrupted == 0


async def test_callable_replies_see_the_request() -> None:
    model = ScriptedChatModel(lambda r: f"echo: {r.messages[-1].content}")
    request = ChatRequest(system=(SystemBlock("s"),), messages=(Message("user", "hi"),),
                          max_tokens=9)
    assert (await model.complete(request)).text == "echo: hi"


async def test_errors_and_partial_replies() -> None:
    boom = ModelError("down", retryable=True)
    cut = ModelError("cut", retryable=True)
    model = ScriptedChatModel([boom, PartialReply("Half a line", cut)], chunk_size=4)
    first = await drain(model.stream(REQUEST))
    second = await drain(model.stream(REQUEST))
    assert first.error is boom and first.texts == []
    assert second.error is cut and second.text == "Half a line" and second.end is None
    assert model.interrupted == 1


async def test_running_out_of_replies_is_a_clear_error() -> None:
    model = ScriptedChatModel(["only one"])
    await model.complete(REQUEST)
    with pytest.raises(ModelError, match="no reply left for request #2"):
        await model.complete(REQUEST)


async def test_pacing_follows_the_fake_clock_and_interruption_is_counted() -> None:
    clock = FakeClock()
    model = ScriptedChatModel(["abcdef"], chunk_size=2, delay_per_chunk=0.5, clock=clock)
    got: list[str] = []

    async def consume() -> None:
        async with aclosing(model.stream(REQUEST)) as items:
            async for item in items:
                if isinstance(item, TextDelta):
                    got.append(item.text)

    task = asyncio.create_task(consume())
    await clock.advance(0.4)
    assert got == []
    await clock.advance(0.1)
    assert got == ["ab"]
    await clock.advance(0.5)
    assert got == ["ab", "cd"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert model.interrupted == 1
    await model.aclose()
    assert model.closed
