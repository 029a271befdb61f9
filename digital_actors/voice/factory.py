"""Choosing the voice from settings, and a character's profile from its cast entry.

``auto``: ElevenLabs when ELEVENLABS_API_KEY is set, else Kokoro when both of its files are
set, else Piper when the local-voice extra is installed, else no voice (text only). Every
voice is wrapped in the on-disk cache unless VOICE_CACHE_MB is 0. A local voice synthesises
in a pool of VOICE_WORKERS threads (0: one per usable CPU core; voice/pool.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from digital_actors.config import Settings
from digital_actors.errors import VoiceError
from digital_actors.voice import piper
from digital_actors.voice.base import CastVoice, Voice, VoiceProfile, profile_from_cast
from digital_actors.voice.cache import MIB, CachedVoice, VoiceCache

log = structlog.get_logger()

NO_VOICE = ("No voice: set ELEVENLABS_API_KEY for ElevenLabs voices, or "
            f"{piper.INSTALL_HINT} for an offline one. Playing with text only.")


@dataclass(frozen=True, slots=True)
class VoiceChoice:
    """The voice to use (None = text only) and, when it matters, one notice for the player."""

    voice: Voice | None
    notice: str | None = None


def _build(settings: Settings, provider: str) -> Voice:
    if provider == "elevenlabs":
        from digital_actors.voice.elevenlabs import ElevenLabsVoice

        return ElevenLabsVoice.from_settings(settings)
    if provider == "kokoro":
        from digital_actors.voice.kokoro import KokoroVoice

        return KokoroVoice(model_path=settings.kokoro_model_path,
                           voices_path=settings.kokoro_voices_path,
                           workers=settings.voice_workers or None)
    return piper.PiperVoice(model_path=settings.piper_model_path, workers=settings.voice_workers or None)


def _provider(settings: Settings) -> str | None:
    if settings.voice_provider != "auto":
        return settings.voice_provider
    if settings.elevenlabs_api_key is not None and settings.elevenlabs_api_key.get_secret_value():
        return "elevenlabs"
    if settings.kokoro_model_path and settings.kokoro_voices_path:
        return "kokoro"
    if settings.piper_model_path or piper.available():
        return "piper"
    return None


def choose_voice(settings: Settings, *, cache: VoiceCache | None = None) -> VoiceChoice:
    """The voice these settings ask for, cached; a notice instead when there is none."""
    if not settings.voice or settings.voice_provider == "off":
        return VoiceChoice(None)
    provider = _provider(settings)
    if provider is None:
        return VoiceChoice(None, NO_VOICE)
    try:
        voice = _build(settings, provider)
    except VoiceError as error:
        log.warning("voice.unavailable", provider=provider, reason=error.message)
        return VoiceChoice(None, f"No voice: {error}")
    if settings.voice_cache_mb > 0:
        voice = CachedVoice(voice, cache or VoiceCache(max_bytes=settings.voice_cache_mb * MIB))
    return VoiceChoice(voice)


def profile_for(settings: Settings, character_id: str, cast_voice: CastVoice | None) -> VoiceProfile:
    """A character's profile; ELEVENLABS_VOICE_<CHARACTER_ID> overrides the scene's voice id."""
    return profile_from_cast(character_id, cast_voice, settings.voice_for(character_id))
