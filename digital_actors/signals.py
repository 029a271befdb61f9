"""Named yes/no signals about what was just said.

Offline (and always first, as the fast path) the keywords decide. An optional judge
(an LLM, added by the model layer) answers the rest, concurrently and bounded in time;
its answers are cached per session, and a failed judgement is never cached as "no".
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Protocol

import structlog

from digital_actors.scene.model import Signal
from digital_actors.text import keyword_hit

log = structlog.get_logger()


class Judge(Protocol):
    """Answers one signal's question about one utterance: True, False, or None (could not tell)."""

    async def judge(self, signal: Signal, text: str, context: str) -> bool | None: ...


class SignalEvaluator:
    """Evaluates a scene's signals for one session (the cache belongs to that session)."""

    def __init__(self, *, judge: Judge | None = None, timeout: float = 4.0, concurrency: int = 4) -> None:
        self.judge, self.timeout = judge, timeout
        self._limit = asyncio.Semaphore(concurrency)
        self._cache: dict[tuple[str, str], bool] = {}

    def reset(self) -> None:
        self._cache.clear()

    async def evaluate(self, signals: Sequence[Signal], text: str, *, context: str = "") -> list[tuple[str, str]]:
        """Which of ``signals`` the text triggers, as (signal id, how it was decided), in scene order."""
        found: dict[str, str] = {}
        ask: list[Signal] = []
        for signal in signals:
            hit = keyword_hit(text, signal.keywords)
            if hit:
                found[signal.id] = f"keyword '{hit}'"
            elif self.judge is not None and signal.ask:
                ask.append(signal)
        if ask:
            answers = await asyncio.gather(*(self._judge(s, text, context) for s in ask))
            for signal, answer in zip(ask, answers, strict=True):
                if answer:
                    found[signal.id] = "judge"
        return [(s.id, found[s.id]) for s in signals if s.id in found]

    async def _judge(self, signal: Signal, text: str, context: str) -> bool:
        assert self.judge is not None
        key = (signal.id, hashlib.sha256(text.encode()).hexdigest())
        if key in self._cache:
            return self._cache[key]
        try:
            async with self._limit, asyncio.timeout(self.timeout):
                answer = await self.judge.judge(signal, text, context)
        except (TimeoutError, Exception) as e:  # a failed judgement is "unknown", never cached
            log.warning("signal_judge_failed", signal=signal.id, error=type(e).__name__)
            return False
        if answer is None:
            return False
        self._cache[key] = answer
        return answer
