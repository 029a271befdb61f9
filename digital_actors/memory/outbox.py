"""The outbox: every write play makes goes here and lands in the database sooner or later.

One drainer task tries the writes in order, each in a transaction the store owns (a caller's
timeout cannot cut it in half). A write the database refuses for now (locked by another program,
a full disk, a read-only file) is kept and tried again with backoff; those behind it wait, so
an attempt always lands after its beginning. While writes fail, the spool file beside the
database holds a copy of the queue (a crash loses nothing); at shutdown what is left is spooled
and the next start replays it. Every write is idempotent (memory/writes.py), so a write replayed
after it had landed changes nothing. A write the database refuses for good (the player was
forgotten meanwhile) is dropped, logged and counted.

Listeners hear ``True`` when writes start failing and ``False`` once everything kept has landed:
the engine turns those into one notice per outage to each session.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from digital_actors.clock import Clock
from digital_actors.errors import MemoryStoreError
from digital_actors.memory import spool, writes
from digital_actors.memory.metrics import MEMORY_WRITE_FAILURES, MEMORY_WRITES_DROPPED, MEMORY_WRITES_PENDING
from digital_actors.memory.records import AttemptHandle, MemoryNote, iso
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.store import MemoryStore
from digital_actors.memory.writes import Write

log = structlog.get_logger()
BUSY_TIMEOUT_MS = 1000  # one try waits this long for another program's lock, then lets reads through
RETRY_BASE = 0.5  # seconds before the first retry; doubles per failed try up to retry_max
PROBE_BUSY_MS = 250
PROBE_FRESH = 30.0  # a write that landed this recently (clock seconds) is proof enough: no probe


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """Writes waiting, and whether the database is refusing them (with the last reason and since when)."""

    pending: int
    failing: bool
    error: str | None = None
    since: float | None = None

    def reason(self) -> str | None:
        """The sentence for /health while writes fail (None while they land)."""
        if not self.failing:
            return None
        return f"player memory: writes are failing ({self.error}); {self.pending} kept for retry"


@dataclass(slots=True)
class _Item:
    write: Write
    receipt: asyncio.Future[bool]


class Outbox:
    """Writes that must land: queued, tried in order, kept and retried, spooled at shutdown."""

    def __init__(self, store: MemoryStore, *, clock: Clock, spool_file: Path | None = None,
                 busy_timeout_ms: int = BUSY_TIMEOUT_MS, retry_base: float = RETRY_BASE,
                 retry_max: float = 10.0, rng: random.Random | None = None) -> None:
        self.store, self._clock, self.spool_file = store, clock, spool_file
        self._busy, self._base, self._max = busy_timeout_ms, retry_base, retry_max
        self._rng = rng or random.Random()
        self._queue: deque[_Item] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self._failure: MemoryStoreError | None = None
        self._since: float | None = None
        self._tries = 0
        self._closing = self._closed = False
        self._wake = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        self._resting = asyncio.Event()  # the drainer waits for the clock (a backoff) or has nothing to do
        self._resting.set()
        self._listeners: list[Callable[[bool], None]] = []
        self._spooled = False  # the spool file holds writes this outbox is still responsible for
        self._changes = self._kept = 0  # queue changes so far, and how many the spool file has seen
        self._last_landed: float | None = None
        self._probe: asyncio.Task[None] | None = None
        self.probe_problem: str | None = None
        self._slot: spool.Slot | None = None  # the spool file this process holds (taken at replay)

    # --- writing ------------------------------------------------------------------------------
    def submit(self, write: Write) -> asyncio.Future[bool]:
        """Queue a write. The future is True once it landed, False once it is kept for retry (or was
        refused for good); awaiting it is optional: the write lands either way."""
        receipt: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self._closed:
            if self.spool_file is not None:
                spool.append(self.spool_file, write)
            receipt.set_result(False)
            return receipt
        self._queue.append(_Item(write, receipt))
        self._changes += 1
        MEMORY_WRITES_PENDING.inc()
        self._empty.clear()
        if self._failure is not None:
            receipt.set_result(False)  # kept: it lands after the writes before it
        if self._drainer is None or self._drainer.done():
            self._resting.clear()
            self._drainer = asyncio.ensure_future(self._drain())
        return receipt

    def now(self) -> str:
        """The store's wall-clock time, as written timestamps say it."""
        return iso(self.store.now())

    def begin_attempt(self, player_id: str, scene_id: str, character_id: str, *,
                      session_id: str | None = None) -> tuple[AttemptHandle, asyncio.Future[bool]]:
        """An attempt with fresh ids, queued: the handle is usable at once."""
        begin = writes.new_attempt(player_id, scene_id, character_id, at=self.now(), session_id=session_id)
        return begin.handle, self.submit(begin)

    async def finish_attempt(self, handle: AttemptHandle, outcome: str, ending_id: str | None,
                             stats: AttemptStats, memories: list[MemoryNote], *,
                             elapsed: float | None = None) -> bool:
        """Queue an attempt's end (the MemoryObserver's recorder); True once it landed, False if kept."""
        return await self.submit(writes.FinishAttempt(handle, outcome, ending_id, stats, tuple(memories),
                                                      elapsed, self.now()))

    # --- state ----------------------------------------------------------------------------------
    def status(self) -> OutboxStatus:
        failure = self._failure
        return OutboxStatus(len(self._queue), failure is not None, failure.message if failure else None,
                            self._since)

    def on_change(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(True)`` when writes start failing and ``listener(False)`` when all kept ones landed."""
        self._listeners.append(listener)

    async def settled(self) -> None:
        """Until every queued write has been tried once (landed, kept for retry, or dropped)."""
        waiting = [item.receipt for item in self._queue if not item.receipt.done()]
        if waiting:
            await asyncio.gather(*waiting)

    async def drained(self) -> None:
        """Until nothing is pending: every write landed (or was dropped)."""
        await self._empty.wait()

    async def resting(self) -> None:
        """Until the drainer waits for the clock (a backoff between tries) or has nothing left to do."""
        await self._resting.wait()

    async def check(self, within: float = 1.0) -> str | None:
        """Can a write land now? Failing writes say so already; otherwise a test write (at most one at a
        time, skipped when a write landed recently) with its own short timeout. The problem, or None."""
        if self._failure is not None:
            self.probe_problem = None
            return None
        recent = self._last_landed is not None and self._clock.now() - self._last_landed < PROBE_FRESH
        if recent and self.probe_problem is None:
            return None
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self.store.probe_write(busy_timeout_ms=PROBE_BUSY_MS))
            self._probe.add_done_callback(_retrieve)
        try:
            async with asyncio.timeout(within):
                await asyncio.shield(self._probe)
            self.probe_problem = None
        except TimeoutError:
            self.probe_problem = f"player memory: a test write did not land within {within:g}s"
        except MemoryStoreError as e:
            self.probe_problem = f"player memory: a test write failed ({e.message})"
        return self.probe_problem

    # --- start and stop ----------------------------------------------------------------------------
    def replay(self) -> int:
        """Take a spool slot of our own, then queue what the last run spooled there, and what stopped
        processes left in slots nobody holds (before anything new); the spool goes once it has all landed."""
        if self.spool_file is None:
            return 0
        if self._slot is None:
            base = self.spool_file
            self._slot = spool.claim(base)
            self.spool_file = self._slot.path
            orphans = spool.adopt(base, self._slot)
        else:
            orphans = []
        spool.make_reserve(self.spool_file)
        found, _ = spool.read(self.spool_file)
        for orphan in orphans:
            theirs, _ = spool.read(orphan.path)
            found += theirs
        for write in found:
            self.submit(write)
        self._spooled = bool(found)
        if orphans:
            with contextlib.suppress(OSError):  # ours now: on disk in our slot before theirs go
                spool.save(self.spool_file, found)
                for orphan in orphans:
                    spool.remove(orphan.path)
                    spool.release_reserve(orphan.path)
            for orphan in orphans:
                orphan.release()
        if found:
            log.info("memory_spool_replayed", count=len(found), path=str(self.spool_file), adopted=len(orphans))
        else:
            spool.remove(self.spool_file)
        return len(found)

    async def aclose(self) -> int:
        """Try what is pending once more (no waiting), then spool the rest; returns how many were spooled."""
        if self._closed:
            return 0
        self._closing = True
        self._wake.set()
        if self._drainer is not None:
            await asyncio.gather(self._drainer, return_exceptions=True)
        if self._queue:  # one last try (a backoff was cut short); it stops at the first refusal
            await self._drain()
        self._closed = True
        left = [item.write for item in self._queue]
        for item in self._queue:
            if not item.receipt.done():
                item.receipt.set_result(False)
        MEMORY_WRITES_PENDING.dec(len(left))
        self._queue.clear()
        if self.spool_file is None:
            for write in left:
                log.error("memory_write_lost", write=writes.to_json(write))
        elif left:
            spooled: bool = await asyncio.to_thread(spool.write, self.spool_file, left)
            if spooled:  # else spool.write logged each write as memory_write_lost
                log.warning("memory_writes_spooled", count=len(left), path=str(self.spool_file))
        elif self._spooled:
            spool.remove(self.spool_file)
        if self._slot is not None:
            self._slot.release()
            self._slot = None
        return len(left)

    # --- the drainer ---------------------------------------------------------------------------------
    async def _drain(self) -> None:
        try:
            while self._queue:
                if not await self._try(self._queue[0]) and self._closing:
                    return
            await self._recovered()
        finally:
            self._resting.set()

    async def _try(self, item: _Item) -> bool:
        """One try of the write at the head of the queue; False when it was kept for another try."""
        try:
            await self.store.write(item.write, busy_timeout_ms=self._busy, retry=False)
        except MemoryStoreError as e:
            if not e.retryable:
                self._drop(item, e.kind, e.message)
                return True
            MEMORY_WRITE_FAILURES.labels(e.kind).inc()
            await self._failed(e)
            if not self._closing:
                await self._pause()
            return False
        except Exception as e:  # a bug, not the database: one write must not block every other behind it
            log.exception("memory_write_crashed", write=writes.describe(item.write))
            self._drop(item, "bug", repr(e))
            return True
        self._done(item, landed=True)
        self._last_landed = self._clock.now()
        return True

    def _done(self, item: _Item, *, landed: bool) -> None:
        self._queue.popleft()
        self._changes += 1
        MEMORY_WRITES_PENDING.dec()
        if not item.receipt.done():
            item.receipt.set_result(landed)
        if not self._queue:
            self._empty.set()

    def _drop(self, item: _Item, kind: str, message: str) -> None:
        MEMORY_WRITES_DROPPED.labels(kind).inc()
        log.error("memory_write_dropped", write=writes.to_json(item.write), kind=kind, error=message)
        self._done(item, landed=False)

    async def _failed(self, error: MemoryStoreError) -> None:
        self._tries += 1
        first = self._failure is None
        self._failure = error
        for item in self._queue:
            if not item.receipt.done():
                item.receipt.set_result(False)  # kept: whoever waits for it may go on
        if first:
            self._since = self._clock.now()
            log.error("memory_writes_failing", error=error.message, kind=error.kind, pending=len(self._queue))
            self._tell(True)
        await self._keep()

    async def _keep(self) -> None:
        """Copy the queue to the spool, so even a crash during an outage loses nothing (best effort)."""
        if self.spool_file is not None and not self._closing and self._kept != self._changes:
            pending, changes = [item.write for item in self._queue], self._changes
            try:
                await asyncio.to_thread(spool.save, self.spool_file, pending)
                self._spooled, self._kept = True, changes
            except OSError as e:  # a full disk: the queue is still in memory, and shutdown uses the reserve
                log.warning("memory_spool_deferred", error=str(e))

    async def _recovered(self) -> None:
        self._tries = 0
        if self._spooled and self.spool_file is not None and not self._closing:
            spool.remove(self.spool_file)
            self._spooled = False
        if self._failure is not None:
            log.info("memory_writes_recovered", after_s=round(self._clock.now() - (self._since or 0.0), 3))
            self._failure, self._since = None, None
            self._tell(False)

    async def _pause(self) -> None:
        """Back off before the next try: base x 2^(tries-1), at most retry_max, +-25% jitter; shutdown ends it."""
        delay = min(self._max, self._base * 2 ** (self._tries - 1)) * (0.75 + self._rng.random() / 2)
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        self._resting.set()
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._resting.clear()
            sleeper.cancel()
            waker.cancel()

    def _tell(self, failing: bool) -> None:
        for listener in list(self._listeners):
            try:
                listener(failing)
            except Exception:  # a listener's bug must not stop the writes
                log.exception("memory_listener_failed")


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
