"""The Engine: what every front end holds. Finds scenes and makes sessions with the right
performer, clock and player memory, so the TUI, the web server and the line player are wired alike.

    async with Engine.open(settings) as engine:
        session = await engine.new_session("pressure_point", seed=3)
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.config import Settings
from digital_actors.errors import SceneError
from digital_actors.memory.snapshot import PlayerMemory
from digital_actors.performers import choose_actor
from digital_actors.scene.loader import SceneRef, discover, find_scene, scene_search_path
from digital_actors.scene.model import Scene
from digital_actors.session import Session, SessionOptions


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """How to start a session; front ends fill in what their player chose."""

    scene: str
    seed: int | None = None
    speed: float = 1.0
    difficulty: str | None = None
    start_phase: int | None = None
    overrides: tuple[tuple[str, float], ...] = ()
    pace: float = 0.045
    suggestions: bool | None = None


class Engine:
    """Scenes, settings and the factory of sessions. One per process (per front end)."""

    def __init__(self, settings: Settings, *, extra_scenes: Sequence[Path] = (),
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.extra_scenes = tuple(extra_scenes)
        self.clock = clock or MonotonicClock()

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings, **kwargs: object) -> AsyncIterator[Engine]:
        """An engine whose resources are released on exit."""
        engine = cls(settings, **kwargs)  # type: ignore[arg-type]
        try:
            yield engine
        finally:
            await engine.aclose()

    async def aclose(self) -> None:
        """Release shared resources (model clients, voices, the memory store) as they are added."""

    def search_path(self) -> list[tuple[Path, str]]:
        return scene_search_path(self.extra_scenes, self.settings.scene_dirs())

    def scenes(self) -> list[SceneRef]:
        """Every scene found (re-read from disk each call, so edits show up)."""
        return discover(self.search_path())

    def load(self, name: str) -> Scene:
        """A scene by id or path. Raises SceneError with every problem located."""
        return find_scene(name, self.search_path())

    async def new_session(self, request: SessionRequest | str, *, memory: PlayerMemory | None = None,
                          scene: Scene | None = None) -> Session:
        """A ready (not yet started) session: subscribe with ``events()``, then ``start()``."""
        if isinstance(request, str):
            request = SessionRequest(scene=request)
        scene = scene or self.load(request.scene)
        if request.start_phase is not None and request.start_phase not in {p.id for p in scene.phases}:
            raise SceneError(f"{scene.id} has no phase {request.start_phase}",
                             hint="phases: " + ", ".join(str(p.id) for p in scene.phases))
        for name, _ in request.overrides:
            if name not in scene.state:
                raise SceneError(f"{scene.id} has no state variable '{name}'",
                                 hint="known: " + ", ".join(scene.state))
        seed = request.seed if request.seed is not None else random.randrange(1 << 30)
        memory = memory or PlayerMemory()
        actor = choose_actor(scene, self.settings, seed=seed, clock=self.clock, pace=request.pace)
        suggestions = self.settings.suggestions if request.suggestions is None else request.suggestions
        options = SessionOptions(seed=seed, speed=request.speed,
                                 difficulty=request.difficulty or memory.difficulty,
                                 start_phase=request.start_phase, overrides=request.overrides,
                                 suggestions=suggestions)
        return Session(scene, actor=actor, clock=self.clock, memory=memory, options=options)
