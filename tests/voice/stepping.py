"""``StepExecutor``: a pool executor that runs nothing until the test says so.

What the pool has handed to a worker is exactly ``pending``, so order, bounds and
cancellation are checked without threads, sleeps or timing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any


class StepExecutor(Executor):
    def __init__(self) -> None:
        self.pending: list[tuple[Callable[[], Any], Future[Any]]] = []
        self.submitted = 0
        self._changed = asyncio.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        self.pending.append((functools.partial(fn, *args, **kwargs), future))
        self.submitted += 1
        self._changed.set()
        return future

    async def wait_pending(self, count: int = 1) -> None:
        """Until at least ``count`` jobs have been handed over (bounded: fails rather than hangs)."""
        async with asyncio.timeout(5):
            while len(self.pending) < count:
                self._changed.clear()
                await self._changed.wait()

    async def step(self) -> Any:
        """Run the oldest job handed over (waiting for one if need be); returns its result."""
        await self.wait_pending()
        work, future = self.pending.pop(0)
        try:
            value = work()
        except Exception as error:
            future.set_exception(error)
            return error
        future.set_result(value)
        return value


async def eventually(condition: Callable[[], bool], turns: int = 500) -> None:
    """Let the loop run until ``condition`` holds: a bounded number of turns, never a wait in time."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")
