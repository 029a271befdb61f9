"""Which performer settings choose, why, and the start-up key check."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from digital_actors.config import Settings
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.openai_compat import GEMINI_BASE_URL, OpenAICompatChatModel
from digital_actors.llm.select import NOTHING_SET, Selection, select_model, verify
from tests.fakes.anthropic_server import FakeAnthropic, error_reply
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sse_server import Reply


async def choose(**values: Any) -> Selection:
    selection = select_model(Settings(_env_file=None, **values))  # type: ignore[call-arg]
    if selection.model is not None:
        await selection.model.aclose()
    return selection


async def test_nothing_configured_means_the_understudy() -> None:
    selection = await choose()
    assert selection == Selection(None, "understudy", NOTHING_SET)
    assert selection.reason.startswith("no model configured: the understudy performs authored "
                                       "lines (set ANTHROPIC_API_KEY")


async def test_blank_keys_count_as_unset() -> None:
    assert (await choose(anthropic_api_key="  ", openai_base_url="")).model is None


async def test_auto_prefers_anthropic() -> None:
    selection = await choose(anthropic_api_key="a", openai_api_key="o", google_api_key="g",
                             anthropic_model="claude-x", llm_timeout_seconds=7,
                             llm_first_token_timeout_seconds=3, llm_max_retries=4)
    assert isinstance(selection.model, AnthropicChatModel)
    assert selection.provider == "anthropic" and selection.model.model == "claude-x"
    assert selection.reason == "Claude (claude-x) performs: ANTHROPIC_API_KEY is set"
    assert selection.model.timeouts.total == 7 and selection.model.timeouts.first_token == 3
    assert selection.model.retrier.policy.max_retries == 4


async def test_auto_order_after_anthropic() -> None:
    openai_sel = await choose(openai_api_key="o", google_api_key="g", openai_model="gpt-x")
    assert openai_sel.provider == "openai" and "OPENAI_API_KEY is set" in openai_sel.reason
    gemini = await choose(google_api_key="g", openai_base_url="http://localhost:11434/v1")
    assert gemini.provider == "gemini" and isinstance(gemini.model, OpenAICompatChatModel)
    assert gemini.model.base_url == GEMINI_BASE_URL and gemini.model.provider == "gemini"
    local = await choose(openai_base_url="http://localhost:11434/v1", openai_model="llama3.2")
    assert local.provider == "local" and isinstance(local.model, OpenAICompatChatModel)
    assert "llama3.2" in local.reason and "http://localhost:11434/v1" in local.reason


async def test_explicit_provider_wins_and_a_missing_key_is_explained() -> None:
    assert (await choose(llm_provider="gemini", anthropic_api_key="a",
                         google_api_key="g")).provider == "gemini"
    missing = await choose(llm_provider="anthropic", openai_api_key="o")
    assert missing.model is None and missing.provider == "understudy"
    assert "LLM_PROVIDER=anthropic but ANTHROPIC_API_KEY is not set" in missing.reason
    off = await choose(llm_provider="understudy", anthropic_api_key="a")
    assert off.model is None and "LLM_PROVIDER=understudy" in off.reason


async def test_verify_accepts_a_working_key() -> None:
    async with FakeAnthropic([Reply(chunks=["OK"])]) as server:
        async with AnthropicChatModel(api_key="k", model="m", base_url=server.url) as model:
            assert await verify(model) is None
        assert server.seen[0].body["max_tokens"] == 5


async def test_verify_explains_a_bad_key() -> None:
    async with FakeAnthropic(default=error_reply("authentication_error")) as server:
        async with AnthropicChatModel(api_key="k", model="m", base_url=server.url) as model:
            message = await verify(model)
    assert message is not None
    assert "ANTHROPIC_API_KEY" in message and "understudy performs instead" in message


async def test_verify_keeps_a_busy_provider() -> None:
    async with FakeAnthropic(default=error_reply("overloaded_error")) as server:
        async with AnthropicChatModel(api_key="k", model="m", base_url=server.url,
                                      max_retries=0) as model:
            assert await verify(model) is None


@pytest.mark.parametrize("down", [True, False])
async def test_verify_explains_an_unreachable_or_silent_server(down: bool) -> None:
    async with FakeOpenAI(default=Reply(hold=asyncio.Event())) as server:
        url = server.base_url
        if down:
            await server.stop()
        async with OpenAICompatChatModel(api_key=None, model="llama", base_url=url,
                                         provider_name="local", max_retries=0) as model:
            message = await verify(model, seconds=0.3)
    assert message is not None and "understudy" in message
    assert ("within 0.3 s" in message) != down
