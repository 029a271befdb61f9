"""The circuit breaker: its state machine on a FakeClock, its metrics, and the real anthropic SDK
behind it against a local server that fails (503, connection refused, silence) and recovers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY

from digital_actors.clock import FakeClock
from digital_actors.errors import ModelError
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.base import ChatRequest, Message, TextDelta
from digital_actors.llm.breaker import (
    BreakerChatModel,
    BreakerPolicy,
    CircuitBreaker,
)
from digital_actors.llm.errors import ProviderError, provider_error
from tests.fakes.anthropic_server import FakeAnthropic, error_reply
from tests.fakes.sse_server import Reply
from tests.llm.helpers import REQUEST, Sleeps, drain

NOON = datetime(2030, 5, 6, 12, 3, 4, tzinfo=UTC).timestamp()
UNAVAILABLE = Reply(status=503, error_type="api_error", error_message="upstream unavailable")
JUDGE = ChatRequest(system=(), messages=(Message("user", "Did they apologise?"),), max_tokens=20,
                    json_schema={"type": "object"}, purpose="judge")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def outage(kind: str = "server", retry_after: float | None = None) -> ProviderError:
    return provider_error(kind, "anthropic", "scripted", status=503 if kind == "server" else None,
                          retry_after=retry_after)


def breaker(clock: FakeClock, provider: str = "anthropic", **policy: Any) -> CircuitBreaker:
    return CircuitBreaker(provider, "claude-test", policy=BreakerPolicy(**policy), clock=clock,
                          wall=lambda: NOON + clock.now())


def fail(b: CircuitBreaker, times: int = 1, error: ProviderError | None = None) -> None:
    for _ in range(times):
        ticket = b.admit()
        assert ticket is not None
        b.record(ticket, "failure", error or outage())


# --- the state machine ---------------------------------------------------------------------


def test_opens_after_the_threshold_and_refuses_until_the_cooldown() -> None:
    clock = FakeClock()
    b = breaker(clock, failure_threshold=3, cooldown=10.0)
    fail(b, 2)
    assert b.state == "closed" and b.status().failures == 2
    fail(b)
    assert b.state == "open"
    assert b.admit() is None
    refusal = b.refusal()
    assert refusal.kind == "circuit_open" and not refusal.retryable
    assert "since 12:03:04Z" in refusal.message
    assert refusal.hint is not None and "next try is at 12:03:14Z" in refusal.hint
    status = b.status()
    assert status.degraded and status.down_since == datetime.fromtimestamp(NOON, UTC)
    assert status.reason() == ("anthropic model unreachable since 12:03:04Z (anthropic call "
                               "failed: server (HTTP 503)); the understudy is answering")


def test_a_success_resets_the_count_of_failures_in_a_row() -> None:
    b = breaker(FakeClock(), failure_threshold=3)
    fail(b, 2)
    ticket = b.admit()
    assert ticket is not None
    b.record(ticket, "success")
    fail(b, 2)
    assert b.state == "closed" and b.status().reason() is None


async def test_one_probe_after_the_cooldown_and_its_success_closes() -> None:
    clock = FakeClock()
    b = breaker(clock, failure_threshold=1, cooldown=10.0)
    fail(b)
    await clock.advance(9.5)
    assert b.admit() is None and b.state == "open"
    await clock.advance(0.5)
    probe = b.admit()
    assert probe is not None and probe.probe and b.state == "half_open"
    assert b.admit() is None  # one probe at a time; the rest still get the understudy
    assert "a probe call is finding out" in (b.refusal().hint or "")
    b.record(probe, "success")
    assert b.state == "closed"
    assert b.status().down_since is None and b.status().failures == 0
    again = b.admit()
    assert again is not None and not again.probe


async def test_a_failed_probe_reopens_with_a_doubled_cooldown_up_to_the_cap() -> None:
    clock = FakeClock()
    b = breaker(clock, failure_threshold=1, cooldown=10.0, max_cooldown=35.0)
    fail(b)
    waits = []
    for _ in range(4):
        opened = clock.now()
        probe = b.admit()
        while probe is None:
            await clock.advance(0.5)
            probe = b.admit()
        waits.append(clock.now() - opened)
        assert probe.probe and b.state == "half_open"
        b.record(probe, "failure", outage())
        assert b.state == "open"
    assert waits == [10.0, 20.0, 35.0, 35.0]
    assert b.status().down_since == datetime.fromtimestamp(NOON, UTC)  # the outage's start


async def test_neutral_outcomes_change_nothing_and_free_the_probe() -> None:
    clock = FakeClock()
    b = breaker(clock, failure_threshold=1, cooldown=5.0)
    fail(b)
    await clock.advance(5.0)
    probe = b.admit()
    assert probe is not None
    b.record(probe, "neutral")  # the player interrupted the probe, say
    assert b.state == "half_open"
    second = b.admit()
    assert second is not None and second.probe


async def test_results_of_calls_from_before_a_state_change_are_ignored() -> None:
    clock = FakeClock()
    b = breaker(clock, failure_threshold=1, cooldown=5.0)
    slow = b.admit()  # a long call started while closed...
    assert slow is not None
    fail(b)  # ...the breaker opened meanwhile
    await clock.advance(5.0)
    probe = b.admit()
    assert probe is not None
    b.record(slow, "failure", outage())  # the old call's failure must not cut the probe short
    assert b.state == "half_open"
    b.record(probe, "success")
    assert b.state == "closed"


async def test_a_rate_limits_retry_after_lengthens_the_cooldown_within_the_cap() -> None:
    clock = FakeClock()
    b = breaker(clock, failure_threshold=1, cooldown=5.0, max_cooldown=60.0)
    fail(b, error=outage("rate_limit", retry_after=40.0))
    await clock.advance(39.0)
    assert b.admit() is None
    await clock.advance(1.0)
    assert b.admit() is not None


async def test_trip_opens_at_once_for_a_start_up_outage() -> None:
    clock = FakeClock()
    b = breaker(clock, cooldown=7.0)
    b.trip("anthropic did not answer within 8 s")
    assert b.state == "open" and b.admit() is None
    assert "(anthropic did not answer within 8 s)" in (b.status().reason() or "")
    await clock.advance(7.0)
    assert b.admit() is not None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="cooldown"):
        BreakerPolicy(cooldown=30.0, max_cooldown=10.0)
    with pytest.raises(ValueError, match="failure_threshold"):
        BreakerPolicy(failure_threshold=0)


async def test_state_changes_are_counted_and_the_gauge_follows() -> None:
    provider = "metrics-provider"
    clock = FakeClock()
    states = ("open", "half_open", "closed")
    before = {s: sample("digital_actors_llm_breaker_transitions_total", provider=provider,
                        state=s) for s in states}
    b = breaker(clock, provider=provider, failure_threshold=2, cooldown=5.0)
    assert sample("digital_actors_llm_breaker_state", provider=provider) == 0
    fail(b)
    assert sample("digital_actors_llm_breaker_transitions_total", provider=provider,
                  state="open") == before["open"]
    fail(b)
    assert sample("digital_actors_llm_breaker_transitions_total", provider=provider,
                  state="open") == before["open"] + 1
    assert sample("digital_actors_llm_breaker_state", provider=provider) == 2
    await clock.advance(5.0)
    probe = b.admit()
    assert probe is not None
    assert sample("digital_actors_llm_breaker_state", provider=provider) == 1
    b.record(probe, "success")
    assert sample("digital_actors_llm_breaker_state", provider=provider) == 0
    after = {s: sample("digital_actors_llm_breaker_transitions_total", provider=provider,
                       state=s) for s in states}
    assert {s: after[s] - before[s] for s in states} == {"open": 1, "half_open": 1, "closed": 1}


# --- the real SDK behind the breaker -----------------------------------------------------------


def guarded(server: FakeAnthropic, clock: FakeClock, sleeps: Sleeps, *, threshold: int = 3,
            cooldown: float = 10.0, **options: Any) -> BreakerChatModel:
    options.setdefault("max_retries", 0)
    inner = AnthropicChatModel(api_key="sk-ant-test", model="claude-test", base_url=server.url,
                               sleep=sleeps, rand=lambda: 1.0, **options)
    return BreakerChatModel(inner, policy=BreakerPolicy(failure_threshold=threshold,
                                                        cooldown=cooldown), clock=clock)


async def complete_error(model: BreakerChatModel, request: ChatRequest) -> ModelError | None:
    try:
        await model.complete(request)
    except ModelError as e:
        return e
    return None


async def test_503s_open_it_then_calls_fail_at_once_without_a_request_then_a_probe_heals_it(
        anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    clock = FakeClock()
    anthropic_server.default = UNAVAILABLE
    model = guarded(anthropic_server, clock, sleeps, max_retries=1)
    try:
        for _ in range(3):
            out = await drain(model.stream(REQUEST))
            assert isinstance(out.error, ProviderError) and out.error.kind == "server"
        assert model.breaker.state == "open"
        assert len(anthropic_server.seen) == 6  # each call was retried once by the driver
        out = await drain(model.stream(REQUEST))
        assert isinstance(out.error, ProviderError) and out.error.kind == "circuit_open"
        judged = await complete_error(model, JUDGE)
        assert isinstance(judged, ProviderError) and judged.kind == "circuit_open"
        assert len(anthropic_server.seen) == 6  # refused before any HTTP request
        anthropic_server.default = Reply(chunks=["Back", " again", "."])
        await clock.advance(9.9)
        assert (await drain(model.stream(REQUEST))).error is not None
        assert len(anthropic_server.seen) == 6
        await clock.advance(0.1)
        out = await drain(model.stream(REQUEST))  # the probe
        assert out.error is None and out.text == "Back again."
        assert model.breaker.state == "closed" and len(anthropic_server.seen) == 7
        assert (await drain(model.stream(REQUEST))).text == "Back again."
    finally:
        await model.aclose()


async def test_connection_refused_opens_it_and_a_restarted_server_closes_it(
        sleeps: Sleeps) -> None:
    clock = FakeClock()
    server = await FakeAnthropic().start()
    await server.stop()  # nothing listens: connection refused
    model = guarded(server, clock, sleeps, threshold=2)
    try:
        for _ in range(2):
            out = await drain(model.stream(REQUEST))
            assert isinstance(out.error, ProviderError) and out.error.kind == "connection"
        assert model.breaker.state == "open"
        await server.start()  # the same port again
        refused = await drain(model.stream(REQUEST))
        assert isinstance(refused.error, ProviderError) and refused.error.kind == "circuit_open"
        assert server.seen == []
        await clock.advance(10.0)
        out = await drain(model.stream(REQUEST))
        assert out.error is None and out.text == "Hello there."
        assert model.breaker.state == "closed" and len(server.seen) == 1
    finally:
        await model.aclose()
        await server.stop()


async def test_a_silent_server_opens_it(anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.default = Reply(hold=asyncio.Event())  # never answers
    model = guarded(anthropic_server, FakeClock(), sleeps, threshold=2, first_token_timeout=0.1)
    try:
        for _ in range(2):
            out = await drain(model.stream(REQUEST))
            assert isinstance(out.error, ProviderError)
            assert out.error.kind == "first_token_timeout"
        assert model.breaker.state == "open"
    finally:
        await model.aclose()


async def test_bad_requests_and_malformed_answers_never_open_it(
        anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    anthropic_server.replies += [error_reply("invalid_request_error") for _ in range(3)]
    anthropic_server.replies += [Reply(text_body="Sure! yes") for _ in range(3)]
    model = guarded(anthropic_server, FakeClock(), sleeps, threshold=1)
    try:
        for _ in range(3):
            out = await drain(model.stream(REQUEST))
            assert isinstance(out.error, ProviderError) and out.error.kind == "bad_request"
        for _ in range(3):
            error = await complete_error(model, JUDGE)
            assert isinstance(error, ProviderError) and error.kind == "invalid_output"
        assert model.breaker.state == "closed" and model.breaker.status().failures == 0
    finally:
        await model.aclose()


async def test_an_interrupted_call_does_not_count(anthropic_server: FakeAnthropic,
                                                  sleeps: Sleeps) -> None:
    anthropic_server.default = Reply(hold=asyncio.Event())
    model = guarded(anthropic_server, FakeClock(), sleeps, threshold=1)

    async def perform() -> None:
        async for _ in model.stream(REQUEST):
            pass

    try:
        for _ in range(2):
            anthropic_server.arrived.clear()
            task = asyncio.create_task(perform())
            async with asyncio.timeout(5):  # a guard: a refused call never reaches the server
                await anthropic_server.arrived.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert model.breaker.state == "closed"
    finally:
        await model.aclose()


async def test_a_stream_closed_early_after_text_counts_as_an_answer(
        anthropic_server: FakeAnthropic, sleeps: Sleeps) -> None:
    clock = FakeClock()
    model = guarded(anthropic_server, clock, sleeps, threshold=1)
    model.breaker.trip("scripted outage")
    await clock.advance(10.0)
    anthropic_server.default = Reply(chunks=["Enough", " said", "."])
    try:
        items = model.stream(REQUEST)
        assert await anext(items) == TextDelta("Enough")
        await items.aclose()  # the actor stops a line at its word limit
        assert model.breaker.state == "closed"
    finally:
        await model.aclose()
