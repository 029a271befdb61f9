"""Finding, reading and validating scene folders, with every problem located.

Each problem reads ``file: key.path: what was expected``. Loading compiles every
expression and effect, so nothing can fail for a name or syntax reason at play time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from digital_actors import paths
from digital_actors.errors import ExpressionError, SceneError, SceneNotFound
from digital_actors.scene.expr import Expr, compile_expr
from digital_actors.scene.model import Effect, Scene, _WithEffects
from digital_actors.text import PLACEHOLDERS, TERSE_PLACEHOLDERS, is_placeholder

SCENE_FILE = "scene.toml"
MEMORY_NAMES = ("memory.attempts", "memory.successes", "memory.returning", "memory.trust",
                "memory.familiarity")
BUILTIN_NAMES = ("elapsed", "idle", "phase")
# Names a state variable may not take: built-ins, namespaces, and words `.play` files read
# specially (`expect line ...`, `expect ending ...`, `expect refused`).
RESERVED = frozenset({*BUILTIN_NAMES, "uses", "signals", "memory", "line", "ending", "refused", "True", "False"})


@dataclass(frozen=True, slots=True)
class SceneRef:
    """A scene folder found on disk, loaded or with the error that stopped it."""

    id: str
    folder: Path
    scene: Scene | None
    error: SceneError | None
    source: str


def scene_search_path(extra: Sequence[Path] = (), env_dirs: Sequence[Path] = ()) -> list[tuple[Path, str]]:
    """Folders searched for scenes, first match wins: --scenes, DIGITAL_ACTORS_SCENES, user, built-in."""
    out: list[tuple[Path, str]] = [(p, "--scenes") for p in extra]
    out += [(p, "DIGITAL_ACTORS_SCENES") for p in env_dirs]
    out += [(paths.user_scenes_dir(), "user"), (paths.builtin_scenes_dir(), "built-in")]
    return out


def discover(search: Iterable[tuple[Path, str]]) -> list[SceneRef]:
    """Every scene folder in the search path (a folder may itself be a scene), first id wins."""
    found: dict[str, SceneRef] = {}
    for root, source in search:
        if not root.is_dir():
            continue
        folders = [root] if (root / SCENE_FILE).is_file() else sorted(
            p for p in root.iterdir() if (p / SCENE_FILE).is_file())
        for folder in folders:
            try:
                scene = load_scene(folder)
                ref = SceneRef(scene.id, folder, scene, None, source)
            except SceneError as e:
                ref = SceneRef(folder.name, folder, None, e, source)
            found.setdefault(ref.id, ref)
    return sorted(found.values(), key=lambda r: (r.scene is None, _order(r), r.id))


def _order(ref: SceneRef) -> int:
    return 0 if ref.scene is not None and ref.scene.category == "tutorial" else 1


def find_scene(name: str, search: Iterable[tuple[Path, str]]) -> Scene:
    """A scene by id or by path (a folder or its scene.toml). Raises SceneError."""
    candidate = Path(name).expanduser()
    if candidate.exists():
        return load_scene(candidate)
    refs = discover(search)
    for ref in refs:
        if ref.id == name or ref.folder.name == name:
            if ref.error:
                raise ref.error
            assert ref.scene is not None
            return ref.scene
    known = ", ".join(r.id for r in refs if r.scene) or "none"
    raise SceneNotFound(f"no scene called '{name}'", hint=f"known scenes: {known}; "
                     "`digital-actors scenes` lists them with their folders")


def load_scene(path: Path) -> Scene:
    """Read, validate and compile one scene (a folder or its scene.toml). Raises SceneError."""
    file = path / SCENE_FILE if path.is_dir() else path
    folder = file.parent
    label = _label(file)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SceneError(f"{label}: no such file", hint="a scene is a folder holding scene.toml") from e
    except UnicodeDecodeError as e:
        raise SceneError(f"{label}: not UTF-8 text ({e.reason})") from e
    except tomllib.TOMLDecodeError as e:
        raise SceneError(f"{label}: invalid TOML: {e}",
                         hint="check quotes, brackets and '=' on that line") from e
    try:
        scene = Scene.model_validate(raw)
    except ValidationError as e:
        problems = [f"{label}: {_loc(err['loc'])}: {_message(err)}" for err in e.errors()]
        raise SceneError(f"{label}: {len(problems)} problem(s)", problems=problems,
                         hint="docs/SCENES.md lists every key and what it expects") from e
    scene._folder, scene._file = str(folder), str(file)
    problems = _Compiler(scene, folder, label).run()
    if problems:
        raise SceneError(f"{label}: {len(problems)} problem(s)", problems=problems,
                         hint="docs/SCENES.md lists every key and what it expects")
    return scene


def _label(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def _loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(err: Any) -> str:
    kind, msg, value = str(err.get("type", "")), str(err.get("msg", "")), err.get("input")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; docs/SCENES.md lists the keys)"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return msg.replace("Input should be", "expected")
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid id (lower-case letters, digits and _, starting with a letter)"
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return f"{msg.replace('Input should be', 'expected')} (got {shown})"


class _Compiler:
    """Compiles expressions and effects and cross-checks references, collecting problems."""

    def __init__(self, scene: Scene, folder: Path, label: str) -> None:
        self.scene, self.folder, self.label = scene, folder, label
        self.problems: list[str] = []
        self.known = self._known_names()

    def _known_names(self) -> set[str]:
        s = self.scene
        names = set(s.state) | set(BUILTIN_NAMES) | set(MEMORY_NAMES)
        names |= {f"uses.{c.id}" for c in s.controls} | {f"signals.{g.id}" for g in s.signals}
        return names

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{self.label}: {where}: {what}")

    def expr(self, where: str, source: str | None) -> Expr | None:
        if source is None:
            return None
        try:
            return compile_expr(source, self.known)
        except ExpressionError as e:
            self.fail(where, e.message)
            return None

    def effects(self, where: str, owner: _WithEffects) -> None:
        compiled: list[Effect] = []
        for var, value in owner.effects.items():
            spot = f"{where}.effects.{var}"
            if var not in self.scene.state:
                known = ", ".join(self.scene.state) or "none declared"
                self.fail(spot, f"no state variable '{var}' (known: {known})")
                continue
            op, text = "set", str(value)
            if isinstance(value, str):
                text = value.strip()
                if text[:1] in "+-=":
                    op = {"+": "add", "-": "sub", "=": "set"}[text[0]]
                    text = text[1:].strip()
            expr = self.expr(spot, text)
            if expr is not None:
                compiled.append(Effect(var=var, op=op, expr=expr))
        owner._effects = compiled

    def text_or_file(self, where: str, value: str) -> str:
        if value.endswith(".md") and "\n" not in value:
            path = self.folder / value
            if not path.is_file():
                self.fail(where, f"file '{value}' not found in {self.folder}")
                return ""
            return path.read_text(encoding="utf-8").strip()
        return value

    def unique(self, where: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i, item in enumerate(ids):
            if item in seen:
                self.fail(f"{where}[{i}].id", f"'{item}' is used twice")
            seen.add(item)

    def run(self) -> list[str]:
        s = self.scene
        for cid, member in s.cast.items():
            member._brief_text = self.text_or_file(f"cast.{cid}.brief", member.brief)
        s.setting._description_text = self.text_or_file("setting.description", s.setting.description)
        for name, var in s.state.items():
            if name in RESERVED:
                self.fail(f"state.{name}", f"'{name}' is a reserved name (reserved: {', '.join(sorted(RESERVED))})")
            if not var.min <= var.start <= var.max:
                self.fail(f"state.{name}.start", f"{var.start} is outside min..max ({var.min}..{var.max})")
        previous = -1
        for i, phase in enumerate(s.phases):
            if phase.id <= previous:
                self.fail(f"phases[{i}].id", f"phase ids must increase in file order ({phase.id} after {previous})")
            previous = phase.id
            phase._enter = self.expr(f"phases[{i}].enter", phase.enter)
        for group, items in (("controls", s.controls), ("signals", s.signals), ("endings", s.endings),
                             ("director.rules", s.director.rules)):
            self.unique(group, [item.id for item in items])
        keys = [c.key for c in s.controls if c.key]
        for i, c in enumerate(s.controls):
            if c.key and keys.count(c.key) > 1:
                self.fail(f"controls[{i}].key", f"key '{c.key}' is used by more than one control")
            c._when = self.expr(f"controls[{i}].when", c.when)
            self.effects(f"controls[{i}]", c)
        for i, g in enumerate(s.signals):
            g._when = self.expr(f"signals[{i}].when", g.when)
            if not g.keywords and not g.ask:
                self.fail(f"signals[{i}]", "needs keywords or an ask question")
            for k, keyword in enumerate(g.keywords):
                if is_placeholder(keyword) and keyword.strip() not in PLACEHOLDERS:
                    self.fail(f"signals[{i}].keywords[{k}]",
                              f"unknown placeholder {keyword!r} (known: {', '.join(sorted(PLACEHOLDERS))})")
            self.effects(f"signals[{i}]", g)
        for i, e in enumerate(s.endings):
            e._when = self.expr(f"endings[{i}].when", e.when)
        for i, r in enumerate(s.director.rules):
            r._when = self.expr(f"director.rules[{i}].when", r.when)
            self.effects(f"director.rules[{i}]", r)
            if not (r.note or r.hint or r.narration or r.nudge or r.effects):
                self.fail(f"director.rules[{i}]", "does nothing: give it a note, hint, narration, nudge or effects")
        self.effects("interruptions", s.interruptions)
        for level, table in s.difficulty.items():
            for name in table.start:
                if name not in s.state:
                    self.fail(f"difficulty.{level}.start.{name}", f"no state variable '{name}'")
        self._script()
        return self.problems

    def _script(self) -> None:
        s, script = self.scene, self.scene.script
        if not script.fallback:
            self.fail("script.fallback", "at least one fallback line is needed (the understudy's last resort)")
        phases = {str(p.id) for p in s.phases}
        checks = (("controls", "control", script.controls, {c.id for c in s.controls}),
                  ("phases", "phase", script.phases, phases),
                  ("steer", "phase", script.steer, phases),
                  ("endings", "ending", script.endings, {e.id for e in s.endings}),
                  ("hints", "director rule", script.hints, {r.id for r in s.director.rules}),
                  ("signals", "signal", script.signals, {g.id for g in s.signals}))
        for group, noun, table, known in checks:
            for key, lines in table.items():
                if key not in known:
                    options = ", ".join(sorted(known)) or "none"
                    self.fail(f"script.{group}.{key}", f"no such {noun} (known: {options})")
                elif not lines:
                    self.fail(f"script.{group}.{key}", "needs at least one line")
        for i, reply in enumerate(script.replies):
            reply._when = self.expr(f"script.replies[{i}].when", reply.when)
            for k, keyword in enumerate(reply.keywords):
                if is_placeholder(keyword) and keyword.strip() not in TERSE_PLACEHOLDERS:
                    self.fail(f"script.replies[{i}].keywords[{k}]", f"a reply answers only the placeholders "
                              f"{', '.join(TERSE_PLACEHOLDERS)} (got {keyword!r}); a signal can hear a name")
        for i, offer in enumerate(script.suggestions):
            if not isinstance(offer, str):
                offer._when = self.expr(f"script.suggestions[{i}].when", offer.when)
