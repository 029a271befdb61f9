"""The terminal game's composition root: build the Engine, the App and its providers, run, exit cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from digital_actors.config import Settings
from digital_actors.engine import READING_PACE, Engine, SessionRequest
from digital_actors.memory.views import StoreProfile
from digital_actors.memory.views import best_results as store_best_results
from tui.providers import AskName, BestResults, Player, ProfileProvider
from tui.scene_reads import read_scenes


def start_request(scene: str | None, *, start_phase: int | None = None,
                  overrides: Sequence[tuple[str, float]] = (), speed: float = 1.0, seed: int | None = None,
                  difficulty: str | None = None, pace: float = READING_PACE) -> SessionRequest | None:
    """The session to open straight away (``digital-actors play SCENE ...``), or None for the picker."""
    if scene is None:
        return None
    return SessionRequest(scene=scene, seed=seed, speed=speed, difficulty=difficulty,
                          start_phase=start_phase, overrides=tuple(overrides), pace=pace)


def run(settings: Settings, *, extra_scenes: Sequence[Path] = (), scene: str | None = None,
        player: str | None = None, start_phase: int | None = None,
        overrides: Sequence[tuple[str, float]] = (), speed: float = 1.0, seed: int | None = None,
        difficulty: str | None = None, best_results: BestResults | None = None,
        profile: ProfileProvider | None = None, audio: bool = True, open_memory: bool = True) -> int:
    """Run the game until the player quits; returns the exit code. No ``scene`` opens the picker.
    ``open_memory=False`` plays as a stranger: nothing is read from or written to the memory store."""
    return asyncio.run(_run(settings, extra_scenes=extra_scenes, scene=scene, player=player,
                            start_phase=start_phase, overrides=overrides, speed=speed, seed=seed,
                            difficulty=difficulty, best_results=best_results, profile=profile, audio=audio,
                            open_memory=open_memory))


async def _run(settings: Settings, *, extra_scenes: Sequence[Path], scene: str | None, player: str | None,
               start_phase: int | None, overrides: Sequence[tuple[str, float]], speed: float,
               seed: int | None, difficulty: str | None, best_results: BestResults | None,
               profile: ProfileProvider | None, audio: bool, open_memory: bool) -> int:
    from digital_actors.voice.playback import TerminalPlayback
    from tui.app import DigitalActorsApp  # textual loads only when the game really starts

    async with Engine.open(settings, extra_scenes=tuple(extra_scenes), open_memory=open_memory) as engine:
        notices: list[str] = []
        known = Player(name=player, profile=profile, best_results=best_results)
        ask_name = None
        if engine.store is not None:
            if player is None and not await has_terminal_profile(engine):
                ask_name = profile_maker(engine, known)  # the first run: the welcome screen asks
            else:
                known = await player_for(engine, player, known)
        elif engine.memory_error is not None:
            err = engine.memory_error
            notices.append(f"Player memory is off: {err.message}" + (f" — {err.hint}" if err.hint else ""))
        app = DigitalActorsApp(
            engine, start=start_request(scene, start_phase=start_phase, overrides=overrides, speed=speed,
                                        seed=seed, difficulty=difficulty),
            best_results=known.best_results, profile=known.profile, player=known.name, player_id=known.player_id,
            notices=tuple(notices), audio=TerminalPlayback() if audio and settings.voice else None,
            ask_name=ask_name)
        await app.run_async()
        return app.return_code or 0


async def has_terminal_profile(engine: Engine) -> bool:
    assert engine.store is not None
    return any(p.kind == "terminal" for p in await engine.store.list_players())


async def player_for(engine: Engine, name: str | None, known: Player) -> Player:
    """The terminal profile by name (or the latest one), and its memory views.

    The name shown and spoken is the one the player gave; the unnamed default profile has none."""
    record = await engine.terminal_player(name)
    if record is None:
        return known
    return Player(player_id=record.id, name=record.given_name or None,
                  profile=known.profile or StoreProfile(engine.store, record.id),  # type: ignore[arg-type]
                  best_results=known.best_results or _best_results(engine, record.id))


def profile_maker(engine: Engine, known: Player) -> AskName:
    """What the welcome screen's answer becomes: a profile by that name, or the unnamed default one."""

    async def make(name: str | None) -> Player:
        return await player_for(engine, name, known)

    return make


def _best_results(engine: Engine, player_id: str) -> BestResults:
    """The picker's "best so far" column, read from the memory store."""

    async def read() -> dict[str, str]:
        assert engine.store is not None
        titles = {ref.id: {e.id: e.title for e in ref.scene.endings}
                  for ref in await read_scenes(engine.scenes) if ref.scene is not None}
        return await store_best_results(engine.store, player_id, titles)

    return read
