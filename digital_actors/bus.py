"""Fan-out of session events to any number of subscribers, each with its own bounded queue.

A consumer that falls behind (a slow socket) must not make the process hold audio without
limit: each subscription keeps at most ``audio_limit`` audio chunks and drops the oldest
first (late audio is useless; the player hears the line resume). Every other event — text,
state, the ending — is kept: a scene emits a bounded amount of them, and losing one would
leave the player's view wrong.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from digital_actors.events import AudioChunk, Event

_CLOSED = object()
AUDIO_LIMIT = 400  # chunks a subscriber may fall behind by: ~40 s at the voices' 100 ms chunks


class Subscription:
    """An async iterator of events, created eagerly so nothing emitted after it is missed."""

    def __init__(self, bus: EventBus, *, audio_limit: int = AUDIO_LIMIT) -> None:
        self._bus = bus
        self._items: deque[object] = deque()
        self._ready = asyncio.Event()
        self._audio = 0
        self.audio_limit = audio_limit
        self.dropped_audio = 0  # chunks dropped because this subscriber fell behind

    def put(self, item: object) -> None:
        if isinstance(item, AudioChunk):
            if self._audio >= self.audio_limit:
                self._drop_oldest_audio()
            self._audio += 1
        self._items.append(item)
        self._ready.set()

    def _drop_oldest_audio(self) -> None:
        for i, queued in enumerate(self._items):
            if isinstance(queued, AudioChunk):
                del self._items[i]
                self._audio -= 1
                self.dropped_audio += 1
                return

    def __len__(self) -> int:
        return len(self._items)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._take()

    def _take(self) -> Event:
        item = self._items.popleft()
        if item is _CLOSED:
            self._items.appendleft(item)  # stays closed for every later read
            raise StopAsyncIteration
        if isinstance(item, AudioChunk):
            self._audio -= 1
        assert isinstance(item, Event)
        return item

    def drain(self) -> list[Event]:
        """Everything queued right now, without waiting (tests, the line player)."""
        out: list[Event] = []
        while self._items and self._items[0] is not _CLOSED:
            out.append(self._take())
        return out

    def close(self) -> None:
        self._bus.unsubscribe(self)
        self.put(_CLOSED)


class EventBus:
    """Delivers every emitted event to every subscription, in order."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []

    def subscribe(self, *, audio_limit: int = AUDIO_LIMIT) -> Subscription:
        sub = Subscription(self, audio_limit=audio_limit)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def emit(self, event: Event) -> None:
        for sub in list(self._subs):
            sub.put(event)

    def close(self) -> None:
        for sub in list(self._subs):
            sub.close()
