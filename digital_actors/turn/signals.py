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
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from digital_actors.scene.model import Signal
from digital_actors.turn.ports import Judge
from digital_actors.understanding import Context, Utterance, analyse, offline_fires

log = structlog.get_logger()


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
                 timeout: float = 4.0) -> None:
        self.judge, self.decisive, self.timeout = judge, decisive, timeout
        self._cache: dict[tuple[str, str], bool] = {}

    def reset(self) -> None:
        self._cache.clear()

    def split(self, signals: Sequence[Signal], text: str, *, context: Context | None = None
              ) -> tuple[list[Verdict], Pending]:
        """What applies now (in scene order) and what waits for the judge."""
        now: list[Verdict] = []
        ask: list[Signal] = []
        proposals: dict[str, str] = {}
        words = analyse(text)
        for signal in signals:
            hit = _hit(signal, words, context)
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
        words = analyse(text)
        for signal in signals:
            hit = _hit(signal, words, None)
            if hit:
                out.append(Verdict(signal.id, f"keyword '{hit}'"))
        return out

    async def verdicts(self, pending: Pending, text: str, *, context: str = "") -> list[Verdict]:
        """The judge's answers for ``pending`` (one call for them all), in scene order. A signal the
        judge could not settle falls back to its keyword proposal, if any."""
        if not pending:
            return []
        answers = await self._judge(pending.signals, text, context)
        out = []
        for signal in pending.signals:
            answer = answers.get(signal.id)
            if answer:
                out.append(Verdict(signal.id, "judge"))
            elif answer is None and signal.id in pending.proposals:
                out.append(Verdict(signal.id, f"keyword '{pending.proposals[signal.id]}' (no judgement)"))
        return out

    async def _judge(self, signals: Sequence[Signal], text: str, context: str) -> dict[str, bool]:
        assert self.judge is not None
        digest = hashlib.sha256(text.encode()).hexdigest()
        known = {s.id: self._cache[(s.id, digest)] for s in signals if (s.id, digest) in self._cache}
        ask = [s for s in signals if s.id not in known]
        if not ask:
            return known
        try:
            async with asyncio.timeout(self.timeout):
                answers = await self.judge.judge(ask, text, context)
        except (TimeoutError, Exception) as e:  # a failed judgement is "unknown", never cached
            log.warning("signal_judge_failed", signals=[s.id for s in ask], error=type(e).__name__)
            return known
        for signal in ask:
            if signal.id in answers:
                self._cache[(signal.id, digest)] = answers[signal.id]
        return {**known, **{k: v for k, v in answers.items() if k in {s.id for s in ask}}}


def _hit(signal: Signal, words: Utterance, context: Context | None) -> str | None:
    """How the words fire the signal offline (``understanding.offline_fires``), for the inspector."""
    match = offline_fires(signal, words, context)
    if match is None:
        return None
    return match.keyword if match.text.lower() == match.keyword else f"{match.keyword}: {match.text}"
