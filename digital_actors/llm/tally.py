"""Per-session token accounting: a ChatModel wrapper that adds up usage by purpose.

One shared model serves every session of a process; each session wraps it in its own
``TalliedChatModel`` so its counts (lines, judge, suggestions, director) stay its own.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from digital_actors.llm.base import ChatModel, ChatRequest, Completion, StreamEnd, StreamItem, Usage


class UsageTally:
    """Token usage of one session, by purpose (``line``, ``judge``, ``suggest``, ``director``)."""

    def __init__(self) -> None:
        self.by_purpose: dict[str, Usage] = {}
        self.calls = 0

    def add(self, purpose: str, usage: Usage) -> None:
        self.by_purpose[purpose] = self.by_purpose.get(purpose, Usage()) + usage

    @property
    def total(self) -> Usage:
        out = Usage()
        for usage in self.by_purpose.values():
            out = out + usage
        return out

    def reset(self) -> None:
        self.by_purpose.clear()
        self.calls = 0


class TalliedChatModel:
    """Passes calls to ``inner`` and tallies their usage; closes ``inner`` only if it owns it."""

    def __init__(self, inner: ChatModel, *, tally: UsageTally | None = None,
                 owns: bool = False) -> None:
        self.inner = inner
        self.provider = inner.provider
        self.model = inner.model
        self.tally = tally or UsageTally()
        self.owns = owns

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        self.tally.calls += 1
        async with aclosing(self.inner.stream(request)) as items:
            async for item in items:
                if isinstance(item, StreamEnd):
                    self.tally.add(request.purpose, item.usage)
                yield item

    async def complete(self, request: ChatRequest) -> Completion:
        self.tally.calls += 1
        result = await self.inner.complete(request)
        self.tally.add(request.purpose, result.usage)
        return result

    async def aclose(self) -> None:
        if self.owns:
            await self.inner.aclose()
