"""Records every attempt of one session: follows its events, one attempt per (re)start.

The engine attaches a binding to each session it makes for a known player. A restart
(a second SceneStarted) finishes the previous attempt (``quit`` unless it already ended)
and begins the next; the binding ends when the session closes.
"""

from __future__ import annotations

import asyncio

import structlog

from digital_actors import events as ev
from digital_actors.bus import Subscription
from digital_actors.clock import Clock
from digital_actors.errors import MemoryStoreError
from digital_actors.memory.observer import MemoryObserver
from digital_actors.memory.records import AttemptHandle
from digital_actors.memory.store import MemoryStore

log = structlog.get_logger()


class MemoryBinding:
    """Feeds one session's events to a MemoryObserver per attempt. Start before the session."""

    def __init__(self, store: MemoryStore, events: Subscription, *, player_id: str, scene_id: str,
                 character_id: str, clock: Clock, timeout: float = 5.0) -> None:
        self._store, self._events, self._clock, self._timeout = store, events, clock, timeout
        self.player_id, self.scene_id, self.character_id = player_id, scene_id, character_id
        self._observer: MemoryObserver | None = None
        self._handle: AttemptHandle | None = None
        self.attempts = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            async for event in self._events:
                if isinstance(event, ev.SceneStarted):
                    await self._next_attempt()
                elif isinstance(event, ev.PlayerNamed):
                    await self._remember_name(event.name)
                if self._observer is not None:
                    self._observer.feed(event)
        finally:
            await self._finish()

    async def _next_attempt(self) -> None:
        await self._finish()
        session_id = self._handle.session_id if self._handle else None
        try:
            async with asyncio.timeout(self._timeout):
                self._handle = await self._store.begin_attempt(self.player_id, self.scene_id, self.character_id,
                                                               session_id=session_id)
        except (MemoryStoreError, TimeoutError) as e:
            log.error("memory_unavailable", event_type="memory_write", error=getattr(e, "message", "timeout"))
            self._observer = None
            return
        self._observer = MemoryObserver(self._store, self._handle, clock=self._clock,
                                        character_id=self.character_id)
        self.attempts += 1

    async def _remember_name(self, name: str) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._store.set_given_name(self.player_id, name)
        except (MemoryStoreError, TimeoutError) as e:
            log.error("memory_unavailable", event_type="memory_write", error=getattr(e, "message", "timeout"))

    async def _finish(self) -> None:
        observer, self._observer = self._observer, None
        if observer is None:
            return
        try:
            await observer.close(outcome="quit")
        except MemoryStoreError as e:
            log.error("memory_unavailable", event_type="memory_write", error=e.message)

    async def wait(self) -> None:
        """Wait until the last attempt is written (after the session closed)."""
        if self.task is not None:
            await asyncio.shield(self.task)
