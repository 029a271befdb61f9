"""Fan-out of session events to any number of subscribers, each with its own queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from digital_actors.events import Event

_CLOSED = object()


class Subscription:
    """An async iterator of events, created eagerly so nothing emitted after it is missed."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    def put(self, item: object) -> None:
        self._queue.put_nowait(item)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is _CLOSED:
            raise StopAsyncIteration
        assert isinstance(item, Event)
        return item

    def drain(self) -> list[Event]:
        """Everything queued right now, without waiting (tests, the line player)."""
        out: list[Event] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is _CLOSED:
                break
            assert isinstance(item, Event)
            out.append(item)
        return out

    def close(self) -> None:
        self._bus.unsubscribe(self)
        self.put(_CLOSED)


class EventBus:
    """Delivers every emitted event to every subscription, in order."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
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
