"""Provider-neutral call driver: timeouts, bounded retries, metrics and logs around one attempt.

Adapters supply an *attempt* (an async generator over one HTTP stream, errors already mapped to
``ProviderError``); the driver retries it only before the first text has been yielded, so text
is never duplicated, and never holds a timeout across a ``yield`` (the consumer's own awaits
must not be cancelled by our deadline).

The first-token timeout is one deadline for the whole call, retries included: a player waits at
most that long for the first words (then the understudy's line stands in), however the provider
fails. Once text flows, a silence as long as the first-token timeout ends the stream too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from digital_actors.llm import metrics
from digital_actors.llm.base import ChatRequest, StreamItem, TextDelta, Usage
from digital_actors.llm.errors import ProviderError, provider_error
from digital_actors.llm.retry import Retrier
from digital_actors.logging import log_prompts_enabled

log = structlog.get_logger()
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed: to connect, to the first text of a stream (all attempts together; also
    the longest silence once text flows), and for the whole call."""

    connect: float = 5.0
    first_token: float = 8.0
    total: float = 20.0


@dataclass(frozen=True, slots=True)
class CallInfo:
    """Labels for one call's logs and metrics."""

    provider: str
    model: str
    purpose: str


async def run_stream(attempt: Callable[[], AsyncGenerator[StreamItem, None]], *, info: CallInfo,
                     timeouts: Timeouts, retrier: Retrier,
                     request: ChatRequest | None = None) -> AsyncGenerator[StreamItem, None]:
    """Yield one reply's deltas then its StreamEnd, retrying failed attempts that yielded nothing
    while the first-token deadline allows."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeouts.total
    first_deadline = min(deadline, started + timeouts.first_token)
    tries = invalid = 0
    _prompt(info, request)
    while True:
        yielded = False
        metrics.LLM_REQUESTS.labels(info.provider).inc()
        items = attempt()
        try:
            try:
                while True:
                    limit = (min(deadline, loop.time() + timeouts.first_token) if yielded
                             else first_deadline)
                    try:
                        async with asyncio.timeout_at(limit):
                            item = await anext(items)
                    except StopAsyncIteration:
                        raise provider_error("incomplete", info.provider,
                                             "the stream ended without a final event") from None
                    except TimeoutError as e:
                        raise _timed_out(info, timeouts, yielded=yielded,
                                         whole=limit >= deadline) from e
                    if isinstance(item, TextDelta):
                        if not item.text:
                            continue
                        if not yielded:
                            yielded = True
                            _observe(info, "first_token", loop.time() - started)
                        yield item
                    else:
                        _finish(info, loop.time() - started, item.usage)
                        yield item
                        return
            finally:
                await items.aclose()
        except ProviderError as error:
            wait = None if yielded else retrier.policy.delay(tries, error, retrier.rand,
                                                             invalid_retries=invalid)
            if wait is None or loop.time() + wait >= first_deadline:
                _failed(info, error, tries, partial=yielded)
                raise
            tries += 1
            invalid += error.kind == "invalid_output"
            _retrying(info, error, tries, wait)
            await retrier.sleep(wait)


def _timed_out(info: CallInfo, timeouts: Timeouts, *, yielded: bool, whole: bool) -> ProviderError:
    if whole:
        return provider_error("timeout", info.provider, f"nothing within {timeouts.total:g} s")
    if yielded:
        return provider_error("timeout", info.provider,
                              f"the stream stalled for {timeouts.first_token:g} s")
    return provider_error("first_token_timeout", info.provider,
                          f"no text within {timeouts.first_token:g} s")


async def run_call(call: Callable[[], Awaitable[T]], *, info: CallInfo, timeouts: Timeouts,
                   retrier: Retrier, usage_of: Callable[[T], Usage],
                   request: ChatRequest | None = None) -> T:
    """Run a whole (non-streamed) call with the total timeout and retries."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeouts.total
    tries = invalid = 0
    _prompt(info, request)
    while True:
        metrics.LLM_REQUESTS.labels(info.provider).inc()
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    result = await call()
            except TimeoutError as e:
                raise provider_error("timeout", info.provider,
                                     f"no reply within {timeouts.total:g} s") from e
        except ProviderError as error:
            wait = retrier.policy.delay(tries, error, retrier.rand, invalid_retries=invalid)
            if wait is None or loop.time() + wait >= deadline:
                _failed(info, error, tries, partial=False)
                raise
            tries += 1
            invalid += error.kind == "invalid_output"
            _retrying(info, error, tries, wait)
            await retrier.sleep(wait)
            continue
        _finish(info, loop.time() - started, usage_of(result))
        return result


def _prompt(info: CallInfo, request: ChatRequest | None) -> None:
    """The whole prompt at DEBUG, only when LOG_PROMPTS allows it (players' words are in it)."""
    if request is not None and log_prompts_enabled():
        log.debug("llm_prompt", provider=info.provider, model=info.model, purpose=info.purpose,
                  system=request.system_text(),
                  messages=[{"role": m.role, "content": m.content} for m in request.messages])


def _observe(info: CallInfo, phase: str, seconds: float) -> None:
    metrics.LLM_LATENCY.labels(info.provider, info.model, phase, info.purpose).observe(seconds)


def _finish(info: CallInfo, seconds: float, usage: Usage) -> None:
    _observe(info, "total", seconds)
    metrics.count_usage(info.provider, info.model, usage)
    log.debug("llm_call_done", provider=info.provider, model=info.model, purpose=info.purpose,
              llm_response_time_ms=round(seconds * 1000), input_tokens=usage.input_tokens,
              output_tokens=usage.output_tokens, cache_read_tokens=usage.cache_read_tokens)


def _retrying(info: CallInfo, error: ProviderError, attempt: int, wait: float) -> None:
    metrics.count_error(f"llm_{error.kind}")
    metrics.LLM_REQUEST_ERRORS.labels(info.provider, error.kind).inc()
    log.warning("llm_retry", provider=info.provider, model=info.model, purpose=info.purpose,
                kind=error.kind, status=error.status, attempt=attempt, wait_s=round(wait, 3),
                detail=error.detail)


def _failed(info: CallInfo, error: ProviderError, tries: int, *, partial: bool) -> None:
    metrics.count_error(f"llm_{error.kind}")
    metrics.LLM_REQUEST_ERRORS.labels(info.provider, error.kind).inc()
    log.warning("llm_failed", provider=info.provider, model=info.model, purpose=info.purpose,
                kind=error.kind, status=error.status, retries=tries, after_partial_text=partial,
                detail=error.detail)
