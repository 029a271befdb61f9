"""Every provider fault becomes a ProviderError (or a readable reply), never an AttributeError,
a TypeError or a UnicodeDecodeError; hangs end at the first-token deadline; what the provider
said stays out of the message and its detail never holds the key it quoted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from digital_actors.llm.adapter import HttpChatModel
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.base import ChatRequest, Message, SystemBlock
from digital_actors.llm.cleanup import UNSAFE
from digital_actors.llm.errors import ProviderError
from digital_actors.llm.openai_compat import local_chat
from digital_actors.llm.suggest import SCHEMA
from tests.fakes.faults import MARKER, MODES, FaultPlan, FaultServer, FaultyAnthropic, FaultyOpenAI
from tests.llm.helpers import REQUEST, Sleeps, drain

KEY = "quoted-key-7Hq2Zx9Lr4Vb"
FIRST_TOKEN = 1.0  # generous: a loaded CI machine must not turn a quick fault into a timeout
STRUCTURED = ChatRequest(system=(SystemBlock("Suggest."),), messages=(Message("user", "Go."),),
                         max_tokens=60, json_schema=SCHEMA, purpose="suggest")
# What a line stream ends in, per fault mode: (text shown before the end, error kind or None).
STREAMED: dict[str, tuple[bool, str | None]] = {
    "null_delta": (True, "invalid_output"), "number_text": (False, "invalid_output"),
    "bad_utf8": (False, "invalid_output"), "lone_surrogate": (True, None),
    "garbage_json": (False, "invalid_output"), "error_event": (True, None),
    "truncated": (True, "connection"), "cut_mid_event": (False, "connection"),
    "empty": (False, None), "blank": (False, None), "hang": (False, "first_token_timeout"),
    "stall": (True, "timeout"), "http_500_html": (False, "server"),
    "overloaded": (False, "overloaded"), "rate_limited_long": (False, "rate_limit"),
    "auth_quoting_key": (False, "auth"), "bad_request_quoting_key": (False, "bad_request"),
    "not_a_stream": (False, "incomplete"), "clean": (True, None), "junk_json": (True, None),
    "junk_stage_business": (True, None), "junk_speaker_after_aside": (True, None),
    "junk_meta": (True, None),
}
ERROR_EVENT = {"anthropic": "overloaded", "openai": "server"}
UNKNOWN_EVENTS = {"anthropic": None, "openai": "invalid_output"}  # OpenAI's are malformed chunks


def model_for(provider: str, server: FaultServer) -> HttpChatModel:
    options: dict[str, Any] = {"first_token_timeout": FIRST_TOKEN, "timeout": 2.0,
                               "max_retries": 1, "sleep": Sleeps(), "rand": lambda: 0.0}
    if provider == "anthropic":
        return AnthropicChatModel(api_key=KEY, model="claude-test", base_url=server.url, **options)
    return local_chat(base_url=f"{server.url}/v1", model="m", api_key=KEY, **options)


def server_for(provider: str, mode: str) -> FaultServer:
    plan = FaultPlan(only=mode)
    return FaultyAnthropic(plan) if provider == "anthropic" else FaultyOpenAI(plan)


def check_error(error: BaseException) -> None:
    assert isinstance(error, ProviderError), repr(error)
    assert KEY not in error.message and MARKER not in error.message
    assert KEY not in error.detail and KEY not in str(error)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("mode", MODES)
async def test_a_streamed_fault_ends_in_a_provider_error_or_readable_text(provider: str,
                                                                          mode: str) -> None:
    expected_text, expected_kind = STREAMED.get(mode, (False, None))
    if mode == "error_event":
        expected_kind = ERROR_EVENT[provider]
    if mode == "unknown_events":
        expected_kind = UNKNOWN_EVENTS[provider]
    loop = asyncio.get_running_loop()
    async with server_for(provider, mode) as server:
        model = model_for(provider, server)
        started = loop.time()
        out = await drain(model.stream(REQUEST))  # any other exception fails the test here
        elapsed = loop.time() - started
        await model.aclose()
    assert (out.error.kind if out.error else None) == expected_kind
    assert bool(out.text.strip()) == expected_text  # blank text is the caller's to stand in for
    assert not UNSAFE.search(out.text)  # no control characters or lone surrogates get through
    if out.error is not None:
        check_error(out.error)
    assert elapsed < FIRST_TOKEN + 0.5 or out.text  # without text, never past the first-token deadline


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("mode", MODES)
async def test_a_structured_fault_ends_in_a_provider_error_or_a_json_object(provider: str,
                                                                            mode: str) -> None:
    async with server_for(provider, mode) as server:
        model = model_for(provider, server)
        try:
            completion = await model.complete(STRUCTURED)
        except ProviderError as e:
            check_error(e)
            assert mode not in {"clean", "junk_json", "junk_meta", "lone_surrogate"}
        else:
            assert completion.json() is not None and isinstance(completion.json(), dict)
            assert mode in {"clean", "junk_json", "junk_meta", "junk_stage_business",
                            "junk_speaker_after_aside", "lone_surrogate"}
        finally:
            await model.aclose()


async def test_the_key_a_provider_quotes_is_scrubbed_from_the_detail() -> None:
    async with server_for("anthropic", "auth_quoting_key") as server:
        model = model_for("anthropic", server)
        out = await drain(model.stream(REQUEST))
        await model.aclose()
    assert isinstance(out.error, ProviderError)
    assert out.error.detail == f"{MARKER}: request refused for key [redacted]"
    assert out.error.message == "anthropic call failed: auth (HTTP 401)"
