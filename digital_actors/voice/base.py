"""The voice port: who speaks a line (a ``Voice``), how (a ``VoiceProfile``), and a silent fake.

Every voice yields PCM16 mono little-endian chunks at its own ``sample_rate``; callers never
decode. ``SilentVoice`` ships in the package for tests and for "voice off".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from digital_actors.voice import pcm

if TYPE_CHECKING:
    from digital_actors.voice.pool import SynthesisPool


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    """How one character sounds. Each provider uses the fields it understands and ignores the rest.

    ``voice_id`` is the ElevenLabs voice (or a Kokoro voice name); ``stability``/``similarity``/
    ``style`` are ElevenLabs settings; ``speed`` is 1.0 for normal pace; ``speaker`` picks a speaker
    of a multi-speaker local model; ``pitch`` is a light shift in semitones (local voices).
    """

    character_id: str
    voice_id: str | None = None
    stability: float = 0.5
    similarity: float = 0.75
    style: float = 0.0
    speed: float = 1.0
    speaker: int | None = None
    pitch: float = 0.0
    noise: float | None = None

    def cache_fields(self) -> dict[str, object]:
        """Everything that changes the sound, for cache keys (the character id does not)."""
        return {
            "voice_id": self.voice_id, "stability": self.stability, "similarity": self.similarity,
            "style": self.style, "speed": self.speed, "speaker": self.speaker,
            "pitch": self.pitch, "noise": self.noise,
        }


class CastVoice(Protocol):
    """The voice part of a scene's cast entry (``[cast.<id>] voice = {...}``)."""

    @property
    def elevenlabs(self) -> str | None: ...
    @property
    def stability(self) -> float: ...
    @property
    def similarity(self) -> float: ...
    @property
    def style(self) -> float: ...
    @property
    def speed(self) -> float: ...
    @property
    def piper_speaker(self) -> int | None: ...
    @property
    def pitch(self) -> float: ...


def profile_from_cast(character_id: str, voice: CastVoice | None,
                      override_voice_id: str | None = None) -> VoiceProfile:
    """A profile from a cast entry; ``override_voice_id`` (ELEVENLABS_VOICE_<ID>) wins over the scene's."""
    if voice is None:
        return VoiceProfile(character_id=character_id, voice_id=override_voice_id)
    return VoiceProfile(
        character_id=character_id,
        voice_id=override_voice_id or voice.elevenlabs,
        stability=voice.stability, similarity=voice.similarity, style=voice.style,
        speed=voice.speed, speaker=voice.piper_speaker, pitch=voice.pitch,
    )


@dataclass(frozen=True, slots=True)
class SentenceRef:
    """Which sentence of whose line a synthesis is: how a local voice's pool orders its jobs.

    ``session`` is the fairness key (sessions take turns); ``index`` counts the line's
    sentences from 0 and ``part`` the pieces of one sentence (audio tags and the engine's own
    sentence splitting make several). The line's very first piece goes before everything else.
    """

    session: str = ""
    line: str = ""
    index: int = 0
    part: int = 0

    @property
    def first(self) -> bool:
        """The first piece of a line: what its listener is waiting for in silence."""
        return self.index == 0 and self.part == 0


@runtime_checkable
class Voice(Protocol):
    """Text in, PCM16 mono little-endian chunks out, streamed as soon as they exist.

    ``performs_tags`` says whether ``[sighs]``-style tags should be left in the text.
    ``model`` names what produces the sound (part of cache keys). Raise ``VoiceError``.
    ``pool`` declares the CPU worker pool a local voice synthesises in (Piper, Kokoro); it is
    None for a network voice (ElevenLabs), which ignores ``sentence``. ``sentence`` says which
    sentence of whose line this is, so the pool can serve first sentences first and fairly.
    """

    name: str
    model: str
    sample_rate: int
    performs_tags: bool

    @property
    def pool(self) -> SynthesisPool | None: ...

    def synthesize(self, text: str, profile: VoiceProfile, *,
                   sentence: SentenceRef | None = None) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


@contextlib.asynccontextmanager
async def closing(stream: AsyncIterator[bytes]) -> AsyncIterator[AsyncIterator[bytes]]:
    """Close an audio stream however the block ends (cancelled, interrupted, failed, done)."""
    try:
        yield stream
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


class SilentVoice:
    """A fake voice: deterministic silence, ``ms_per_char`` per character at ``speed`` 1.0.

    ``spoken`` records every text it was asked to say, in order (handy in tests).
    """

    name = "silent"
    model = "silence"
    performs_tags = False
    pool = None

    def __init__(self, *, sample_rate: int = 24_000, ms_per_char: float = 60.0,
                 chunk_ms: int = pcm.CHUNK_MS) -> None:
        self.sample_rate = sample_rate
        self.ms_per_char = ms_per_char
        self.chunk_ms = chunk_ms
        self.spoken: list[str] = []
        self.closed = False

    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        self.spoken.append(text)
        length_ms = len(text.strip()) * self.ms_per_char / max(profile.speed, 0.1)
        audio = pcm.silence(length_ms, self.sample_rate)
        for piece in pcm.split(audio, pcm.chunk_bytes(self.sample_rate, self.chunk_ms)):
            await asyncio.sleep(0)  # a real voice yields to the loop between chunks; so does the fake
            yield piece

    async def aclose(self) -> None:
        self.closed = True
