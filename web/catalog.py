"""The scenes a web player may choose: discovered in a thread, cached for a minute (discovery
validates every scene: about 0.1 s each, too slow to repeat per request).

Players name scenes by id only — never by path — so a browser can never make the server
load a folder outside the scene search path.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import structlog

from digital_actors.engine import Engine
from digital_actors.errors import SceneError
from digital_actors.scene.loader import SceneRef
from digital_actors.scene.model import Scene

log = structlog.get_logger()
SCENE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
MIN_REFRESH = 5.0  # seconds between re-reads forced by an unknown scene id


class SceneCatalog:
    """``engine.scenes()`` at most once per ``max_age`` seconds, off the event loop; ``find`` retries once
    on a miss so a scene added to a running server shows up."""

    def __init__(self, engine: Engine, *, max_age: float = 60.0,
                 now: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._max_age = max_age
        self._now = now
        self._refs: list[SceneRef] = []
        self._stamp: float | None = None
        self._lock = asyncio.Lock()

    async def refs(self, *, fresh: bool = False) -> list[SceneRef]:
        """Discovered scenes; ``fresh`` re-reads them unless that was done in the last few seconds."""
        async with self._lock:
            age = None if self._stamp is None else self._now() - self._stamp
            if age is None or age > self._max_age or (fresh and age > MIN_REFRESH):
                self._refs = await asyncio.to_thread(self._engine.scenes)
                self._stamp = self._now()
            return self._refs

    async def playable(self, *, fresh: bool = False) -> list[Scene]:
        """Scenes that load, in discovery order."""
        return [r.scene for r in await self.refs(fresh=fresh) if r.scene is not None]

    async def find(self, scene_id: str) -> Scene:
        """A playable scene by id, or a SceneError the player can read."""
        if not SCENE_ID.match(scene_id):
            raise self._unknown(await self.playable())
        for fresh in (False, True):
            for ref in await self.refs(fresh=fresh):
                if ref.id == scene_id and ref.scene is not None:
                    return ref.scene
                if ref.id == scene_id:  # the operator reads why in the log (and `digital-actors check`)
                    log.warning("scene_unplayable", event_type="scene_error", scene=scene_id,
                                error=ref.error.message if ref.error is not None else "not loaded")
                    raise SceneError("This scene cannot be played right now.", hint="choose another scene")
        raise self._unknown(await self.playable())

    @staticmethod
    def _unknown(scenes: list[Scene]) -> SceneError:
        known = ", ".join(s.title for s in scenes)
        return SceneError("That scene is not on this server.",
                          hint=f"choose one of these: {known}" if known else "no scene can be played here yet")

    async def summaries(self) -> list[dict[str, Any]]:
        """What the scene picker shows."""
        return [{"id": s.id, "title": s.title, "tagline": s.tagline, "category": s.category,
                 "minutes": s.minutes} for s in await self.playable()]
