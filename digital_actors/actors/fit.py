"""What fits the moment, offline: which authored replies answer some words now, whether words
would get a real answer, and which suggestions to offer. Pure functions of a scene, the words
and the world's names (phase, values, ``signals.x``), shared by the understudy and its tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from digital_actors.scene.expr import Expr
from digital_actors.scene.model import Scene, Signal
from digital_actors.text import normalize
from digital_actors.understanding import TERSE_PLACEHOLDERS, find_keyword, find_name, offline_fires

# A reply matched by a phrase this long (in words) is specific enough to beat a signal's line;
# a shorter one ("lamp", "the file") is incidental, and the signal's own line wins, unless the
# writer gated the reply with ``when`` (a deliberate answer for this state beats the signal).
SPECIFIC_WORDS = 3


def holds(expr: Expr | None, names: Mapping[str, float]) -> bool:
    if expr is None:
        return True
    try:
        return expr.holds(names)
    except Exception:  # a faulty condition never breaks a reply; the check command reports it
        return False


def mentioned(text: str, keywords: list[str]) -> str | None:
    """The keyword an authored reply answers in ``text`` (questions count; negations and
    quotations do not; ``{yes}``, ``{no}``, ``{what}`` answer a terse line), or None."""
    match = find_keyword(text, keywords, strength="mentioned")
    return None if match is None else match.keyword


def weight(keyword: str) -> int:
    """How much of the line a reply's keyword answers: its length; a terse placeholder answers the
    whole line, so it outweighs any words found inside it."""
    return 1_000_000 if keyword.strip() in TERSE_PLACEHOLDERS else len(keyword)


def asserted(signal: Signal, text: str) -> str | None:
    """The keyword by which ``text`` fires ``signal`` offline (the rule play uses), or None."""
    match = offline_fires(signal, text)
    return None if match is None else match.keyword


@dataclass(frozen=True, slots=True)
class ReplyHit:
    index: int
    keyword: str
    gated: bool = False  # the reply has a ``when``: written for this very state

    @property
    def specific(self) -> bool:
        """Whether this reply should beat a fired signal's own line."""
        return self.gated or len(self.keyword.split()) >= SPECIFIC_WORDS


def best_reply(scene: Scene, text: str, names: Mapping[str, float]) -> ReplyHit | None:
    """The reply whose ``when`` holds and whose longest matching keyword is the longest."""
    best: ReplyHit | None = None
    for i, reply in enumerate(scene.script.replies):
        if not holds(reply.when_expr, names):
            continue
        hit = mentioned(text, reply.keywords)
        if hit and (best is None or weight(hit) > weight(best.keyword)):
            best = ReplyHit(i, hit, reply.when_expr is not None)
    return best


def ready(signal: Signal, names: Mapping[str, float]) -> bool:
    """Whether a player signal could fire now (its ``when`` holds; a once-signal not yet fired)."""
    if signal.once and names.get(f"signals.{signal.id}", 0.0):
        return False
    return holds(signal.when_expr, names)


def answered(scene: Scene, text: str, names: Mapping[str, float]) -> bool:
    """Whether ``text`` said now gets a real answer: an authored reply, or a signal with lines."""
    if best_reply(scene, text, names) is not None:
        return True
    return any(s.about == "player" and scene.script.signals.get(s.id) and ready(s, names) and asserted(s, text)
               for s in scene.signals)


def offers(scene: Scene, names: Mapping[str, float], *, player_name: str = "") -> list[str]:
    """The suggestions that fit now: their ``when`` holds, they get a real answer in this phase and
    state, ``{name}`` is the player's given name (dropped when unknown), and once the player has
    given a name, lines that give one are not offered again."""
    out: list[str] = []
    for offer in scene.script.offers():
        if not holds(offer.when_expr, names):
            continue
        text = offer.text
        if "{name}" in text:
            if not player_name:
                continue
            text = text.replace("{name}", player_name)
        if player_name and find_name(text) is not None:
            continue
        if answered(scene, text, names) and normalize(text) not in {normalize(o) for o in out}:
            out.append(text)
    return out

