"""Named yes/no signals about what was just said: what applies at once, what waits for a judge.

Offline, keywords decide, and only when the player asserts them (see ``understanding``).
With a judge (a model), keywords still decide the ordinary signals at once, but for
*decisive* signals (those that can end the scene or move what an ending reads) they only
propose: the judge's verdict is authoritative and lands while the reply is already
streaming. A failed judgement is never cached as "no"; for a decisive signal it falls back
to the offline decision, so an outage never makes the scene deaf.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from digital_actors.scene.model import Signal
from digital_actors.text import keyword_hit
from digital_actors.turn.ports import Judge

log = structlog.get_logger()

# The offline decision for one signal and one utterance: the matched keyword, or None.
Matcher = Callable[[Signal, str], str | None]


def keyword_matcher(signal: Signal, text: str) -> str | None:
    return keyword_hit(text, signal.keywords)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A signal that answered yes, and how that was decided (inspector, logs)."""

    signal_id: str
    source: str


@dataclass(frozen=True, slots=True)
class Pending:
    """Signals that wait for the judge, with what the keywords proposed for each."""

    signals: tuple[Signal, ...]
    proposals: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.signals)


class SignalEvaluator:
    """Evaluates a scene's signals for one session (the judge's cache belongs to that session)."""

    def __init__(self, *, judge: Judge | None = None, decisive: frozenset[str] = frozenset(),
                 matcher: Matcher = keyword_matcher, timeout: float = 4.0, concurrency: int = 4) -> None:
        self.judge, self.decisive, self.matcher, self.timeout = judge, decisive, matcher, timeout
        self._limit = asyncio.Semaphore(concurrency)
        self._cache: dict[tuple[str, str], bool] = {}

    def reset(self) -> None:
        self._cache.clear()

    def split(self, signals: Sequence[Signal], text: str) -> tuple[list[Verdict], Pending]:
        """What applies now (in scene order) and what waits for the judge."""
        now: list[Verdict] = []
        ask: list[Signal] = []
        proposals: dict[str, str] = {}
        for signal in signals:
            hit = self.matcher(signal, text)
            judged = self.judge is not None and bool(signal.ask)
            if judged and signal.id in self.decisive:
                ask.append(signal)
                if hit:
                    proposals[signal.id] = hit
            elif hit:
                now.append(Verdict(signal.id, f"keyword '{hit}'"))
            elif judged:
                ask.append(signal)
        return now, Pending(tuple(ask), proposals)

    def offline(self, signals: Sequence[Signal], text: str) -> list[Verdict]:
        """Keywords only (the actor's own words: no model call for them)."""
        out = []
        for signal in signals:
            hit = self.matcher(signal, text)
            if hit:
                out.append(Verdict(signal.id, f"keyword '{hit}'"))
        return out

    async def verdicts(self, pending: Pending, text: str, *, context: str = "") -> list[Verdict]:
        """The judge's answers for ``pending`` (one model call for them all), in scene order."""
        if not pending:
            return []
        answers = await asyncio.gather(*(self._judge(s, text, context) for s in pending.signals))
        out = []
        for signal, answer in zip(pending.signals, answers, strict=True):
            if answer:
                out.append(Verdict(signal.id, "judge"))
            elif answer is None and signal.id in pending.proposals:
                out.append(Verdict(signal.id, f"keyword '{pending.proposals[signal.id]}' (no judgement)"))
        return out

    async def _judge(self, signal: Signal, text: str, context: str) -> bool | None:
        assert self.judge is not None
        key = (signal.id, hashlib.sha256(text.encode()).hexdigest())
        if key in self._cache:
            return self._cache[key]
        try:
            async with self._limit, asyncio.timeout(self.timeout):
                answer = await self.judge.judge(signal, text, context)
        except (TimeoutError, Exception) as e:  # a failed judgement is "unknown", never cached
            log.warning("signal_judge_failed", signal=signal.id, error=type(e).__name__)
            return None
        if answer is not None:
            self._cache[key] = answer
        return answer
