"""The scenes a web player may choose: discovered in a thread, cached for a few seconds.

Players name scenes by id only — never by path — so a browser can never make the server
load a folder outside the scene search path.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

from digital_actors.engine import Engine
from digital_actors.errors import SceneError
from digital_actors.scene.loader import SceneRef
from digital_actors.scene.model import Scene

SCENE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")


class SceneCatalog:
    """``engine.scenes()`` at most once per ``max_age`` seconds, off the event loop."""

    def __init__(self, engine: Engine, *, max_age: float = 5.0,
                 now: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._max_age = max_age
        self._now = now
        self._refs: list[SceneRef] = []
        self._stamp: float | None = None
        self._lock = asyncio.Lock()

    async def refs(self) -> list[SceneRef]:
        async with self._lock:
            if self._stamp is None or self._now() - self._stamp > self._max_age:
                self._refs = await asyncio.to_thread(self._engine.scenes)
                self._stamp = self._now()
            return self._refs

    async def playable(self) -> list[Scene]:
        """Scenes that load, in discovery order."""
        return [r.scene for r in await self.refs() if r.scene is not None]

    async def find(self, scene_id: str) -> Scene:
        """A playable scene by id, or a SceneError the player can read."""
        scenes = await self.playable()
        if SCENE_ID.match(scene_id):
            for scene in scenes:
                if scene.id == scene_id:
                    return scene
            for ref in await self.refs():
                if ref.id == scene_id and ref.scene is None:
                    raise SceneError(f"The scene '{scene_id}' does not load on this server.",
                                     hint="its author can run `digital-actors check` to see why")
        known = ", ".join(s.id for s in scenes) or "none"
        raise SceneError(f"There is no scene called '{scene_id[:80]}'.", hint=f"known scenes: {known}")

    async def summaries(self) -> list[dict[str, Any]]:
        """What the scene picker shows."""
        return [{"id": s.id, "title": s.title, "tagline": s.tagline, "category": s.category,
                 "minutes": s.minutes} for s in await self.playable()]
