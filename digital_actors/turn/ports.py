"""The turn's ports: what the session needs from an actor, a judge and a director.

Each is a small Protocol. Optional capabilities are *declared* as attributes that are
``None`` when absent (an actor without model suggestions has ``suggestions_later = None``),
so the session never probes with ``getattr``. Adapters live elsewhere: the understudy and
the LLM actor in ``actors/``, the LLM judge and director in ``llm/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from digital_actors.player import Recollection
from digital_actors.scene.model import Signal

CueKind = Literal["opening", "reply", "control", "phase", "ending", "hint", "nudge"]


@dataclass(frozen=True, slots=True)
class Cue:
    """What just happened and everything the actor may know when answering it."""

    kind: CueKind
    character_id: str
    player_text: str = ""
    control_id: str = ""
    phase_id: int | None = None
    ending_id: str = ""
    rule_id: str = ""
    beat: str = ""
    signals: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    interrupted: bool = False
    names: Mapping[str, float] = field(default_factory=dict)
    recollection: Recollection = field(default_factory=Recollection)
    history: tuple[tuple[str, str], ...] = ()  # (who, text) so far: "player" or "actor"
    elapsed: float = 0.0
    player_name: str = ""  # the name the player gave (never a profile id); "" until they give one


class TokenCount(Protocol):
    """Tokens one line or one session used (a model's usage; the understudy has none)."""

    @property
    def total_input(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...


class LineStream(Protocol):
    """One line as the actor performs it: raw text deltas (audio tags included) and where it came from.

    ``notice`` (a message for the player, e.g. "the model is not answering") and ``usage``
    are read once the stream has ended; both are None when there is nothing to say. ``failed``,
    read then too, is True when the actor did not deliver the line itself in full (the script's
    stand-in, or a line cut short by an error).
    ``notice_topic`` says what a notice is about (``Notice.topic``), read only with a notice.
    """

    @property
    def source(self) -> str: ...

    @property
    def notice(self) -> str | None: ...

    @property
    def notice_topic(self) -> str: ...

    @property
    def failed(self) -> bool: ...

    @property
    def usage(self) -> TokenCount | None: ...

    def __aiter__(self) -> AsyncIterator[str]: ...


class UsageTally(Protocol):
    """A session's token usage, by purpose (line, judge, suggest, director)."""

    @property
    def by_purpose(self) -> Mapping[str, TokenCount]: ...

    @property
    def total(self) -> TokenCount: ...


class LaterSuggestions(Protocol):
    """Suggestions written in the background (a model): they never delay a line."""

    def __call__(self, cue: Cue, line: str) -> Awaitable[list[str]]: ...


@dataclass(frozen=True, slots=True)
class ActorMemo:
    """What an actor remembers of its own lines in this playthrough, so that a scene carried to
    another process does not repeat them (the understudy's spoken lines and the last one)."""

    spoken: tuple[str, ...] = ()
    last: str = ""


class Continuity(Protocol):
    """An actor's memory of the playthrough, saved with a session's snapshot and loaded back."""

    def save(self) -> ActorMemo: ...

    def load(self, memo: ActorMemo) -> None: ...


class Actor(Protocol):
    """Performs cues: ``perform`` returns the line's stream, or None when it has nothing to say.

    Capabilities: ``suggestions_later`` (None: ``suggest`` answers at once), ``tally``
    (None: no tokens are counted) and ``continuity`` (None: it remembers nothing worth
    carrying when the scene moves to another process).
    """

    @property
    def name(self) -> str: ...

    @property
    def reason(self) -> str: ...

    @property
    def suggestions_later(self) -> LaterSuggestions | None: ...

    @property
    def tally(self) -> UsageTally | None: ...

    @property
    def continuity(self) -> Continuity | None: ...

    @property
    def last_prompt(self) -> str | None:
        """The last prompt sent to a model, for the writer's inspector (None: no model)."""
        ...

    def perform(self, cue: Cue) -> LineStream | None: ...

    def suggest(self, cue: Cue, line: str) -> list[str]: ...

    def reset(self) -> None: ...

    async def aclose(self) -> None: ...


class Judge(Protocol):
    """Answers signals' questions about one utterance, all at once (one model call).

    A signal missing from the answer could not be judged; a failure raises."""

    async def judge(self, signals: Sequence[Signal], text: str, context: str) -> Mapping[str, bool]: ...


@dataclass(frozen=True, slots=True)
class DirectorView:
    """What the director sees: every value (hidden ones too), time, notes, recent turns."""

    elapsed: float
    idle: float
    phase: int
    values: Mapping[str, float]
    notes: Sequence[str]
    history: Sequence[tuple[str, str]]
    fired: Sequence[str] = ()


DirectorAction = Literal["continue", "event", "npc_note", "hint"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the director chose, and why."""

    action: DirectorAction
    text: str
    reason: str


class Director(Protocol):
    """An optional pacing layer consulted now and then in the background (never writes state)."""

    def due(self, elapsed: float) -> bool: ...

    def mark(self, elapsed: float) -> None: ...

    async def decide(self, view: DirectorView) -> Decision | None: ...

    def reset(self) -> None: ...
