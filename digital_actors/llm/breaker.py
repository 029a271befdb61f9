"""A circuit breaker per provider: an outage costs a few failed calls, then none, until it heals.

    closed --(failure_threshold provider failures in a row)--> open
    open --(cooldown elapsed; the next call is let through as the probe)--> half_open
    half_open --(probe succeeds)--> closed      half_open --(probe fails)--> open (cooldown x2)

While open, calls fail at once with ``ProviderError(kind="circuit_open")``: the LLM actor plays
the understudy's line for the cue without waiting, the judge and suggestions fall back at once.
Only outages count (``OUTAGE_KINDS``: connection, timeouts, 5xx, overloaded, rate limits); a bad
request, a bad key, a malformed answer or a call the player interrupted does not. The state is
process-wide (one breaker per provider and model, shared by every session) and moves only when
calls are made, on an injectable clock, so tests drive it with a ``FakeClock`` and no sleeps.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import structlog

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.llm import metrics
from digital_actors.llm.base import ChatModel, ChatRequest, Completion, StreamItem
from digital_actors.llm.errors import OUTAGE_KINDS, ProviderError

log = structlog.get_logger()

State = Literal["closed", "half_open", "open"]
Outcome = Literal["success", "failure", "neutral"]
STATE_VALUES: dict[State, int] = {"closed": 0, "half_open": 1, "open": 2}  # the gauge's values


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """Open after ``failure_threshold`` outage failures in a row; stay open ``cooldown`` seconds,
    doubling after every failed probe up to ``max_cooldown``."""

    failure_threshold: int = 3
    cooldown: float = 15.0
    max_cooldown: float = 120.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.cooldown <= 0 or self.max_cooldown < self.cooldown:
            raise ValueError("need failure_threshold >= 1 and 0 < cooldown <= max_cooldown")

    def cooldown_after(self, opens: int) -> float:
        """Seconds to stay open after the ``opens``-th opening in a row (1, 2, 3, ...)."""
        return min(self.max_cooldown, self.cooldown * 2.0 ** min(max(opens - 1, 0), 32))


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """A snapshot for health checks and logs. Times are UTC wall-clock times."""

    provider: str
    model: str
    state: State
    failures: int                 # outage failures in a row counted while closed
    down_since: datetime | None   # when the current outage opened the breaker
    retry_at: datetime | None     # when the next probe may go (open only)
    last_error: str | None        # the failure that (re)opened it

    @property
    def degraded(self) -> bool:
        """True while calls are refused or only a probe goes through."""
        return self.state != "closed"

    def reason(self) -> str | None:
        """A sentence for operators (``/health``), or None when the model is answering."""
        if not self.degraded:
            return None
        since = f" since {_clock_time(self.down_since)}" if self.down_since else ""
        why = f" ({self.last_error})" if self.last_error else ""
        return f"{self.provider} model unreachable{since}{why}; the understudy is answering"


@dataclass(frozen=True, slots=True)
class Ticket:
    """Permission for one call: results of calls admitted before the last state change are ignored."""

    generation: int
    probe: bool


class CircuitBreaker:
    """The state machine. ``admit`` before a call (None: refuse it), ``record`` its outcome."""

    def __init__(self, provider: str, model: str, *, policy: BreakerPolicy | None = None,
                 clock: Clock | None = None, wall: Callable[[], float] = time.time) -> None:
        self.provider, self.model = provider, model
        self.policy = policy or BreakerPolicy()
        self._clock = clock or MonotonicClock()
        self._wall = wall
        self._state: State = "closed"
        self._generation = 0
        self._failures = 0
        self._opens = 0                       # openings since the last close
        self._open_until = 0.0                # clock time after which a probe may go
        self._retry_at: float | None = None   # the same, as wall time
        self._down_since: float | None = None
        self._last_error: str | None = None
        self._probing = False
        metrics.LLM_BREAKER_STATE.labels(provider).set(STATE_VALUES["closed"])

    @property
    def state(self) -> State:
        return self._state

    def status(self) -> BreakerStatus:
        return BreakerStatus(self.provider, self.model, self._state, self._failures,
                             _utc(self._down_since), _utc(self._retry_at), self._last_error)

    def admit(self, *, may_probe: bool = True) -> Ticket | None:
        """A ticket for one call, or None to fail fast (open, a probe already in flight, or a call
        that may not be the probe: a line is, because its success is what the player waits for)."""
        if self._state == "closed":
            return Ticket(self._generation, probe=False)
        if not may_probe:
            return None
        if self._state == "open":
            if self._clock.now() < self._open_until:
                return None
            self._enter("half_open")
        if self._probing:
            return None
        self._probing = True
        return Ticket(self._generation, probe=True)

    def record(self, ticket: Ticket, outcome: Outcome, error: ProviderError | None = None) -> None:
        """The outcome of an admitted call; stale tickets (from an earlier state) change nothing."""
        if ticket.generation != self._generation:
            return
        if ticket.probe:
            self._probing = False
        if outcome == "success":
            self._failures = 0
            if self._state != "closed":
                self._close()
        elif outcome == "failure":
            detail = error.message if error is not None else "the call failed"
            if self._state == "half_open":
                self._open(detail, error)
            elif self._state == "closed":
                self._failures += 1
                if self._failures >= self.policy.failure_threshold:
                    self._open(detail, error)

    def trip(self, detail: str) -> None:
        """Open now (the start-up check found the provider down): the first probe waits a cooldown."""
        if self._state != "open":
            self._open(detail, None)

    def refusal(self) -> ProviderError:
        """The error a refused call raises: immediate, not retryable, and says until when."""
        since = f" since {_clock_time(_utc(self._down_since))}" if self._down_since else ""
        if self._state == "open" and self._retry_at is not None:
            then = f"the next try is at {_clock_time(_utc(self._retry_at))}"
        else:
            then = "a probe call is finding out whether it is back"
        return ProviderError(
            f"{self.provider} unreachable{since}: {self._last_error or 'repeated failures'}",
            f"the understudy answers until the provider recovers; {then}",
            kind="circuit_open", provider=self.provider, retryable=False)

    def _open(self, detail: str, error: ProviderError | None) -> None:
        self._opens += 1
        cooldown = self.policy.cooldown_after(self._opens)
        if error is not None and error.retry_after is not None:  # a 429's retry-after, within the cap
            cooldown = max(cooldown, min(error.retry_after, self.policy.max_cooldown))
        self._open_until = self._clock.now() + cooldown
        self._retry_at = self._wall() + cooldown
        if self._down_since is None:
            self._down_since = self._wall()
        self._last_error = detail
        self._enter("open", cooldown_s=cooldown)

    def _close(self) -> None:
        self._opens, self._failures = 0, 0
        self._down_since = self._retry_at = self._last_error = None
        self._enter("closed")

    def _enter(self, state: State, **fields: float) -> None:
        self._state = state
        self._generation += 1
        self._probing = False
        metrics.LLM_BREAKER_TRANSITIONS.labels(self.provider, state).inc()
        metrics.LLM_BREAKER_STATE.labels(self.provider).set(STATE_VALUES[state])
        emit = log.warning if state == "open" else log.info
        emit("llm_breaker_state", provider=self.provider, model=self.model, state=state,
             reason=self._last_error, **fields)


def outcome_of(error: BaseException | None, answered: bool) -> Outcome:
    """How a finished call counts: an outage fails it; text or an ending succeeds it; else neutral."""
    if isinstance(error, ProviderError):
        return "failure" if error.kind in OUTAGE_KINDS else "neutral"
    return "success" if answered else "neutral"


class BreakerChatModel:
    """A ChatModel that asks ``breaker`` before every call. Share one per provider and model."""

    def __init__(self, inner: ChatModel, *, breaker: CircuitBreaker | None = None,
                 policy: BreakerPolicy | None = None, clock: Clock | None = None,
                 wall: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self.provider, self.model = inner.provider, inner.model
        self.breaker = breaker or CircuitBreaker(inner.provider, inner.model, policy=policy,
                                                 clock=clock, wall=wall)

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        """The inner stream, or ``circuit_open`` at once. Closed early after text: a success."""
        ticket = self._admit(may_probe=True)
        error: BaseException | None = None
        answered = False
        try:
            async with aclosing(self.inner.stream(request)) as items:
                async for item in items:
                    answered = True
                    yield item
        except BaseException as e:
            error = e
            raise
        finally:
            self.breaker.record(ticket, outcome_of(error, answered),
                                error if isinstance(error, ProviderError) else None)

    async def complete(self, request: ChatRequest) -> Completion:
        """The inner completion, or ``circuit_open`` at once. A structured call (a judgement, a
        suggestion, the director) is never the probe: it runs beside the line, which is."""
        ticket = self._admit(may_probe=request.purpose == "verify")
        try:
            result = await self.inner.complete(request)
        except BaseException as e:
            self.breaker.record(ticket, outcome_of(e, False),
                                e if isinstance(e, ProviderError) else None)
            raise
        self.breaker.record(ticket, "success")
        return result

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _admit(self, *, may_probe: bool) -> Ticket:
        ticket = self.breaker.admit(may_probe=may_probe)
        if ticket is None:
            raise self.breaker.refusal()
        return ticket

    def __repr__(self) -> str:
        return f"BreakerChatModel({self.inner!r}, state={self.breaker.state!r})"


def _utc(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _clock_time(moment: datetime | None) -> str:
    """``12:03:04Z``: short enough for a sentence, unambiguous for an operator."""
    return moment.strftime("%H:%M:%SZ") if moment is not None else "an unknown time"
