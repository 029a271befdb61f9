"""Records every attempt of one session: follows its events, one attempt per (re)start.

The engine attaches a binding to each session it makes for a known player. A restart
(a second SceneStarted) finishes the previous attempt (``quit`` unless it already ended)
and begins the next; the binding ends when the session closes. Every write goes to the
outbox, which lands it however long the database refuses it, so the binding never waits
on the database and a slow store never skews the attempt's timings.

The binding also tells its player, once per outage, when their progress is not being saved
and when it is again (``tell``, called by the engine as the outbox's state changes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from digital_actors import events as ev
from digital_actors.bus import Subscription
from digital_actors.clock import Clock
from digital_actors.memory import writes
from digital_actors.memory.observer import AttemptState, MemoryObserver
from digital_actors.memory.outbox import Outbox
from digital_actors.memory.records import AttemptHandle

log = structlog.get_logger()
NOT_SAVED = ("Your progress is not being saved right now. It is kept, and saved as soon as the memory "
             "store recovers.")
SAVED_AGAIN = "Your progress is being saved again."


class MemoryBinding:
    """Feeds one session's events to a MemoryObserver per attempt. Start before the session."""

    def __init__(self, outbox: Outbox, events: Subscription, *, player_id: str, scene_id: str,
                 character_id: str, clock: Clock, notify: Callable[[ev.Notice], None] | None = None,
                 resume: AttemptState | None = None) -> None:
        self._outbox, self._events, self._clock = outbox, events, clock
        self.player_id, self.scene_id, self.character_id = player_id, scene_id, character_id
        self._notify = notify
        self._observer: MemoryObserver | None = None
        self._handle: AttemptHandle | None = None
        self._receipts: list[asyncio.Future[bool]] = []
        self.attempts = 0
        self.told_not_saved = False
        self.task: asyncio.Task[None] | None = None
        self._resume = resume  # the attempt a session resumed from a snapshot goes on with
        self.handed_off = False

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    def tell(self, failing: bool) -> None:
        """The outbox's state changed: one notice when saving stops, one when it is back."""
        if failing == self.told_not_saved or self._notify is None:
            return
        self.told_not_saved = failing
        self._notify(ev.Notice(NOT_SAVED, "warning", topic="saving") if failing
                     else ev.Notice(SAVED_AGAIN, "info", topic="saving_back"))

    def state(self) -> AttemptState | None:
        """The attempt in progress as plain values (None before the first SceneStarted)."""
        return self._observer.state() if self._observer is not None else None

    def hand_off(self) -> None:
        """The session goes on in another process, which goes on recording this attempt: when the
        session closes here, nothing is written for it (not even ``quit``)."""
        self.handed_off = True

    async def _run(self) -> None:
        if self._resume is not None:
            self._handle = self._resume.handle
            self._observer = MemoryObserver(self._outbox, self._handle, clock=self._clock,
                                            character_id=self.character_id)
            self._observer.resume(self._resume)
            self.attempts += 1
        try:
            async for event in self._events:
                if isinstance(event, ev.SceneStarted):
                    await self._next_attempt()
                elif isinstance(event, ev.PlayerNamed):
                    self._receipts.append(self._outbox.submit(writes.SetGivenName(self.player_id, event.name)))
                if self._observer is not None:
                    self._observer.feed(event)
        finally:
            await self._finish()

    async def _next_attempt(self) -> None:
        await self._finish()
        session_id = self._handle.session_id if self._handle else None
        self._handle, receipt = self._outbox.begin_attempt(self.player_id, self.scene_id, self.character_id,
                                                           session_id=session_id)
        self._receipts.append(receipt)
        self._observer = MemoryObserver(self._outbox, self._handle, clock=self._clock,
                                        character_id=self.character_id)
        self.attempts += 1

    async def _finish(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None and not self.handed_off:
            await observer.close(outcome="quit")  # queued: True once it landed, False while it is kept

    async def wait(self) -> None:
        """Wait until the session closed and each of its writes has been tried once: landed, or kept
        by the outbox (which lands it later)."""
        if self.task is not None:
            await asyncio.shield(self.task)
        pending = [r for r in self._receipts if not r.done()]
        if pending:
            await asyncio.shield(asyncio.gather(*pending))
