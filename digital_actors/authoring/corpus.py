"""Understanding corpora (``tests/understanding.toml``): labelled player lines, scored offline.

Each entry is a line a player might type, the signals it should fire, and optionally the
phase and state to start from (so a gated signal can fire) and the name it gives. The
evaluator builds a ``World`` for each entry, asks the offline decision (``offline_fires``,
exactly what play uses) about every player signal ready in that state, and scores precision
and recall (micro-averaged over signals: a line labelled ``fires = []`` that fires anything
is a false positive) and name accuracy against the floors at the top of the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from digital_actors.errors import SceneError
from digital_actors.scene.loader import SCENE_FILE, _label, _loc, _message, load_scene
from digital_actors.scene.model import Scene, Signal
from digital_actors.text import keyword_hit
from digital_actors.understanding import Context, Utterance, analyse, find_name, offline_fires
from digital_actors.world import World

CORPUS_FILE = "understanding.toml"
Kind = Literal["assertion", "paraphrase", "negation", "question", "hypothetical", "sarcasm", "quotation",
               "offtopic", "name", "terse"]
# The decision under test: truthy (a Match, a keyword) when the signal fires.
Decide = Callable[[Signal, Utterance, Context], object]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Floor(_Strict):
    """The scores a corpus must reach; each 0..1, 0 when left out."""

    precision: float = Field(0.0, ge=0, le=1)
    recall: float = Field(0.0, ge=0, le=1)
    names: float = Field(0.0, ge=0, le=1)


class Entry(_Strict):
    """One labelled line. ``name``: the name it gives ("" for none); left out: not a name line."""

    text: str = Field(..., min_length=1)
    fires: list[str]
    kind: Kind | None = None
    phase: int | None = None
    state: dict[str, float] = Field(default_factory=dict)
    fired: list[str] = Field(default_factory=list, description="signals that fired earlier in the scene")
    name: str | None = None
    asked: bool = Field(False, description="the character has just asked for the player's name")


class _File(_Strict):
    floor: Floor
    entry: list[Entry] = Field(..., min_length=1)


@dataclass(frozen=True)
class Corpus:
    file: Path
    scene: Scene
    floor: Floor
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Miss:
    """A line the decision got wrong: what it should have fired (or named) and what it did."""

    text: str
    expected: str
    got: str


@dataclass
class Score:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    names_right: int = 0
    names_total: int = 0
    lines: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def precision(self) -> float:
        fired = self.true_pos + self.false_pos
        return self.true_pos / fired if fired else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pos + self.false_neg
        return self.true_pos / wanted if wanted else 1.0

    @property
    def names(self) -> float:
        return self.names_right / self.names_total if self.names_total else 1.0

    def add(self, entry: Entry, got: Mapping[str, object]) -> None:
        """Count one entry: the signals that fired (id -> how) against its labels, and its name."""
        self.lines += 1
        expected = set(entry.fires)
        self.true_pos += len(expected & got.keys())
        self.false_pos += len(got.keys() - expected)
        self.false_neg += len(expected - got.keys())
        if expected != got.keys():
            self.misses.append(Miss(entry.text, _ids(expected), _shown(got)))
        if entry.name is not None:
            self.names_total += 1
            name = find_name(entry.text, asked=entry.asked) or ""
            if name == entry.name:
                self.names_right += 1
            else:
                self.misses.append(Miss(entry.text, f"name {entry.name!r}", f"name {name!r}"))

    def below(self, floor: Floor) -> list[str]:
        """The floors this score misses, as "recall 0.55 < 0.60"."""
        pairs = (("precision", self.precision, floor.precision), ("recall", self.recall, floor.recall),
                 ("names", self.names, floor.names))
        return [f"{what} {value:.2f} < {least:.2f}" for what, value, least in pairs if value + 1e-9 < least]


def load_corpus(file: Path, scene: Scene | None = None) -> Corpus:
    """Read and check a corpus against its scene (the folder above ``tests/`` unless given)."""
    label = _label(file)
    scene = scene or load_scene(file.parent.parent)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise SceneError(f"{label}: cannot read ({e})") from e
    except tomllib.TOMLDecodeError as e:
        raise SceneError(f"{label}: invalid TOML: {e}", hint="check quotes, brackets and '=' on that line") from e
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as e:
        problems = [f"{label}: {_loc(err['loc'])}: {_message(err)}" for err in e.errors()]
        raise SceneError(f"{label}: {len(problems)} problem(s)", problems=problems, hint=_HINT) from e
    problems = [f"{label}: {p}" for i, entry in enumerate(parsed.entry) for p in _check(scene, i, entry)]
    if problems:
        raise SceneError(f"{label}: {len(problems)} problem(s)", problems=problems, hint=_HINT)
    return Corpus(file, scene, parsed.floor, tuple(parsed.entry))


_HINT = "docs/SCENES.md (Understanding corpus) describes the file"


def _check(scene: Scene, i: int, entry: Entry) -> list[str]:
    """References an entry makes that the scene does not have, or signals that cannot fire there."""
    where = f"entry[{i}]"
    player = {s.id for s in scene.signals if s.about == "player"}
    known = ", ".join(sorted(player)) or "none"
    out = []
    for key in ("fires", "fired"):
        for sid in getattr(entry, key):
            if sid not in player:
                what = "is about the actor" if any(s.id == sid for s in scene.signals) else "no such player signal"
                out.append(f"{where}.{key}: '{sid}' {what} (known: {known})")
    for name in entry.state:
        if name not in scene.state:
            out.append(f"{where}.state.{name}: no state variable '{name}' (known: {', '.join(scene.state) or 'none'})")
    if entry.phase is not None and entry.phase not in {p.id for p in scene.phases}:
        out.append(f"{where}.phase: no phase {entry.phase} (known: {', '.join(str(p.id) for p in scene.phases)})")
    if out:
        return out
    world = _world(scene, entry, out, where)
    for sid in entry.fires:
        if not world.signal_ready(sid):
            gate = next(s.when for s in scene.signals if s.id == sid)
            out.append(f"{where}.fires: '{sid}' cannot fire in this state (when = {gate!r}); "
                       "set phase, state or fired so it can")
    return out


def _world(scene: Scene, entry: Entry, problems: list[str], where: str) -> World:
    world = World(scene, overrides=entry.state, start_phase=entry.phase)
    for sid in entry.fired:
        if not world.signal_ready(sid):
            problems.append(f"{where}.fired: '{sid}' cannot fire in this state")
        world.fire_signal(sid)
    return world


def ready_signals(scene: Scene, entry: Entry) -> list[Signal]:
    """The player signals that can fire in the entry's starting state, in scene order."""
    world = _world(scene, entry, [], "")
    return [s for s in scene.signals if s.about == "player" and world.signal_ready(s.id)]


