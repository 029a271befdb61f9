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

from digital_actors.actors import fit
from digital_actors.clock import Clock
from digital_actors.scene.model import Scene
from digital_actors.turn.ports import ActorMemo, Continuity, Cue, LaterSuggestions, TokenCount, UsageTally

_WORDS = re.compile(r"\S+\s*")


class ScriptedLine:
    """The line stream of one authored line, a word at a time."""

    notice: str | None = None  # an authored line never has news for the player
    notice_topic = ""
    failed = False  # an authored line is always delivered as written
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
    last_prompt: str | None = None  # no model, no prompt

    def __init__(self, scene: Scene, *, seed: int = 0, clock: Clock | None = None,
                 pace: float = 0.0, reason: str = "no model configured") -> None:
        self.scene, self.seed, self.clock, self.pace = scene, seed, clock, pace
        self.reason = reason
        self.reset()

    def reset(self) -> None:
        self._rng = random.Random(f"{self.seed}:{self.scene.id}")
        self._decks: dict[str, list[str]] = {}
        self._last = ""
        self._spoken: set[str] = set()
        self._suggested: list[str] = []

    async def aclose(self) -> None:
        """Nothing to release."""

    @property
    def continuity(self) -> Continuity:
        """The lines spoken so far travel with a session's snapshot (``save``/``load``)."""
        return self

    def save(self) -> ActorMemo:
        return ActorMemo(tuple(sorted(self._spoken)), self._last)

    def load(self, memo: ActorMemo) -> None:
        """Go on from ``memo``: spoken lines are drawn last, the last one never next. The decks are
        shuffled afresh (seeded by how far the scene had come), so a resumed scene stays deterministic."""
        self.reset()
        self._rng = random.Random(f"{self.seed}:{self.scene.id}:{len(memo.spoken)}")
        self._spoken, self._last = set(memo.spoken), memo.last

    # --- choosing -----------------------------------------------------------------------
    def _draw(self, key: str, lines: Sequence[str]) -> str:
        """Next line from a shuffled deck, preferring one not yet spoken in this session (a line may
        sit in several pools), never the line just spoken while another remains."""
        deck = self._decks.get(key)
        if not deck:
            deck = list(lines)
            self._rng.shuffle(deck)
            if len(deck) > 1 and deck[-1] == self._last:
                deck.insert(0, deck.pop())
            self._decks[key] = deck
        fresh = [i for i, line in enumerate(deck) if line not in self._spoken]
        line = deck.pop(fresh[-1]) if fresh else deck.pop()
        if line == self._last and deck:
            deck.insert(0, line)
            line = deck.pop()
        self._last = line
        self._spoken.add(line)
        return line

    def _fresh(self, lines: Sequence[str]) -> bool:
        return any(line not in self._spoken for line in lines)

    def _line(self, key: str, lines: Sequence[str], source: str, cue: Cue) -> ScriptedLine | None:
        if not lines:
            return None
        text = self._personalise(self._draw(key, lines), cue)
        return ScriptedLine(text, f"understudy: {source}", clock=self.clock, pace=self.pace)

    def _personalise(self, line: str, cue: Cue) -> str:
        # Only this literal placeholder is replaced: player text is never used as a template.
        name = cue.player_name.strip() or "you"
        return line.replace("{name}", name)

    def _named(self, lines: Sequence[str], cue: Cue) -> list[str]:
        """Lines that speak the player's name only once the player has given one."""
        return [ln for ln in lines if "{name}" not in ln or cue.player_name] or list(lines)

    def perform(self, cue: Cue) -> ScriptedLine | None:
        script = self.scene.script
        if cue.kind == "opening":
            if cue.recollection.returning and script.returning:
                return self._line("returning", self._named(script.returning, cue), "script.returning", cue)
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
            return self._line("idle", self._named(script.idle, cue), "script.idle", cue)
        if cue.kind == "nudge":
            return self._line("idle", self._named(script.idle, cue), "script.idle", cue)
        return self._reply(cue)

    def _reply(self, cue: Cue) -> ScriptedLine | None:
        """The fitting pools in order of preference; the first with a line not yet spoken wins.

        A fired signal's own line beats a reply matched by an incidental word; a specific
        question (a reply matched by a phrase of several words) beats the signal. When nothing
        answers the words (small talk, a bare "ok" or "what?"), the phase's steering line brings
        the player back to what matters now; the fallback ("say again") is the last resort."""
        script = self.scene.script
        hit = fit.best_reply(self.scene, cue.player_text, cue.names)
        reply = [] if hit is None else [(f"reply:{hit.index}", script.replies[hit.index].lines,
                                         f"script.replies[{hit.index}] ({hit.keyword!r})")]
        signals = [(f"signal:{sid}", script.signals[sid], f"script.signals.{sid}")
                   for sid in cue.signals if script.signals.get(sid)]
        pools = reply + signals if hit is not None and hit.specific else signals + reply
        if not pools and cue.interrupted and script.interrupted:
            pools = [("interrupted", script.interrupted, "script.interrupted")]
        pools = [(key, self._named(lines, cue), source) for key, lines, source in pools]
        for key, lines, source in pools:
            if self._fresh(lines):
                return self._line(key, lines, source, cue)
        if pools:
            key, lines, source = pools[0]
            return self._line(key, lines, source, cue)
        return self._steering(cue) or self._line("fallback", self._named(script.fallback, cue), "script.fallback", cue)

    def _steering(self, cue: Cue) -> ScriptedLine | None:
        """The current phase's steering line, or None when the writer gave this phase none."""
        phase = cue.names.get("phase")
        if phase is None:
            return None
        key = str(int(phase))
        lines = self._named(self.scene.script.steer.get(key, []), cue)
        return self._line(f"steer:{key}", lines, f"script.steer.{key}", cue)

    def offers(self, cue: Cue) -> list[str]:
        """Every suggestion that fits this moment (see ``fit.offers``)."""
        return fit.offers(self.scene, cue.names, player_name=cue.player_name)

    def suggest(self, cue: Cue, line: str) -> list[str]:
        """Up to three of the suggestions that fit now, rotating, none shown twice in a row."""
        fitting = self.offers(cue)
        pool = [s for s in fitting if s not in self._suggested]
        if len(pool) < 3:
            pool = fitting
        picks = self._rng.sample(pool, k=min(3, len(pool)))
        self._suggested = picks
        return picks
