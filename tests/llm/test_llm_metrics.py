"""Latency, token and error metrics from real adapter calls."""

from __future__ import annotations

from prometheus_client import REGISTRY

from digital_actors.llm.anthropic import AnthropicChatModel
from tests.fakes.anthropic_server import FakeAnthropic, error_reply
from tests.fakes.sse_server import Reply
from tests.llm.helpers import REQUEST, Sleeps, drain


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_latency_tokens_and_errors_are_counted(anthropic_server: FakeAnthropic,
                                                     sleeps: Sleeps) -> None:
    model_name = "claude-metrics"
    anthropic_server.replies += [
        error_reply("rate_limit_error"),
        Reply(usage={"input_tokens": 11, "output_tokens": 5, "cache_read_input_tokens": 700}),
    ]
    latency = {"provider": "anthropic", "model": model_name, "purpose": "line"}
    tokens = {"provider": "anthropic", "model": model_name}
    before_errors = sample("digital_actors_errors_total", type="llm_rate_limit")
    async with AnthropicChatModel(api_key="k", model=model_name, base_url=anthropic_server.url,
                                  sleep=sleeps) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None
    for phase in ("first_token", "total"):
        assert sample("digital_actors_llm_latency_seconds_count", phase=phase, **latency) == 1
    assert sample("digital_actors_llm_tokens_total", kind="input", **tokens) == 11
    assert sample("digital_actors_llm_tokens_total", kind="output", **tokens) == 5
    assert sample("digital_actors_llm_tokens_total", kind="cache_read", **tokens) == 700
    assert sample("digital_actors_errors_total", type="llm_rate_limit") == before_errors + 1


async def test_every_request_and_every_failed_one_is_counted_per_provider(anthropic_server: FakeAnthropic,
                                                                        sleeps: Sleeps) -> None:
    """Three requests sent for one line (two retried failures, then text): the provider's error rate
    is 2 of 3, which is what DigitalActorsModelAPIErrors divides."""
    anthropic_server.replies += [error_reply("rate_limit_error"), error_reply("api_error"), Reply()]
    sent = sample("digital_actors_llm_requests_total", provider="anthropic")
    limited = sample("digital_actors_llm_request_errors_total", provider="anthropic", kind="rate_limit")
    server = sample("digital_actors_llm_request_errors_total", provider="anthropic", kind="server")
    async with AnthropicChatModel(api_key="k", model="claude-requests", base_url=anthropic_server.url,
                                  sleep=sleeps, max_retries=3) as model:
        out = await drain(model.stream(REQUEST))
    assert out.error is None and len(anthropic_server.seen) == 3
    assert sample("digital_actors_llm_requests_total", provider="anthropic") == sent + 3
    assert sample("digital_actors_llm_request_errors_total", provider="anthropic", kind="rate_limit") == limited + 1
    assert sample("digital_actors_llm_request_errors_total", provider="anthropic", kind="server") == server + 1
