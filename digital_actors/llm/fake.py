"""ScriptedChatModel: a first-class, network-free ChatModel for engine tests and demos.

It streams scripted replies in fixed-size chunks (optionally paced by an injected clock),
records every request it receives, and counts streams closed before their end, so tests can
check prompts, interruptions and fallbacks exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import ModelError
from digital_actors.llm.base import ChatRequest, Completion, StreamEnd, StreamItem, TextDelta, Usage


@dataclass(frozen=True, slots=True)
class PartialReply:
    """Stream ``text``, then fail with ``error`` (a mid-stream disconnect, say)."""

    text: str
    error: ModelError


Scripted = str | PartialReply | BaseException
Replies = Sequence[Scripted] | Callable[[ChatRequest], Scripted]


class ScriptedChatModel:
    """Answers each request with the next scripted reply (or ``replies(request)``).

    A reply is text, a ``PartialReply`` or an exception to raise before any text.
    ``delay_per_chunk`` seconds pass on ``clock`` before every chunk (use a FakeClock in tests).
    """

    def __init__(self, replies: Replies, *, chunk_size: int = 8, delay_per_chunk: float = 0.0,
                 clock: Clock | None = None, provider: str = "scripted",
                 model: str = "scripted") -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.provider = provider
        self.model = model
        self.requests: list[ChatRequest] = []
        self.interrupted = 0
        self.closed = False
        self._replies = replies if callable(replies) else list(replies)
        self._used = 0
        self._chunk_size = chunk_size
        self._delay = delay_per_chunk
        self._clock = clock or MonotonicClock()

    def _next(self, request: ChatRequest) -> Scripted:
        self.requests.append(request)
        if callable(self._replies):
            return self._replies(request)
        if self._used >= len(self._replies):
            raise ModelError(
                f"ScriptedChatModel has no reply left for request #{len(self.requests)} "
                f"(purpose={request.purpose})", "give it more replies, or a function")
        reply = self._replies[self._used]
        self._used += 1
        return reply

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        """Stream the next reply in ``chunk_size`` pieces."""
        reply = self._next(request)
        if isinstance(reply, BaseException):
            raise reply
        text = reply.text if isinstance(reply, PartialReply) else reply
        finished = False
        try:
            for start in range(0, len(text), self._chunk_size):
                await self._pause()
                yield TextDelta(text[start:start + self._chunk_size])
            if isinstance(reply, PartialReply):
                raise reply.error
            await self._pause()
            finished = True
            yield StreamEnd(self._usage(request, text), "end_turn")
        finally:
            if not finished:
                self.interrupted += 1

    async def complete(self, request: ChatRequest) -> Completion:
        """The next reply whole (``PartialReply`` raises its error)."""
        reply = self._next(request)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, PartialReply):
            raise reply.error
        await self._pause()
        return Completion(reply, self._usage(request, reply), "end_turn")

    async def aclose(self) -> None:
        self.closed = True

    async def _pause(self) -> None:
        if self._delay > 0:
            await self._clock.sleep(self._delay)
        else:
            await asyncio.sleep(0)  # let cancellation and other tasks in between chunks

    @staticmethod
    def _usage(request: ChatRequest, text: str) -> Usage:
        """Word counts stand in for tokens: deterministic and good enough for accounting tests."""
        cached = sum(len(b.text.split()) for b in request.system if b.cache)
        fresh = sum(len(b.text.split()) for b in request.system if not b.cache)
        fresh += sum(len(m.content.split()) for m in request.messages)
        return Usage(input_tokens=fresh, output_tokens=len(text.split()), cache_read_tokens=cached)
