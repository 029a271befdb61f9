"""Shared helpers for the provider tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field

from digital_actors.errors import ModelError
from digital_actors.llm.base import ChatRequest, Message, StreamEnd, StreamItem, SystemBlock, TextDelta

REQUEST = ChatRequest(
    system=(SystemBlock("You are Mara, the engineer.", cache=True),
            SystemBlock("Pressure is rising.")),
    messages=(Message("user", "What do we do?"),),
    max_tokens=64,
    stop=("\nPLAYER:",),
)


@dataclass
class Drained:
    """Everything one stream produced."""

    texts: list[str] = field(default_factory=list)
    end: StreamEnd | None = None
    error: ModelError | None = None

    @property
    def text(self) -> str:
        return "".join(self.texts)


async def drain(stream: AsyncGenerator[StreamItem, None]) -> Drained:
    """Read a stream to its end, keeping the error (if any) instead of raising it."""
    out = Drained()
    try:
        async with aclosing(stream) as items:
            async for item in items:
                if isinstance(item, TextDelta):
                    out.texts.append(item.text)
                else:
                    assert out.end is None, "a stream ends once"
                    out.end = item
    except ModelError as e:
        out.error = e
    return out


class Sleeps:
    """An injected sleep: remembers the requested delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
