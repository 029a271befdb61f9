"""The schema of ``scene.toml`` (pydantic). Unknown keys are errors, so typos never pass silently.

The loader validates a file against these models, then compiles every expression and
effect (``compiled`` attributes) and cross-checks references between sections.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from digital_actors.scene.expr import Expr

Category = Literal["survival", "mystery", "drama", "fantasy", "tutorial", "conversation"]
EffectValue = str | int | float
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


class Effect(BaseModel):
    """One compiled effect: ``var`` gets ``op`` (add/sub/set) of ``expr``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    var: str
    op: Literal["add", "sub", "set"]
    expr: Expr


class _WithEffects(_Strict):
    effects: dict[str, EffectValue] = Field(default_factory=dict)
    _effects: list[Effect] = PrivateAttr(default_factory=list)

    @property
    def compiled_effects(self) -> list[Effect]:
        return self._effects


class VoiceSettings(_Strict):
    elevenlabs: str | None = None
    stability: float = Field(0.5, ge=0, le=1)
    similarity: float = Field(0.75, ge=0, le=1)
    style: float = Field(0.0, ge=0, le=1)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    piper_speaker: int | None = None
    pitch: float = Field(0.0, ge=-6, le=6)


class CastMember(_Strict):
    name: str
    brief: str = Field(..., description="markdown file in the scene folder, or inline text")
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    colour: str | None = None
    _brief_text: str = PrivateAttr(default="")

    @property
    def brief_text(self) -> str:
        return self._brief_text


class Player(_Strict):
    role: str


class Setting(_Strict):
    description: str = ""
    facts: list[str] = Field(default_factory=list)
    _description_text: str = PrivateAttr(default="")

    @property
    def description_text(self) -> str:
        return self._description_text


class StateVar(_Strict):
    label: str | None = None
    start: float = 0
    min: float = 0
    max: float = 100
    rate: float = 0
    unit: str = ""
    show: Literal["gauge", "number", "hidden"] = "hidden"
    danger: float | None = None
    danger_below: bool = Field(False, description="danger when the value is at or below `danger`")
    countdown: bool = Field(False, description="the UI shows it as time left (value is seconds)")

    @field_validator("max")
    @classmethod
    def _max_above_min(cls, value: float, info: object) -> float:
        data = getattr(info, "data", {})
        if "min" in data and value < data["min"]:
            raise ValueError(f"max ({value}) is below min ({data['min']})")
        return value


class Phase(_Strict):
    id: int = Field(..., ge=0)
    title: str
    enter: str | None = None
    beat: str = ""
    _enter: Expr | None = PrivateAttr(default=None)

    @property
    def enter_expr(self) -> Expr | None:
        return self._enter


class Control(_WithEffects):
    id: str = Field(..., pattern=ID_PATTERN)
    label: str
    key: str = ""
    when: str | None = None
    unavailable: str = Field("", description="what the player is told when `when` does not hold")
    uses: int | None = Field(None, ge=1)
    cooldown: float = Field(0, ge=0)
    reaction: str = ""
    feedback: str = Field("", description="narration shown when pressed")
    _when: Expr | None = PrivateAttr(default=None)

    @property
    def when_expr(self) -> Expr | None:
        return self._when


class Signal(_WithEffects):
    id: str = Field(..., pattern=ID_PATTERN)
    about: Literal["player", "actor"] = "player"
    ask: str
    keywords: list[str] = Field(default_factory=list)
    when: str | None = None
    once: bool = True
    decisive: bool | None = Field(
        None, strict=True, description="whether a false 'yes' can decide the ending; unset: derived from the endings "
                          "(digital_actors.understanding.decisive)")
    _when: Expr | None = PrivateAttr(default=None)

    @property
    def when_expr(self) -> Expr | None:
        return self._when


class Ending(_Strict):
    id: str = Field(..., pattern=ID_PATTERN)
    kind: Literal["success", "failure"]
    when: str
    title: str
    beat: str = ""
    epilogue: str = ""
    hint: str = Field("", description="after a failure: one thing to try next time, in the player's words")
    _when: Expr | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _hint_after_failure(self) -> Ending:
        if self.hint and self.kind != "failure":
            raise ValueError("hint: only a failure ending has a hint (it is shown after the player fails)")
        return self

    @property
    def when_expr(self) -> Expr:
        assert self._when is not None, "scene not compiled"
        return self._when


class Interruptions(_WithEffects):
    narration: str = ""