def offline_decision(signal: Signal, utterance: Utterance, context: Context) -> object:
    """What play decides offline (the default decision under test)."""
    return offline_fires(signal, utterance, context)


def plain_keywords(signal: Signal, utterance: Utterance, context: Context) -> object:
    """The old decision, for comparison: any keyword as whole words, whatever surrounds it."""
    return keyword_hit(utterance.text, signal.keywords)


def evaluate(corpus: Corpus, decide: Decide = offline_decision) -> Score:
    """Score ``decide`` on every entry of ``corpus``."""
    score = Score()
    for entry in corpus.entries:
        u = analyse(entry.text)
        context = Context(name_asked=entry.asked)
        got = {s.id: answer for s in ready_signals(corpus.scene, entry) if (answer := decide(s, u, context))}
        score.add(entry, got)
    return score


def _ids(ids: set[str]) -> str:
    return "[" + ", ".join(sorted(ids)) + "]"


def _shown(got: Mapping[str, object]) -> str:
    parts = []
    for sid in sorted(got):
        answer = got[sid]
        keyword = getattr(answer, "keyword", answer)
        parts.append(f"{sid} ({keyword!r})" if isinstance(keyword, str) else sid)
    return "[" + ", ".join(parts) + "]"


def report(corpus: Corpus, score: Score) -> list[str]:
    """The score against the floors, then every wrong line (text, expected, got)."""
    floor = corpus.floor
    lines = [f"precision {score.precision:.2f} (floor {floor.precision:.2f}), recall {score.recall:.2f} "
             f"(floor {floor.recall:.2f}), names {score.names:.2f} (floor {floor.names:.2f}); {score.lines} lines"]
    lines += [f"  wrong: {m.text!r} expected {m.expected} got {m.got}" for m in score.misses]
    return lines


def find_corpus_files(path: Path) -> list[Path]:
    """Corpora: the file itself, a scene's ``tests/understanding.toml``, or every one below a folder."""
    if path.is_file():
        return [path] if path.name == CORPUS_FILE else []
    if (path / SCENE_FILE).is_file():
        return [p for p in [path / "tests" / CORPUS_FILE] if p.is_file()]
    if not path.exists():
        raise SceneError(f"{path}: no such file or folder")
    return sorted(p for p in path.rglob(CORPUS_FILE)
                  if p.parent.name == "tests" and (p.parent.parent / SCENE_FILE).is_file())
