"""What every HTTP adapter shares: stream/complete on top of the driver, and resource ownership."""

from __future__ import annotations

import abc
import json
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from types import TracebackType
from typing import Any, Self

from digital_actors.llm.base import (
    ChatRequest,
    Completion,
    Message,
    StreamEnd,
    StreamItem,
    TextDelta,
)
from digital_actors.llm.driver import CallInfo, Timeouts, run_call, run_stream
from digital_actors.llm.errors import ProviderError, provider_error
from digital_actors.llm.retry import Retrier

# Lone surrogates (an escaped "\ud800" parses but cannot be encoded), control characters other
# than newline and tab, the replacement character and non-characters: none may reach a player.
_UNSAFE = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f\ufffd\ufffe\uffff]")


async def collect(items: AsyncGenerator[StreamItem, None]) -> Completion:
    """Drain a stream into one Completion (closing it whatever happens)."""
    parts: list[str] = []
    async with aclosing(items) as stream:
        async for item in stream:
            if isinstance(item, TextDelta):
                parts.append(item.text)
            elif isinstance(item, StreamEnd):
                return Completion("".join(parts), item.usage, item.stop_reason)
    raise AssertionError("a ChatModel stream must end with StreamEnd")


def merged_turns(messages: tuple[Message, ...]) -> list[dict[str, str]]:
    """Merge consecutive same-role turns: Anthropic and many local chat templates need alternation."""
    out: list[dict[str, str]] = []
    for m in messages:
        if out and out[-1]["role"] == m.role:
            out[-1]["content"] += "\n\n" + m.content
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def invalid_output(provider: str, detail: str) -> ProviderError:
    """A malformed structured answer: retried at most once (``RetryPolicy``), then the caller's fallback."""
    return ProviderError(f"{provider} returned {detail}",
                         "the model ignored the output format; try a more capable model",
                         kind="invalid_output", provider=provider, retryable=True)


def parse_json_object(text: str | None, provider: str) -> dict[str, Any]:
    """Parse a model's JSON answer, tolerating Markdown code fences; else ``invalid_output``.

    Only the shape "a JSON object" is checked here; callers validate the fields with their own
    pydantic answer model (one validating parse each), so no caller ever pokes at raw dicts.
    """
    body = (text or "").strip()
    if not body:
        raise invalid_output(provider, "no content")
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        value = json.loads(body)
    except json.JSONDecodeError as e:
        raise invalid_output(provider, f"text that is not JSON: {e.msg}") from e
    return json_object(value, provider)


def wire_text(value: object, provider: str) -> str:
    """Generated text as it came off the wire: a string, cleaned of characters that cannot be
    shown or encoded; anything else (null, a number, a list) is ``invalid_output``."""
    if not isinstance(value, str):
        raise invalid_output(provider, f"text that is not a string ({type(value).__name__})")
    return _UNSAFE.sub("", value) if _UNSAFE.search(value) else value


def unreadable(provider: str, error: Exception, secrets: tuple[str | None, ...] = ()) -> ProviderError:
    """Any exception an SDK or our parsing raised that is not mapped yet: a timeout or a broken
    connection says so; anything else (``AttributeError`` on ``delta: null``, a
    ``UnicodeDecodeError`` on invalid UTF-8, a ``TypeError`` on a number for text...) means the
    provider sent something we cannot read."""
    kind = ("timeout" if isinstance(error, TimeoutError)
            else "connection" if isinstance(error, OSError) else "invalid_output")
    return provider_error(kind, provider, f"{type(error).__name__}: {error}", secrets=secrets)


def json_object(value: object, provider: str) -> dict[str, Any]:
    """``value`` if it is a JSON object (a dict), else ``invalid_output``."""
    if not isinstance(value, dict):
        raise invalid_output(provider, "JSON that is not an object")
    return value


class HttpChatModel(abc.ABC):
    """Base of the SDK adapters: subclasses implement one streamed attempt and one JSON call."""

    provider: str
    model: str

    def __init__(self, *, provider: str, model: str, timeouts: Timeouts, retrier: Retrier,
                 secrets: tuple[str | None, ...] = ()) -> None:
        self.provider = provider
        self.model = model
        self.timeouts = timeouts
        self.retrier = retrier
        self.secrets = secrets  # scrubbed from every error detail (a provider may quote the key)

    def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        """Stream one reply (see ``ChatModel.stream``)."""
        return run_stream(lambda: self._guarded_attempt(request), info=self._info(request),
                          timeouts=self.timeouts, retrier=self.retrier, request=request)

    async def complete(self, request: ChatRequest) -> Completion:
        """A whole reply; with ``json_schema`` set, a validated JSON object's text."""
        if request.json_schema is None:
            return await collect(self.stream(request))
        return await run_call(lambda: self._guarded_structured(request), info=self._info(request),
                              timeouts=self.timeouts, retrier=self.retrier,
                              usage_of=lambda c: c.usage, request=request)

    async def _guarded_attempt(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        """``_attempt`` whose every failure is a ProviderError: a malformed stream never escapes
        as an ``AttributeError`` or a ``UnicodeDecodeError``."""
        try:
            async with aclosing(self._attempt(request)) as items:
                async for item in items:
                    yield item
        except ProviderError:
            raise
        except Exception as e:
            raise unreadable(self.provider, e, self.secrets) from e

    async def _guarded_structured(self, request: ChatRequest) -> Completion:
        try:
            return await self._structured(request)
        except ProviderError:
            raise
        except Exception as e:
            raise unreadable(self.provider, e, self.secrets) from e

    @abc.abstractmethod
    def _attempt(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        """One HTTP stream: TextDeltas then a StreamEnd; errors mapped; stream closed in finally."""

    @abc.abstractmethod
    async def _structured(self, request: ChatRequest) -> Completion:
        """One non-streamed call whose answer follows ``request.json_schema``."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release the HTTP client (unless the caller supplied and owns it)."""

    def _info(self, request: ChatRequest) -> CallInfo:
        return CallInfo(self.provider, self.model, request.purpose)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider!r}, model={self.model!r})"