class DirectorRule(_WithEffects):
    id: str = Field(..., pattern=ID_PATTERN)
    when: str
    cooldown: float = Field(30, ge=0)
    once: bool = False
    note: str = Field("", description="steers the actor's next lines")
    hint: str = Field("", description="the actor gives the player this hint")
    narration: str = Field("", description="a world event the player reads")
    nudge: bool = Field(False, description="the actor says one of the script's idle lines")
    _when: Expr | None = PrivateAttr(default=None)

    @property
    def when_expr(self) -> Expr:
        assert self._when is not None, "scene not compiled"
        return self._when


class Director(_Strict):
    rules: list[DirectorRule] = Field(default_factory=list)
    background_gap: float = Field(15, ge=0, description=(
        "the least scene time, in seconds, between two background lines (a rule's hint or nudge, the director "
        "model's hint): a due rule that would speak waits until the gap has passed"))


class DifficultyLevel(_Strict):
    rates: float = Field(1.0, gt=0, le=5)
    start: dict[str, float] = Field(default_factory=dict)


class Reply(_Strict):
    keywords: list[str] = Field(..., min_length=1)
    lines: list[str] = Field(..., min_length=1)
    when: str | None = None
    _when: Expr | None = PrivateAttr(default=None)

    @property
    def when_expr(self) -> Expr | None:
        return self._when


class Suggestion(_Strict):
    """A reply offered to the player; ``when`` keeps it back until it fits (say, a later phase)."""

    text: str = Field(..., min_length=1)
    when: str | None = None
    _when: Expr | None = PrivateAttr(default=None)

    @property
    def when_expr(self) -> Expr | None:
        return self._when


class Script(_Strict):
    opening: list[str] = Field(default_factory=list)
    returning: list[str] = Field(default_factory=list)
    idle: list[str] = Field(default_factory=list)
    fallback: list[str] = Field(default_factory=list)
    interrupted: list[str] = Field(default_factory=list)
    suggestions: list[str | Suggestion] = Field(
        default_factory=list, description='plain text, or {text = "...", when = "phase >= 2"}')
    controls: dict[str, list[str]] = Field(default_factory=dict)
    phases: dict[str, list[str]] = Field(default_factory=dict)
    steer: dict[str, list[str]] = Field(
        default_factory=dict, description="by phase id: what the character says to words nothing answers, "
                                          "bringing the player back to what matters in that phase")
    endings: dict[str, list[str]] = Field(default_factory=dict)
    hints: dict[str, list[str]] = Field(default_factory=dict)
    signals: dict[str, list[str]] = Field(default_factory=dict)
    replies: list[Reply] = Field(default_factory=list)

    def offers(self) -> list[Suggestion]:
        """Every suggestion as a ``Suggestion`` (plain strings have no condition)."""
        return [Suggestion(text=s) if isinstance(s, str) else s for s in self.suggestions]


class Scene(_Strict):
    """A whole scene file."""

    id: str = Field(..., pattern=ID_PATTERN)
    title: str
    tagline: str = ""
    category: Category = "drama"
    minutes: float = Field(5, gt=0, le=120)
    max_words: int = Field(45, ge=5, le=400, description="longest line the actor may speak")
    player: Player
    cast: dict[str, CastMember] = Field(..., min_length=1)
    setting: Setting = Field(default_factory=Setting)
    state: dict[str, StateVar] = Field(default_factory=dict)
    phases: list[Phase] = Field(..., min_length=1)
    controls: list[Control] = Field(default_factory=list)
    signals: list[Signal] = Field(default_factory=list)
    endings: list[Ending] = Field(..., min_length=1)
    interruptions: Interruptions = Field(default_factory=Interruptions)
    director: Director = Field(default_factory=Director)
    difficulty: dict[Literal["easy", "normal", "hard"], DifficultyLevel] = Field(default_factory=dict)
    script: Script = Field(default_factory=Script)
    _folder: str = PrivateAttr(default="")
    _file: str = PrivateAttr(default="")
    _plan: object = PrivateAttr(default=None)

    @property
    def folder(self) -> str:
        return self._folder

    @property
    def file(self) -> str:
        return self._file

    @property
    def lead_id(self) -> str:
        """The character who performs (the first cast entry)."""
        return next(iter(self.cast))

    @property
    def lead(self) -> CastMember:
        return self.cast[self.lead_id]

    def control(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)

    def phase(self, phase_id: int) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)
