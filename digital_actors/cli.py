"""The ``digital-actors`` command: the composition root of every entry point.

Exit codes: 0 ok, 1 failures (invalid scenes, failed playthroughs), 2 usage errors.
Only this module may import the front ends (``tui``, ``web``), lazily, in their commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from digital_actors import __version__, paths
from digital_actors.config import Settings
from digital_actors.errors import DigitalActorsError, SceneError, SceneNotFound
from digital_actors.logging import configure_logging
from digital_actors.scene.loader import SceneRef, discover, scene_search_path
from digital_actors.scene.model import Scene

if TYPE_CHECKING:
    from digital_actors.engine import Engine
    from digital_actors.voice.pipeline import AudioSink


@dataclass
class AppContext:
    settings: Settings
    extra_scenes: tuple[Path, ...]
    player: str | None = None

    def search(self) -> list[tuple[Path, str]]:
        return scene_search_path(self.extra_scenes, self.settings.scene_dirs())


def _fail(error: DigitalActorsError, code: int = 1) -> NoReturn:
    click.echo(f"error: {error.message}", err=True)
    for problem in getattr(error, "problems", []):
        click.echo(f"  {problem}", err=True)
    if error.hint:
        click.echo(f"  hint: {error.hint}", err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as e:  # pydantic's ValidationError: a malformed setting in env or .env
        click.echo(f"error: invalid setting: {e}", err=True)
        click.echo("  hint: see .env.example for every setting and its format", err=True)
        sys.exit(2)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--scenes", "extra_scenes", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="An extra folder of scenes (repeatable); searched first.")
@click.option("--player", default=None, metavar="NAME",
              help="Play as this profile (created on first use); default: the last one used.")
@click.version_option(__version__, prog_name="digital-actors")
@click.pass_context
def cli(ctx: click.Context, extra_scenes: tuple[Path, ...], player: str | None) -> None:
    """Digital Actors: talk, in your own words, with characters in short, tense scenes.

    With no command, choose a scene and play it.
    """
    ctx.obj = AppContext(_settings(), extra_scenes, player)
    # Commands print what matters themselves; stray library logs stay quiet unless they are warnings.
    configure_logging(level="WARNING", json=ctx.obj.settings.log_format_json, env=ctx.obj.settings.env,
                      secrets=ctx.obj.settings.secret_values())
    if ctx.invoked_subcommand is None:
        ctx.invoke(play, scene=None)


def _is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@contextlib.contextmanager
def _log_to_file(settings: Settings) -> Iterator[None]:
    """The games own the terminal: log to the log dir while they run."""
    opened = configure_logging(level=settings.log_level, json=settings.log_format_json, env=settings.env,
                               file=paths.log_dir() / "digital-actors.log", secrets=settings.secret_values(),
                               log_prompts=settings.log_prompts)
    try:
        yield
    finally:
        configure_logging(level="WARNING")
        if opened is not None:
            opened.close()


def _pick_scene(app: AppContext) -> Scene:
    refs = [r for r in discover(app.search()) if r.scene is not None]
    if not refs:
        _fail(SceneError("no scenes found", hint="pass --scenes DIR or set DIGITAL_ACTORS_SCENES"), 2)
    click.echo("Choose a scene:")
    for i, ref in enumerate(refs, start=1):
        assert ref.scene is not None
        click.echo(f"  {i}. {ref.scene.title} — {ref.scene.tagline} ({ref.scene.category}, "
                   f"{ref.scene.minutes:g} min)")
    if not sys.stdin.isatty():
        click.echo("(no terminal: name a scene, e.g. `digital-actors play welcome`)", err=True)
        sys.exit(2)
    choice: int = click.prompt("Scene number", type=click.IntRange(1, len(refs)))
    scene = refs[choice - 1].scene
    assert scene is not None
    return scene


def _parse_sets(scene: Scene, values: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    out = []
    for item in values:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in scene.state:
            known = ", ".join(scene.state) or "none"
            raise click.BadParameter(f"'{item}': expected NAME=VALUE with a state variable (known: {known})",
                                     param_hint="--set")
        try:
            out.append((name, float(raw)))
        except ValueError:
            raise click.BadParameter(f"'{item}': {raw!r} is not a number", param_hint="--set") from None
    return tuple(out)


@cli.command()
@click.argument("scene", required=False)
@click.option("--plain", is_flag=True, help="Line mode: for screen readers, pipes and scripts.")
@click.option("--speed", type=click.FloatRange(0.1, 100), default=1.0, show_default=True,
              help="Run the scene clock N times faster.")
@click.option("--seed", type=int, default=None, help="Seed the understudy's choices (default: random).")
@click.option("--phase", "start_phase", type=int, default=None, help="Start in this phase (writers).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Start with a state value (writers).")
@click.option("--difficulty", type=click.Choice(["easy", "normal", "hard"]), default=None,
              help="Override the difficulty chosen from the player's record.")
@click.option("--no-memory", is_flag=True,
              help="Play as a stranger: read no memory and record nothing (repeatable runs, demos).")
@click.option("--record", "record_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Save every model exchange in DIR (an empty folder), to replay later.")
@click.option("--replay", "replay_dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="Play model exchanges back from DIR instead of calling a model (free, exact).")
@click.pass_obj
def play(app: AppContext, scene: str | None, plain: bool, speed: float, seed: int | None,
         start_phase: int | None, sets: tuple[str, ...], difficulty: str | None, no_memory: bool,
         record_dir: Path | None, replay_dir: Path | None) -> None:
    """Play SCENE (an id or a folder); with no SCENE, choose one.

    On a terminal this opens the Textual game; --plain (or a pipe) plays in line mode.
    """
    from digital_actors.engine import READING_PACE, Engine, SessionRequest
    from digital_actors.plain import play_lines

    if record_dir is not None and replay_dir is not None:
        raise click.UsageError("--record and --replay cannot be used together")
    engine = Engine(app.settings, extra_scenes=app.extra_scenes, record_dir=record_dir, replay_dir=replay_dir)
    if not plain and _is_terminal() and record_dir is None and replay_dir is None:
        # The game asks a first-time player's name itself, on its welcome screen.
        _play_tui(app, engine, scene, speed=speed, seed=seed, start_phase=start_phase, sets=sets,
                  difficulty=difficulty, open_memory=not no_memory)
        return
    if not no_memory:
        _first_run_profile(app)
    try:
        chosen = engine.load(scene) if scene else _pick_scene(app)
    except SceneError as e:
        _fail(e, 2 if isinstance(e, SceneNotFound) else 1)
    if start_phase is not None and start_phase not in {p.id for p in chosen.phases}:
        raise click.BadParameter(f"no phase {start_phase} (phases: {', '.join(str(p.id) for p in chosen.phases)})",
                                 param_hint="--phase")
    interactive = sys.stdin.isatty()
    request = SessionRequest(scene=chosen.id, seed=seed if seed is not None or interactive else 0,
                             speed=speed, difficulty=difficulty, start_phase=start_phase,
                             overrides=_parse_sets(chosen, sets), pace=READING_PACE if interactive else 0.0)

    async def run() -> None:
        if not no_memory and not await engine.open_memory() and engine.memory_error is not None:
            err = engine.memory_error
            click.echo(f"! Player memory is off: {err.message}" + (f"\n  hint: {err.hint}" if err.hint else ""),
                       err=True)
        try:
            profile = await engine.terminal_player(app.player)
            session = await engine.new_session(request, scene=chosen, player_id=profile.id if profile else None)
            await play_lines(session, interactive=interactive, audio=_terminal_audio(engine, interactive))
        finally:
            await engine.aclose()

    try:
        with _log_to_file(app.settings):
            asyncio.run(run())
    except KeyboardInterrupt:
        click.echo("\n(left the scene)")


def _first_run_profile(app: AppContext) -> None:
    """Line mode on a terminal with no profile yet: ask who is playing (several people may share a
    machine). Enter skips: the unnamed default profile, whose name is never spoken."""
    if app.player or not _is_terminal():
        return

    async def existing() -> int | None:
        from digital_actors.errors import MemoryStoreError
        from digital_actors.memory.stores import PoolOptions, connect_store

        try:
            store = await connect_store(app.settings.memory_database(), pool=PoolOptions(0, 1))
        except MemoryStoreError:
            return None  # the game says so itself, with the recovery command
        try:
            return sum(1 for p in await store.list_players() if p.kind == "terminal")
        finally:
            await store.close()

    if asyncio.run(existing()) == 0:
        click.echo("Characters remember the people they meet. (`--player NAME` switches profiles later.)")
        name = click.prompt("Your name (Enter to skip)", default="", show_default=False)
        app.player = " ".join(name.split()) or None


def _terminal_audio(engine: Engine, interactive: bool) -> AudioSink | None:
    """Speakers for line mode on a terminal, when there is a voice; a notice (once) when there are none."""
    if not interactive or engine.voice is None:
        return None
    from digital_actors.voice.playback import TerminalPlayback, probe

    problem = probe()
    if problem:
        click.echo(f"! {problem}", err=True)
        return None
    return TerminalPlayback()


def _play_tui(app: AppContext, engine: object, scene: str | None, *, speed: float, seed: int | None,
              start_phase: int | None, sets: tuple[str, ...], difficulty: str | None,
              open_memory: bool = True) -> None:
    from tui import run as run_tui

    overrides: tuple[tuple[str, float], ...] = ()
    if scene is not None:
        try:
            chosen = engine.load(scene)  # type: ignore[attr-defined]
        except SceneError as e:
            _fail(e, 2 if isinstance(e, SceneNotFound) else 1)
        if start_phase is not None and start_phase not in {p.id for p in chosen.phases}:
            raise click.BadParameter(f"no phase {start_phase}", param_hint="--phase")
        overrides = _parse_sets(chosen, sets)
        scene = str(chosen.folder) if Path(scene).exists() else chosen.id
    with _log_to_file(app.settings):
        code = run_tui(app.settings, extra_scenes=app.extra_scenes, scene=scene, player=app.player,
                       start_phase=start_phase, overrides=overrides, speed=speed, seed=seed, difficulty=difficulty,
                       open_memory=open_memory)
    sys.exit(code)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: PORT, 8080).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Server processes on the one port (default: WEB_WORKERS, 1); above 1 needs REDIS_URL.")
@click.pass_obj
def serve(app: AppContext, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the web server: the browser game, /health, /metrics."""
    import web

    web.serve(app.settings, extra_scenes=app.extra_scenes, host=host, port=port, workers=workers)


