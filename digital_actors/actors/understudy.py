"""The understudy: the offline actor. Performs the scene's authored lines, deterministically.

It is the default with no model configured, what playthrough tests use (so they are
exact), and every scene is fully playable with it. Lines are chosen per cue from the
script, drawn from a per-session seeded deck so nothing repeats back to back.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator, Sequence

from digital_actors.clock import Clock
from digital_actors.scene.expr import Expr
from digital_actors.scene.model import Scene
from digital_actors.text import keyword_hit
from digital_actors.turn.ports import Cue, LaterSuggestions, TokenCount, UsageTally

_WORDS = re.compile(r"\S+\s*")


class ScriptedLine:
    """A performance of one authored line, streamed a word at a time."""

    notice: str | None = None  # an authored line never has news for the player
    usage: TokenCount | None = None

    def __init__(self, text: str, source: str, *, clock: Clock | None, pace: float) -> None:
        self.text, self.source = text, source
        self._clock, self._pace = clock, pace

    async def __aiter__(self) -> AsyncIterator[str]:
        for word in _WORDS.findall(self.text):
            if self._pace > 0 and self._clock is not None:
                await self._clock.sleep(self._pace)
            else:
                await asyncio.sleep(0)
            yield word


class Understudy:
    """Chooses authored lines by cue. ``pace`` is seconds per word (0 streams instantly)."""

    name = "understudy"
    suggestions_later: LaterSuggestions | None = None  # suggestions come at once, from the script
    tally: UsageTally | None = None  # no model, no tokens

    def __init__(self, scene: Scene, *, seed: int = 0, clock: Clock | None = None,
                 pace: float = 0.0, reason: str = "no model configured") -> None:
        self.scene, self.seed, self.clock, self.pace = scene, seed, clock, pace
        self.reason = reason
        self.reset()

    def reset(self) -> None:
        self._rng = random.Random(f"{self.seed}:{self.scene.id}")
        self._decks: dict[str, list[str]] = {}
        self._last = ""
        self._suggested: list[str] = []

    async def aclose(self) -> None:
        """Nothing to release."""

    # --- choosing -----------------------------------------------------------------------
    def _draw(self, key: str, lines: Sequence[str]) -> str:
        """Next line from a shuffled deck; reshuffled when empty, never the last line spoken."""
        deck = self._decks.get(key)
        if not deck:
            deck = list(lines)
            self._rng.shuffle(deck)
            if len(deck) > 1 and deck[-1] == self._last:
                deck.insert(0, deck.pop())
            self._decks[key] = deck
        line = deck.pop()
        if line == self._last and deck:
            deck.insert(0, line)
            line = deck.pop()
        self._last = line
        return line

    def _line(self, key: str, lines: Sequence[str], source: str, cue: Cue) -> ScriptedLine | None:
        if not lines:
            return None
        text = self._personalise(self._draw(key, lines), cue)
        return ScriptedLine(text, f"understudy: {source}", clock=self.clock, pace=self.pace)

    def _personalise(self, line: str, cue: Cue) -> str:
        # Only this literal placeholder is replaced: player text is never used as a template.
        name = cue.player_name.strip() or "you"
        return line.replace("{name}", name)

    def perform(self, cue: Cue) -> ScriptedLine | None:
        script = self.scene.script
        if cue.kind == "opening":
            if cue.memory.returning and script.returning:
                lines = [ln for ln in script.returning if "{name}" not in ln or cue.player_name]
                return self._line("returning", lines or script.returning, "script.returning", cue)
            if not script.opening:
                return None
            text = " ".join(script.opening)
            return ScriptedLine(text, "understudy: script.opening", clock=self.clock, pace=self.pace)
        if cue.kind == "control":
            lines = script.controls.get(cue.control_id, [])
            return self._line(f"control:{cue.control_id}", lines, f"script.controls.{cue.control_id}", cue)
        if cue.kind == "phase":
            key = str(cue.phase_id)
            return self._line(f"phase:{key}", script.phases.get(key, []), f"script.phases.{key}", cue)
        if cue.kind == "ending":
            lines = script.endings.get(cue.ending_id, [])
            return self._line(f"ending:{cue.ending_id}", lines, f"script.endings.{cue.ending_id}", cue)
        if cue.kind == "hint":
            lines = script.hints.get(cue.rule_id, [])
            if lines:
                return self._line(f"hint:{cue.rule_id}", lines, f"script.hints.{cue.rule_id}", cue)
            return self._line("idle", script.idle, "script.idle", cue)
        if cue.kind == "nudge":
            return self._line("idle", script.idle, "script.idle", cue)
        return self._reply(cue)

    def _reply(self, cue: Cue) -> ScriptedLine | None:
        script = self.scene.script
        best: tuple[int, int] | None = None
        for i, reply in enumerate(script.replies):
            if not _holds(reply.when_expr, cue):
                continue
            hit = keyword_hit(cue.player_text, reply.keywords)
            if hit and (best is None or len(hit) > best[0]):
                best = (len(hit), i)
        if best is not None:
            i = best[1]
            reply = script.replies[i]
            return self._line(f"reply:{i}", reply.lines, f"script.replies[{i}] ({reply.keywords[0]!r})", cue)
        for signal_id in cue.signals:
            if script.signals.get(signal_id):
                return self._line(f"signal:{signal_id}", script.signals[signal_id],
                                  f"script.signals.{signal_id}", cue)
        if cue.interrupted and script.interrupted:
            return self._line("interrupted", script.interrupted, "script.interrupted", cue)
        return self._line("fallback", script.fallback, "script.fallback", cue)

    def suggest(self, cue: Cue, line: str) -> list[str]:
        """Up to three replies from the script's suggestions, rotating, none shown twice in a row."""
        pool = [s for s in self.scene.script.suggestions if s not in self._suggested]
        if len(pool) < 3:
            pool = list(self.scene.script.suggestions)
        picks = self._rng.sample(pool, k=min(3, len(pool)))
        self._suggested = picks
        return picks


def _holds(expr: Expr | None, cue: Cue) -> bool:
    if expr is None:
        return True
    try:
        return expr.holds(cue.names)
    except Exception:  # a faulty condition never breaks a reply; the check command reports it
        return False
