"""Record model exchanges to numbered JSON files and replay them exactly, offline.

Exchanges are numbered in the order calls *start* (not finish), which the engine's logic
fixes, so concurrent judges and suggestions replay deterministically. Each file holds the
request, its digest, every text delta and the outcome (ok, error, interrupted).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path
from typing import Any

from digital_actors.errors import ConfigError, ModelError
from digital_actors.llm.base import (
    ChatModel,
    ChatRequest,
    Completion,
    StreamEnd,
    StreamItem,
    TextDelta,
    Usage,
)
from digital_actors.llm.errors import ProviderError

INTERRUPTED = "interrupted"


def digest(request: ChatRequest) -> str:
    """A stable fingerprint of everything a provider would see."""
    canonical = json.dumps(request.to_dict(), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _usage_dict(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens}


def _error_dict(error: ModelError) -> dict[str, Any]:
    return {"message": error.message, "hint": error.hint, "retryable": error.retryable,
            "retry_after": error.retry_after,
            "kind": error.kind if isinstance(error, ProviderError) else "unexpected"}


class RecordingChatModel:
    """Wraps a ChatModel and saves each exchange as ``NNNN.json`` in an empty directory."""

    def __init__(self, inner: ChatModel, directory: Path | str) -> None:
        self.inner = inner
        self.provider = inner.provider
        self.model = inner.model
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        if any(self.directory.glob("*.json")):
            raise ConfigError(f"the recording directory {self.directory} is not empty",
                              "record into a new or empty directory so replays stay exact")
        self._count = 0

    def _claim(self) -> int:
        index, self._count = self._count, self._count + 1
        return index

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        """Pass the inner stream through, keeping every delta for the record."""
        index = self._claim()
        deltas: list[str] = []
        end: StreamEnd | None = None
        error: ModelError | None = None
        try:
            async with aclosing(self.inner.stream(request)) as items:
                async for item in items:
                    if isinstance(item, TextDelta):
                        deltas.append(item.text)
                    else:
                        end = item
                    yield item
        except ModelError as e:
            error = e
            raise
        finally:
            await self._save(index, "stream", request, deltas, end, error)

    async def complete(self, request: ChatRequest) -> Completion:
        index = self._claim()
        try:
            result = await self.inner.complete(request)
        except ModelError as e:
            await self._save(index, "complete", request, [], None, e)
            raise
        await self._save(index, "complete", request, [result.text],
                         StreamEnd(result.usage, result.stop_reason), None)
        return result

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def _save(self, index: int, kind: str, request: ChatRequest, deltas: list[str],
                    end: StreamEnd | None, error: ModelError | None) -> None:
        outcome = "error" if error else ("ok" if end else INTERRUPTED)
        record = {
            "index": index, "kind": kind, "provider": self.provider, "model": self.model,
            "purpose": request.purpose, "digest": digest(request), "outcome": outcome,
            "text": "".join(deltas), "deltas": deltas,
            "usage": _usage_dict(end.usage if end else Usage()),
            "stop_reason": end.stop_reason if end else None,
            "error": _error_dict(error) if error else None,
            "request": request.to_dict(),
        }
        path = self.directory / f"{index:04d}.json"
        text = json.dumps(record, ensure_ascii=False, indent=2)
        await asyncio.to_thread(path.write_text, text, "utf-8")


class ReplayChatModel:
    """Plays a recording back in order; a request that differs from the record is an error.

    With ``strict_order=False`` a request may take the first unused exchange with its digest
    (for engines whose call order legitimately varies).
    """

    def __init__(self, directory: Path | str, *, strict_order: bool = True) -> None:
        self.directory = Path(directory)
        files = sorted(self.directory.glob("*.json"))
        if not files:
            raise ConfigError(f"no recorded exchanges in {self.directory}",
                              "record a playthrough first with --record DIR")
        self.exchanges: list[dict[str, Any]] = [json.loads(f.read_text("utf-8")) for f in files]
        self.provider = str(self.exchanges[0].get("provider", "replay"))
        self.model = str(self.exchanges[0].get("model", "replay"))
        self.strict_order = strict_order
        self._used: set[int] = set()
        self._cursor = 0

    def _take(self, request: ChatRequest) -> dict[str, Any]:
        position, self._cursor = self._cursor, self._cursor + 1
        wanted = digest(request)
        if not self.strict_order:
            for i, exchange in enumerate(self.exchanges):
                if i not in self._used and exchange["digest"] == wanted:
                    self._used.add(i)
                    return exchange
        if position >= len(self.exchanges):
            raise ProviderError(
                f"replay ran out: request #{position} ({request.purpose}) was never recorded "
                f"(the recording has {len(self.exchanges)})",
                "the playthrough now makes more model calls than when it was recorded; re-record",
                kind="replay", provider="replay", retryable=False)
        exchange = self.exchanges[position]
        if exchange["digest"] != wanted:
            where = first_difference(exchange.get("request"), request.to_dict())
            raise ProviderError(
                f"replay mismatch at exchange #{position}: the {request.purpose} request differs "
                f"from the recorded {exchange.get('purpose')} request ({where})",
                "the prompt or the playthrough changed since recording; re-record if intended",
                kind="replay", provider="replay", retryable=False)
        self._used.add(position)
        return exchange

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamItem, None]:
        exchange = self._take(request)
        for text in exchange["deltas"]:
            await asyncio.sleep(0)
            yield TextDelta(text)
        if exchange["outcome"] == "error":
            raise _rebuild_error(exchange["error"])
        stop = exchange["stop_reason"] if exchange["outcome"] == "ok" else INTERRUPTED
        yield StreamEnd(Usage(**exchange["usage"]), stop)

    async def complete(self, request: ChatRequest) -> Completion:
        exchange = self._take(request)
        if exchange["outcome"] == "error":
            raise _rebuild_error(exchange["error"])
        return Completion(exchange["text"], Usage(**exchange["usage"]), exchange["stop_reason"])

    async def aclose(self) -> None:
        return None


def _rebuild_error(data: dict[str, Any]) -> ProviderError:
    return ProviderError(data["message"], data.get("hint"), kind=data.get("kind", "unexpected"),
                         provider="replay", retryable=bool(data.get("retryable")),
                         retry_after=data.get("retry_after"))


def first_difference(recorded: Any, current: Any, path: str = "request") -> str:
    """Where two JSON-like values first differ, e.g. ``request.messages[3].content``."""
    if isinstance(recorded, dict) and isinstance(current, dict):
        for key in sorted(set(recorded) | set(current)):
            if recorded.get(key) != current.get(key):
                return first_difference(recorded.get(key), current.get(key), f"{path}.{key}")
    elif isinstance(recorded, list) and isinstance(current, list):
        for i, (a, b) in enumerate(zip(recorded, current, strict=False)):
            if a != b:
                return first_difference(a, b, f"{path}[{i}]")
        if len(recorded) != len(current):
            return f"{path} has {len(current)} items, recorded {len(recorded)}"
    return f"first difference at {path}"