@cli.command("scenes")
@click.pass_obj
def list_scenes(app: AppContext) -> None:
    """List the scenes found, where each comes from, and any that fail to load."""
    refs: list[SceneRef] = discover(app.search())
    if not refs:
        click.echo("No scenes found. Searched: " + ", ".join(str(p) for p, _ in app.search()))
        return
    for ref in refs:
        if ref.scene is not None:
            s = ref.scene
            click.echo(f"{s.id:<20} {s.title} — {s.category}, {s.minutes:g} min  [{ref.source}: {ref.folder}]")
        else:
            click.echo(f"{ref.id:<20} (does not load: `digital-actors check {ref.folder}`)  [{ref.source}]")


def _targets(app: AppContext, targets: tuple[str, ...]) -> list[Path]:
    if targets:
        out = []
        for target in targets:
            path = Path(target)
            if not path.exists():
                ref = next((r for r in discover(app.search()) if r.id == target), None)
                if ref is None:
                    raise click.BadParameter(f"'{target}' is neither a path nor a known scene id",
                                             param_hint="PATH")
                path = ref.folder
            out.append(path)
        return out
    return [r.folder for r in discover(app.search())]


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("--explain", is_flag=True, help="Show, for each ending, the shortest path found to it.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--budget", type=click.FloatRange(0.5, 600), default=8.0, show_default=True,
              help="CPU seconds of exploration per scene.")
