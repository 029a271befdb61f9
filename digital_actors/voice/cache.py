"""An on-disk cache of synthesized lines: authored lines cost nothing the second time.

Clips are raw PCM16 files under ``<cache dir>/voice``, keyed by a sha256 of everything that
changes the sound (provider, model, voice, settings, sample rate, text). Writes are atomic
(temp file + rename), the total size is bounded, and the least recently used clips go first
(a hit touches the file; eviction removes the oldest modification times).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from digital_actors import paths
from digital_actors.voice import pcm
from digital_actors.voice.base import SentenceRef, Voice, VoiceProfile, closing
from digital_actors.voice.metrics import VOICE_CACHE

if TYPE_CHECKING:
    from digital_actors.voice.pool import SynthesisPool

log = structlog.get_logger()

MIB = 1024 * 1024
SUFFIX = ".pcm"
STALE_TEMP_SECONDS = 3600.0


def default_dir() -> Path:
    """``voice`` under the platform cache dir (or DIGITAL_ACTORS_HOME/cache)."""
    return paths.cache_dir() / "voice"


@dataclass(frozen=True, slots=True)
class CacheInfo:
    directory: Path
    files: int
    bytes: int
    max_bytes: int


class VoiceCache:
    """Bounded LRU cache of PCM clips on disk. Blocking methods have ``a``-prefixed async twins."""

    def __init__(self, directory: Path | None = None, *, max_bytes: int = 200 * MIB,
                 now: Callable[[], float] = time.time) -> None:
        self.directory = directory or default_dir()
        self.max_bytes = max_bytes
        self._now = now
        self._size: int | None = None  # known total, or None until the first scan

    @staticmethod
    def key(*, provider: str, model: str, voice_id: str | None, settings: Mapping[str, object],
            text: str, sample_rate: int) -> str:
        """The cache key: a sha256 over a canonical JSON of everything that changes the sound."""
        blob = json.dumps({"provider": provider, "model": model, "voice": voice_id,
                           "settings": dict(settings), "rate": sample_rate, "text": text},
                          sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The clip for ``key``, marking it recently used; None on a miss (or a disabled cache)."""
        if self.max_bytes <= 0:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
            stamp = self._now()
            os.utime(path, (stamp, stamp))
        except FileNotFoundError:
            VOICE_CACHE.labels(result="miss").inc()
            return None
        VOICE_CACHE.labels(result="hit").inc()
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store a clip atomically, then evict least recently used clips past the size bound."""
        if self.max_bytes <= 0 or not data or len(data) > self.max_bytes:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            stamp = self._now()
            os.utime(temp, (stamp, stamp))
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        self._size = None if self._size is None else self._size + len(data)
        if self._size is None or self._size > self.max_bytes:
            self.evict()

    def _entries(self) -> list[tuple[float, int, Path]]:
        """(last use, size, path) of every clip; stale temp files from crashes are removed."""
        found: list[tuple[float, int, Path]] = []
        if not self.directory.is_dir():
            return found
        horizon = self._now() - STALE_TEMP_SECONDS
        for path in self.directory.glob("*/*"):
            try:
                stat = path.stat()
                if path.suffix == ".tmp" and stat.st_mtime < horizon:
                    path.unlink()
                elif path.suffix == SUFFIX:
                    found.append((stat.st_mtime, stat.st_size, path))
            except FileNotFoundError:
                continue  # another process evicted it meanwhile
        return found

    def evict(self) -> int:
        """Remove least recently used clips until the total fits; returns bytes freed."""
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        freed = 0
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                freed += size
            total -= size
        self._size = total
        if freed:
            log.debug("voice.cache_evicted", bytes=freed)
        return freed

    def clear(self) -> int:
        """Remove every clip; returns the bytes freed."""
        freed = 0
        for _, size, path in self._entries():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                freed += size
        self._size = 0
        return freed

    def info(self) -> CacheInfo:
        entries = self._entries()
        return CacheInfo(self.directory, len(entries), sum(s for _, s, _ in entries), self.max_bytes)

    async def aget(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self.get, key)

    async def aput(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self.put, key, data)


class CachedVoice:
    """Wraps a voice: replays cached clips, and stores a clip only when synthesis completed.

    An interrupted or failed synthesis is never stored, so the cache never holds half a line.
    """

    def __init__(self, inner: Voice, cache: VoiceCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.model = inner.model
        self.sample_rate = inner.sample_rate
        self.performs_tags = inner.performs_tags

    @property
    def pool(self) -> SynthesisPool | None:
        """The wrapped voice's pool: a miss is synthesised there, a hit needs no worker."""
        return self.inner.pool

    def key_for(self, text: str, profile: VoiceProfile) -> str:
        settings = {**profile.cache_fields(), "performs_tags": self.inner.performs_tags,
                    "tag_model": getattr(self.inner, "tag_model", None)}
        return VoiceCache.key(provider=self.inner.name, model=self.inner.model,
                              voice_id=profile.voice_id, settings=settings, text=text,
                              sample_rate=self.inner.sample_rate)

    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        key = self.key_for(text, profile)
        cached = await self.cache.aget(key)
        if cached is not None:
            for piece in pcm.split(cached, pcm.chunk_bytes(self.sample_rate)):
                yield piece
            return
        parts: list[bytes] = []
        async with closing(self.inner.synthesize(text, profile, sentence=sentence)) as stream:
            async for chunk in stream:
                parts.append(chunk)
                yield chunk
        await self.cache.aput(key, b"".join(parts))  # reached only when the stream completed

    async def warm(self) -> None:
        """Warm the wrapped voice's connection, if it has one (ElevenLabs)."""
        warm = getattr(self.inner, "warm", None)
        if warm is not None:
            await warm()

    async def aclose(self) -> None:
        await self.inner.aclose()
