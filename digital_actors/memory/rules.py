"""Documented rules turning one attempt into personality, relationship, difficulty and memories.

Pure functions, no I/O: the store calls them inside its transaction, the docs quote them
(docs/OPERATIONS.md, "How memory changes"). Every score lives on a 0-100 scale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from digital_actors.memory.records import MemoryNote
from digital_actors.memory.wording import detect_name

Difficulty = Literal["easy", "normal", "hard"]
TRAITS: tuple[str, ...] = ("impulsiveness", "cooperation", "problem_solving", "patience")

NEUTRAL = 50.0  # a trait with no evidence yet, and a stranger's trust
EMA_ALPHA = 0.3  # weight of one attempt in the running personality average
FAMILIARITY_STEP = 0.15  # share of the remaining distance to 100 gained per finished attempt


@dataclass(frozen=True, slots=True)
class AttemptStats:
    """Counts of what the player did during one attempt (stored as JSON on the attempt row)."""

    interruptions: int = 0  # lines the player cut off
    rapid_actions: int = 0  # actions within 2 s of the previous action
    patient_waits: int = 0  # actions taken >= 3 s after a line finished uninterrupted
    correct_actions: int = 0  # control presses the scene accepted
    incorrect_actions: int = 0  # control presses the scene refused
    lines_said: int = 0  # things the player said
    controls_pressed: int = 0  # every control press, accepted or not
    kind_words: int = 0  # kind or encouraging phrases ("please", "you can do it")
    harsh_words: int = 0  # harsh or dismissive phrases ("shut up", "hurry up")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> AttemptStats:
        """Tolerant of stored JSON from older or newer versions: unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in known})


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def _ratio(good: float, bad: float) -> float | None:
    """Laplace-smoothed share of ``good`` evidence on 0-100; None when there is no evidence."""
    if good + bad <= 0:
        return None
    return 100.0 * (good + 1.0) / (good + bad + 2.0)


def attempt_traits(stats: AttemptStats, outcome: str) -> dict[str, float | None]:
    """This attempt's score for each trait (None = no evidence this time).

    - impulsiveness: (rapid actions + interruptions) against (patient waits + unhurried actions)
    - cooperation: (accepted presses + kind words) against (refused presses + harsh words)
    - problem_solving: accepted against refused presses, plus 2 on either side for success/failure
    - patience: patient waits against interruptions
    """
    actions = stats.correct_actions + stats.incorrect_actions + stats.lines_said
    unhurried = max(0, actions - stats.rapid_actions)
    won = 2 if outcome == "success" else 0
    lost = 2 if outcome == "failure" else 0
    return {
        "impulsiveness": _ratio(
            stats.rapid_actions + stats.interruptions, stats.patient_waits + unhurried
        ),
        "cooperation": _ratio(
            stats.correct_actions + stats.kind_words, stats.incorrect_actions + stats.harsh_words
        ),
        "problem_solving": _ratio(stats.correct_actions + won, stats.incorrect_actions + lost),
        "patience": _ratio(stats.patient_waits, stats.interruptions),
    }


def update_personality(
    current: dict[str, float] | None, stats: AttemptStats, outcome: str
) -> dict[str, float]:
    """Move each trait ``EMA_ALPHA`` of the way toward this attempt's score, clamped to 0-100.

    A new player starts at 50 on every trait; a trait with no evidence this attempt is unchanged.
    """
    current = current or {}
    scores = attempt_traits(stats, outcome)
    out: dict[str, float] = {}
    for trait in TRAITS:
        old = float(current.get(trait, NEUTRAL))
        score = scores[trait]
        out[trait] = round(clamp(old if score is None else old + EMA_ALPHA * (score - old)), 2)
    return out


def trust_delta(stats: AttemptStats, outcome: str) -> float:
    """Trust change after an attempt: +8 success, -5 failure; kind words +2 each (max +6);
    harsh words -2 each (max -6); interruptions -1.5 each (max -6). Quit/abandoned: words only."""
    delta = {"success": 8.0, "failure": -5.0}.get(outcome, 0.0)
    delta += min(6.0, 2.0 * stats.kind_words)
    delta -= min(6.0, 2.0 * stats.harsh_words)
    delta -= min(6.0, 1.5 * stats.interruptions)
    return delta


def update_relationship(
    trust: float | None, familiarity: float | None, stats: AttemptStats, outcome: str
) -> tuple[float, float]:
    """New (trust, familiarity). Trust starts at 50 and moves by :func:`trust_delta`;
    familiarity starts at 0 and gains 15% of the distance left to 100 per attempt
    (diminishing returns: 15, 28, 39, ... 80 after 10 attempts)."""
    t = NEUTRAL if trust is None else trust
    f = 0.0 if familiarity is None else familiarity
    new_trust = clamp(t + trust_delta(stats, outcome))
    new_familiarity = clamp(f + (100.0 - f) * FAMILIARITY_STEP)
    return round(new_trust, 2), round(new_familiarity, 2)


def difficulty_for(attempts: int, successes: int) -> Difficulty:
    """easy after 2+ counted attempts with no success; hard after 2+ successes at a success
    rate of at least 2/3; otherwise normal. Counted attempts: success, failure or quit."""
    if attempts >= 2 and successes == 0:
        return "easy"
    if successes >= 2 and attempts > 0 and successes * 3 >= attempts * 2:
        return "hard"
    return "normal"


def notable_memories(
    *,
    outcome: str,
    ending_id: str | None,
    ending_title: str | None,
    stats: AttemptStats,
    player_lines: Sequence[str],
    choices: Sequence[str] = (),
) -> list[MemoryNote]:
    """What a character remembers after an attempt, worded from the character's side.

    The player's name (weight 1.0), the ending (0.8), how they treated the character (0.6),
    the key choices (0.5; first three distinct), patience shown (0.4).
    """
    notes: list[MemoryNote] = []
    name = detect_name(list(player_lines))
    if name:
        notes.append(MemoryNote(f"They told me their name is {name}.", 1.0))
    if outcome in ("success", "failure"):
        label = ending_title or ending_id or outcome
        verb = "got us through" if outcome == "success" else "did not get us through"
        notes.append(MemoryNote(f"Last time they {verb}: {label}.", 0.8))
    elif outcome == "quit":
        notes.append(MemoryNote("Last time they walked away before it was over.", 0.6))
    if stats.harsh_words >= 2 or (stats.harsh_words and stats.harsh_words > stats.kind_words):
        notes.append(MemoryNote("They were harsh with me.", 0.6))
    elif stats.kind_words >= 2:
        notes.append(MemoryNote("They were kind to me.", 0.6))
    if stats.interruptions >= 3:
        notes.append(MemoryNote(f"They kept cutting me off ({stats.interruptions} times).", 0.6))
    distinct = list(dict.fromkeys(c for c in choices if c))[:3]
    if distinct:
        notes.append(MemoryNote("They chose to: " + ", ".join(distinct) + ".", 0.5))
    if stats.patient_waits >= 3 and stats.interruptions == 0:
        notes.append(MemoryNote("They listened and let me finish.", 0.4))
    return notes
