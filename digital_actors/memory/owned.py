"""Transactions that belong to a task of their own: the caller only awaits them (shielded), so a
caller's timeout or cancellation never leaves a transaction, or the write lock, without an owner.
Both connections (connection.py, pgdb.py) run every operation this way and wait for the ones in
flight when they close."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Owned:
    """The operations in flight on one connection or pool."""

    def __init__(self) -> None:
        self._inflight: set[asyncio.Task[Any]] = set()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """``work`` in a task of its own; the caller awaits it shielded."""
        task = asyncio.ensure_future(work)
        self._inflight.add(task)
        task.add_done_callback(self._settled)
        return await asyncio.shield(task)

    async def settle(self) -> None:
        """Until every operation in flight has ended (their outcomes are theirs)."""
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    def _settled(self, task: asyncio.Task[Any]) -> None:
        self._inflight.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a caller that went away must not leave a "never retrieved" error
