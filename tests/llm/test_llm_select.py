"""Which model (or the understudy) settings choose, why, and the start-up key check."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from digital_actors.config import Settings
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.openai_compat import GEMINI_BASE_URL, OpenAICompatChatModel
from digital_actors.llm.select import NOTHING_SET, Selection, provider_module, select_model, verify
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


async def test_verify_explains_a_bad_key_as_permanent() -> None:
    async with FakeAnthropic(default=error_reply("authentication_error")) as server:
        async with AnthropicChatModel(api_key="k", model="m", base_url=server.url) as model:
            problem = await verify(model)
    assert problem is not None and not problem.transient and problem.kind == "auth"
    assert "ANTHROPIC_API_KEY" in problem.message
    assert "understudy performs instead" in problem.message


async def test_verify_calls_an_unknown_model_permanent() -> None:
    async with FakeAnthropic(default=error_reply("not_found_error")) as server:
        async with AnthropicChatModel(api_key="k", model="m", base_url=server.url) as model:
            problem = await verify(model)
    assert problem is not None and not problem.transient and problem.kind == "not_found"


@pytest.mark.parametrize(("reply", "kind"), [
    (error_reply("overloaded_error"), "overloaded"), (error_reply("api_error"), "server"),
    (Reply(status=503, error_type="api_error"), "server"),
    (error_reply("rate_limit_error"), "rate_limit")])
async def test_verify_calls_a_busy_or_failing_provider_transient(reply: Reply, kind: str) -> None:
    async with FakeAnthropic(default=reply) as server:
        async with AnthropicChatModel(api_key="k", model="m", base_url=server.url,
                                      max_retries=0) as model:
            problem = await verify(model)
    assert problem is not None and problem.transient and problem.kind == kind


@pytest.mark.parametrize("down", [True, False])
async def test_verify_calls_an_unreachable_or_silent_server_transient(down: bool) -> None:
    async with FakeOpenAI(default=Reply(hold=asyncio.Event())) as server:
        url = server.base_url
        if down:
            await server.stop()
        async with OpenAICompatChatModel(api_key=None, model="llama", base_url=url,
                                         provider_name="local", max_retries=0) as model:
            # A refused connection answers at once: a long deadline keeps a busy machine from turning it
            # into a timeout. A silent server needs a short one.
            problem = await verify(model, seconds=10.0 if down else 0.3)
    assert problem is not None and problem.transient
    assert problem.kind == ("connection" if down else "timeout")
    assert ("within 0.3 s" in problem.message) != down


@pytest.mark.parametrize(("values", "module"), [
    ({}, None),
    ({"anthropic_api_key": "a", "openai_api_key": "o"}, "digital_actors.llm.anthropic"),
    ({"openai_api_key": "o"}, "digital_actors.llm.openai_compat"),
    ({"google_api_key": "g"}, "digital_actors.llm.openai_compat"),
    ({"openai_base_url": "http://localhost:11434/v1"}, "digital_actors.llm.openai_compat"),
    ({"llm_provider": "anthropic", "openai_api_key": "o"}, None),
    ({"llm_provider": "understudy", "anthropic_api_key": "a"}, None),
    ({"llm_provider": "local"}, None),
])
def test_provider_module_is_what_select_model_imports(values: dict[str, str],
                                                      module: str | None) -> None:
    assert provider_module(Settings(_env_file=None, **values)) == module  # type: ignore[call-arg]