@click.pass_obj
def check(app: AppContext, targets: tuple[str, ...], explain: bool, strict: bool, budget: float) -> None:
    """Validate scenes: every error with its location; every ending reachable."""
    from digital_actors.authoring.check import check_path

    configure_logging(level="ERROR")
    failed = 0
    for path in _targets(app, targets):
        for report in check_path(path, budget=budget):
            bad = not report.ok or (strict and report.findings)
            failed += bool(bad)
            mark = "FAIL" if bad else "ok  "
            detail = f"{len(report.witnesses)} ending(s) reached in {report.walks} explored playthroughs"
            click.echo(f"{mark} {report.label}" + (f": {detail}" if report.scene else ""))
            for finding in report.findings:
                click.echo(f"  {finding}")
            if explain:
                for ending, steps in report.witnesses.items():
                    click.echo(f"  {ending}: {' · '.join(steps) or '(at once)'}")
                    if ending in report.fastest:
                        click.echo(f"    (the fastest playthrough found took {report.fastest[ending]:.0f} s)")
    sys.exit(1 if failed else 0)


@cli.command("test")
@click.argument("targets", nargs=-1)
@click.pass_obj
def run_tests(app: AppContext, targets: tuple[str, ...]) -> None:
    """Run .play playthroughs and understanding corpora; report each failure and each wrong line."""
    from digital_actors.authoring.corpus import find_corpus_files
    from digital_actors.authoring.playtest import find_play_files, run_play_file

    configure_logging(level="ERROR")
    files: list[Path] = []
    corpora: list[Path] = []
    try:
        for path in _targets(app, targets):
            files += find_play_files(path)
            corpora += find_corpus_files(path)
    except SceneError as e:
        _fail(e, 2)
    if not files and not corpora:
        click.echo("no .play or understanding.toml files found (scenes keep them in <scene>/tests/)")
        sys.exit(1)
    passed = failed = 0
    for file in files:
        try:
            result = asyncio.run(run_play_file(file))
        except SceneError as e:
            failed += 1
            click.echo(f"FAIL {file}: the scene does not load")
            click.echo(f"  {e}")
            continue
        if result.passed:
            passed += 1
            click.echo(f"ok   {file}" + (f" (ending {result.ending})" if result.ending else ""))
        else:
            failed += 1
            click.echo(f"FAIL {file}")
            for failure in result.failures:
                click.echo(f"  {failure}")
    for corpus_file in corpora:
        ok = _run_corpus(corpus_file)
        passed, failed = passed + ok, failed + (not ok)
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def _run_corpus(file: Path) -> bool:
    """Score one understanding corpus against its floors; print the scores and every wrong line."""
    from digital_actors.authoring.corpus import evaluate, load_corpus, report

    try:
        corpus = load_corpus(file)
    except SceneError as e:
        click.echo(f"FAIL {file}: {e.message}")
        for problem in e.problems:
            click.echo(f"  {problem}")
        return False
    score = evaluate(corpus)
    below = score.below(corpus.floor)
    first, *wrong = report(corpus, score)
    click.echo(("FAIL " if below else "ok   ") + f"{file}: {first}" + (f" — under the floor: {', '.join(below)}"
                                                                       if below else ""))
    for line in wrong:
        click.echo(line)
    return not below


def _register_groups() -> None:
    from digital_actors.memory.cli import memory
    from digital_actors.voice.cli import cache

    cli.add_command(memory)
    cli.add_command(cache)


_register_groups()


@cli.command("config")
@click.pass_obj
def show_config(app: AppContext) -> None:
    """Show every setting in effect (secrets masked) and where files live."""
    for key, value in app.settings.public_view().items():
        click.echo(f"{key}={value}")
    click.echo(f"# data dir: {paths.data_dir()}\n# cache dir: {paths.cache_dir()}\n# log dir: {paths.log_dir()}")


def main() -> None:
    """Console-script entry point."""
    try:
        cli(standalone_mode=True)
    except DigitalActorsError as e:
        _fail(e)


if __name__ == "__main__":
    main()
