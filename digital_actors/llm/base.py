"""The language-model port: provider-neutral requests, stream items and the ChatModel protocol.

Actors, judges and the director speak only this vocabulary; adapters translate it to an SDK.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class SystemBlock:
    """A piece of the system prompt; ``cache=True`` marks the end of a stable, cacheable prefix."""

    text: str
    cache: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """One conversation turn. Player text is only ever ``user`` content."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything a provider needs for one call. ``purpose`` labels logs, metrics and recordings."""

    system: tuple[SystemBlock, ...]
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.8
    stop: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None
    purpose: str = "line"

    def system_text(self) -> str:
        """The system blocks joined, for providers without block-level caching."""
        return "\n\n".join(b.text for b in self.system if b.text)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (used for digests and recordings)."""
        return {
            "system": [{"text": b.text, "cache": b.cache} for b in self.system],
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": list(self.stop),
            "json_schema": self.json_schema,
            "purpose": self.purpose,
        }


def answer_schema(answer: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema a provider is asked to follow for a flat pydantic answer model: every
    field required, no other field allowed, and no description (docstrings are not prompts).
    Validation stays the model's own, so it may be more lenient than what is asked for."""
    schema = answer.model_json_schema()
    schema.pop("description", None)
    schema["required"] = list(schema.get("properties", {}))
    schema["additionalProperties"] = False
    return schema


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts. ``input_tokens`` excludes cached tokens (Anthropic's convention)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )

    @property
    def total_input(self) -> int:
        """Every prompt token, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of generated text, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The last item of a successful stream."""

    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None


StreamItem = TextDelta | StreamEnd


@dataclass(frozen=True, slots=True)
class Completion:
    """A whole reply. With ``json_schema`` set, ``text`` is a JSON object's text."""

    text: str
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None

    def json(self) -> Any:
        """The text parsed as JSON (for structured requests)."""
        return json.loads(self.text)


@runtime_checkable
class ChatModel(Protocol):
    """A streaming chat model. Errors are always ``ModelError`` (see ``digital_actors.errors``).

    ``stream`` yields ``TextDelta`` items then exactly one ``StreamEnd``; close it with
    ``contextlib.aclosing`` (or cancel the consuming task) to drop the HTTP stream at once.
    """

    provider: str
    model: str

    def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]: ...

    async def complete(self, request: ChatRequest) -> Completion: ...

    async def aclose(self) -> None: ...
