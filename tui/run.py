"""The terminal game's composition root: build the Engine, the App and its providers, run, exit cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from digital_actors.config import Settings
from digital_actors.engine import READING_PACE, Engine, SessionRequest
from digital_actors.memory.views import StoreProfile
from digital_actors.memory.views import best_results as store_best_results
from tui.providers import BestResults, ProfileProvider
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
        profile: ProfileProvider | None = None, audio: bool = True, memory: bool = True) -> int:
    """Run the game until the player quits; returns the exit code. No ``scene`` opens the picker.
    ``memory=False`` plays as a stranger: nothing is read from or written to the memory store."""
    return asyncio.run(_run(settings, extra_scenes=extra_scenes, scene=scene, player=player,
                            start_phase=start_phase, overrides=overrides, speed=speed, seed=seed,
                            difficulty=difficulty, best_results=best_results, profile=profile, audio=audio,
                            memory=memory))


async def _run(settings: Settings, *, extra_scenes: Sequence[Path], scene: str | None, player: str | None,
               start_phase: int | None, overrides: Sequence[tuple[str, float]], speed: float,
               seed: int | None, difficulty: str | None, best_results: BestResults | None,
               profile: ProfileProvider | None, audio: bool, memory: bool) -> int:
    from digital_actors.voice.playback import TerminalPlayback
    from tui.app import DigitalActorsApp  # textual loads only when the game really starts

    async with Engine.open(settings, extra_scenes=tuple(extra_scenes), memory=memory) as engine:
        notices: list[str] = []
        player_id = None
        name = player
        if engine.store is not None:
            record = await engine.terminal_player(player)
            if record is not None:
                player_id, name = record.id, record.name
                profile = profile or StoreProfile(engine.store, record.id)
                best_results = best_results or _best_results(engine, record.id)
        elif engine.memory_error is not None:
            err = engine.memory_error
            notices.append(f"Player memory is off: {err.message}" + (f" — {err.hint}" if err.hint else ""))
        app = DigitalActorsApp(
            engine, start=start_request(scene, start_phase=start_phase, overrides=overrides, speed=speed,
                                        seed=seed, difficulty=difficulty),
            best_results=best_results, profile=profile, player=name, player_id=player_id,
            notices=tuple(notices), audio=TerminalPlayback() if audio and settings.voice else None)
        await app.run_async()
        return app.return_code or 0


def _best_results(engine: Engine, player_id: str) -> BestResults:
    """The picker's "best so far" column, read from the memory store."""

    async def read() -> dict[str, str]:
        assert engine.store is not None
        titles = {ref.id: {e.id: e.title for e in ref.scene.endings}
                  for ref in await read_scenes(engine.scenes) if ref.scene is not None}
        return await store_best_results(engine.store, player_id, titles)

    return read
