"""VoiceCache (atomic, bounded, LRU) and CachedVoice (replays; stores only complete lines)."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from digital_actors.errors import VoiceError
from digital_actors.voice.base import SentenceRef, SilentVoice, VoiceProfile
from digital_actors.voice.cache import MIB, CachedVoice, VoiceCache, default_dir
from digital_actors.voice.cli import cache as cache_cli

PROFILE = VoiceProfile("engineer", voice_id="v1")


class Ticks:
    """A wall clock that moves one second per reading, so LRU order is exact."""

    def __init__(self) -> None:
        self._count = itertools.count(1_000_000)

    def __call__(self) -> float:
        return float(next(self._count))


def make(tmp_path: Path, max_bytes: int = 10_000) -> VoiceCache:
    return VoiceCache(tmp_path / "voice", max_bytes=max_bytes, now=Ticks())


def test_key_covers_everything_that_changes_the_sound() -> None:
    base = {"provider": "elevenlabs", "model": "m", "voice_id": "v", "settings": {"speed": 1.0},
            "text": "Hi.", "sample_rate": 24_000}
    key = VoiceCache.key(**base)  # type: ignore[arg-type]
    assert len(key) == 64 and key == VoiceCache.key(**base)  # type: ignore[arg-type]
    for field, other in [("provider", "piper"), ("model", "m2"), ("voice_id", "w"),
                         ("settings", {"speed": 1.1}), ("text", "Hi!"), ("sample_rate", 16_000)]:
        assert VoiceCache.key(**{**base, field: other}) != key  # type: ignore[arg-type]


def test_miss_put_hit(tmp_path: Path) -> None:
    cache = make(tmp_path)
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, b"\x01\x00" * 100)
    assert cache.get("ab" * 32) == b"\x01\x00" * 100
    assert not list((tmp_path / "voice").glob("*/*.tmp"))  # the temp file was renamed into place


def test_least_recently_used_clips_are_evicted_first(tmp_path: Path) -> None:
    cache = make(tmp_path, max_bytes=3000)
    a, b, c, d = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)
    for key in (a, b, c):
        cache.put(key, bytes(1000))
    assert cache.get(a) is not None  # a is now the most recently used
    cache.put(d, bytes(1000))  # 4000 > 3000: the oldest (b) goes
    assert cache.get(b) is None
    assert all(cache.get(k) is not None for k in (a, c, d))
    assert cache.info().bytes == 3000


def test_oversized_clips_and_a_disabled_cache_store_nothing(tmp_path: Path) -> None:
    cache = make(tmp_path, max_bytes=100)
    cache.put("e" * 64, bytes(101))
    assert cache.get("e" * 64) is None
    off = make(tmp_path, max_bytes=0)
    off.put("f" * 64, bytes(10))
    assert off.get("f" * 64) is None


def test_clear_reports_bytes_freed(tmp_path: Path) -> None:
    cache = make(tmp_path)
    cache.put("a" * 64, bytes(1200))
    cache.put("b" * 64, bytes(800))
    assert cache.info().files == 2
    assert cache.clear() == 2000
    assert cache.info().files == 0 and cache.get("a" * 64) is None


def test_stale_temp_files_are_cleaned(tmp_path: Path) -> None:
    cache = make(tmp_path)
    cache.put("a" * 64, bytes(10))
    stale = tmp_path / "voice" / "aa" / "crash.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (0, 0))
    cache.info()
    assert not stale.exists()


async def test_cached_voice_replays_the_second_time(tmp_path: Path) -> None:
    inner = SilentVoice(ms_per_char=50)
    voice = CachedVoice(inner, make(tmp_path, max_bytes=MIB))
    first = [c async for c in voice.synthesize("Is anyone there?", PROFILE)]
    second = [c async for c in voice.synthesize("Is anyone there?", PROFILE)]
    assert b"".join(first) == b"".join(second) and len(second) > 1
    assert inner.spoken == ["Is anyone there?"]
    await voice.synthesize("Is anyone there?", VoiceProfile("x", voice_id="v2")).__anext__()
    assert inner.spoken[-1] == "Is anyone there?" and len(inner.spoken) == 2  # other voice: a miss
    await voice.aclose()
    assert inner.closed


async def test_interrupted_synthesis_is_not_stored(tmp_path: Path) -> None:
    inner = SilentVoice(ms_per_char=50)
    voice = CachedVoice(inner, make(tmp_path, max_bytes=MIB))
    stream = voice.synthesize("A line that is interrupted.", PROFILE)
    await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    assert voice.cache.info().files == 0
    [c async for c in voice.synthesize("A line that is interrupted.", PROFILE)]
    assert inner.spoken.count("A line that is interrupted.") == 2
    assert voice.cache.info().files == 1


class BrokenVoice(SilentVoice):
    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        yield bytes(100)
        raise VoiceError("stream broke", retryable=True)


async def test_failed_synthesis_is_not_stored(tmp_path: Path) -> None:
    voice = CachedVoice(BrokenVoice(), make(tmp_path, max_bytes=MIB))
    with pytest.raises(VoiceError):
        [c async for c in voice.synthesize("Broken.", PROFILE)]
    assert voice.cache.info().files == 0


def test_cli_info_and_clear(isolated_home: Path) -> None:
    VoiceCache(max_bytes=MIB).put("c" * 64, bytes(2 * 1024 * 1024 // 4))
    assert default_dir() == isolated_home / "cache" / "voice"
    runner = CliRunner()
    info = runner.invoke(cache_cli, ["info"])
    assert info.exit_code == 0 and "1 clips, 0.5 MiB of 200.0 MiB" in info.output
    cleared = runner.invoke(cache_cli, ["clear"])
    assert cleared.exit_code == 0 and "freed 0.5 MiB" in cleared.output
    assert VoiceCache().info().files == 0
