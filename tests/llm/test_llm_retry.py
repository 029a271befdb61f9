"""Backoff arithmetic, retry-after parsing and status classification."""

from __future__ import annotations

import email.utils
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digital_actors.errors import ModelError
from digital_actors.llm.errors import ProviderError, kind_for_status, parse_retry_after
from digital_actors.llm.retry import RetryPolicy

RETRYABLE = ModelError("busy", retryable=True)


def test_full_jitter_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=0.5, max_delay=4.0)
    assert [policy.delay(n, RETRYABLE, lambda: 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(3, RETRYABLE, lambda: 0.0) == 0.0


@given(attempt=st.integers(0, 20), r=st.floats(0, 1, exclude_max=True))
def test_delay_is_within_the_jitter_window(attempt: int, r: float) -> None:
    policy = RetryPolicy(max_retries=30, base_delay=0.25, max_delay=8.0)
    wait = policy.delay(attempt, RETRYABLE, lambda: r)
    assert wait is not None and 0.0 <= wait <= min(8.0, 0.25 * 2**attempt)


def test_gives_up_when_not_retryable_or_out_of_attempts() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.delay(0, ModelError("bad key"), lambda: 0.5) is None
    assert policy.delay(1, RETRYABLE, lambda: 0.5) is not None
    assert policy.delay(2, RETRYABLE, lambda: 0.5) is None


def test_retry_after_is_honoured_within_the_cap() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=10.0)
    assert policy.delay(0, ModelError("429", retryable=True, retry_after=7.0), lambda: 1.0) == 7.0
    assert policy.delay(0, ModelError("429", retryable=True, retry_after=0.1), lambda: 1.0) == 0.5
    assert policy.delay(0, ModelError("429", retryable=True, retry_after=11.0), lambda: 1.0) is None


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = parse_retry_after({"retry-after": future})
    assert seconds is not None and 25 <= seconds <= 31


@pytest.mark.parametrize(("status", "error_type", "kind"), [
    (429, "rate_limit_error", "rate_limit"), (529, "overloaded_error", "overloaded"),
    (200, "overloaded_error", "overloaded"), (500, "api_error", "server"), (503, None, "server"),
    (401, "authentication_error", "auth"), (403, None, "permission"), (404, None, "not_found"),
    (400, "invalid_request_error", "bad_request"), (408, None, "timeout"),
])
def test_kind_for_status(status: int, error_type: str | None, kind: str) -> None:
    assert kind_for_status(status, error_type) == kind


def test_a_malformed_answer_is_retried_once_at_once_within_max_retries() -> None:
    invalid = ProviderError("not JSON", kind="invalid_output", provider="x")
    assert invalid.retryable
    policy = RetryPolicy(max_retries=3)
    assert policy.delay(0, invalid, lambda: 1.0) == 0.0
    assert policy.delay(1, invalid, lambda: 1.0, invalid_retries=1) is None
    assert policy.delay(2, invalid, lambda: 1.0, invalid_retries=0) == 0.0  # after two outages
    assert RetryPolicy(max_retries=0).delay(0, invalid, lambda: 1.0) is None
    assert RetryPolicy(max_retries=3, max_invalid_output_retries=0).delay(0, invalid) is None
    busy = ProviderError("529", kind="overloaded", provider="x")
    assert policy.delay(1, busy, lambda: 1.0, invalid_retries=1) == 1.0  # outages unaffected
