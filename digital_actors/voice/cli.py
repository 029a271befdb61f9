"""``digital-actors cache ...``: look at and clear the on-disk voice cache."""

from __future__ import annotations

import click

from digital_actors.config import Settings
from digital_actors.voice.cache import MIB, VoiceCache


def _cache() -> VoiceCache:
    return VoiceCache(max_bytes=Settings().voice_cache_mb * MIB)


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


@click.group("cache")
def cache() -> None:
    """The voice cache: synthesized lines kept on disk so they cost nothing the second time."""


@cache.command("clear")
def clear() -> None:
    """Delete every cached clip."""
    store = _cache()
    freed = store.clear()
    click.echo(f"Cleared the voice cache at {store.directory}: freed {_mib(freed)}.")


@cache.command("info")
def info() -> None:
    """Where the cache is, how many clips it holds and how big it may grow (VOICE_CACHE_MB)."""
    details = _cache().info()
    click.echo(f"Voice cache: {details.directory}")
    click.echo(f"  {details.files} clips, {_mib(details.bytes)} of {_mib(details.max_bytes)}")
