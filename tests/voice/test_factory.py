"""Choosing a voice from settings, profiles from cast entries, and the silent fake."""

from __future__ import annotations

import pytest

from digital_actors.config import Settings
from digital_actors.scene.model import VoiceSettings
from digital_actors.voice import factory, pcm
from digital_actors.voice import piper as piper_module
from digital_actors.voice.base import SilentVoice, Voice, VoiceProfile, profile_from_cast
from digital_actors.voice.cache import CachedVoice
from digital_actors.voice.factory import choose_voice, profile_for


def test_voice_off_means_no_voice_and_no_notice() -> None:
    assert choose_voice(Settings(voice=False)) == factory.VoiceChoice(None)
    assert choose_voice(Settings(voice_provider="off")) == factory.VoiceChoice(None)


async def test_elevenlabs_when_a_key_is_set() -> None:
    choice = choose_voice(Settings(elevenlabs_api_key="k"))
    assert isinstance(choice.voice, CachedVoice) and choice.voice.name == "elevenlabs"
    await choice.voice.aclose()


def test_no_key_and_no_local_voice_gives_one_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_module, "available", lambda: False)
    choice = choose_voice(Settings())
    assert choice.voice is None and choice.notice == factory.NO_VOICE
    assert "ELEVENLABS_API_KEY" in factory.NO_VOICE and "local-voice" in factory.NO_VOICE


@pytest.mark.skipif(not piper_module.available(), reason="pip install -e '.[local-voice]'")
def test_piper_is_the_default_without_a_key() -> None:
    choice = choose_voice(Settings())
    assert isinstance(choice.voice, CachedVoice) and choice.voice.name == "piper"
    uncached = choose_voice(Settings(voice_cache_mb=0)).voice
    assert isinstance(uncached, piper_module.PiperVoice)


def test_kokoro_without_files_explains_itself() -> None:
    choice = choose_voice(Settings(voice_provider="kokoro"))
    assert choice.voice is None and choice.notice is not None
    assert "KOKORO_MODEL_PATH" in choice.notice and "KOKORO_VOICES_PATH" in choice.notice


def test_profile_from_the_scene_cast_and_the_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    cast = VoiceSettings(elevenlabs="scene-voice", stability=0.3, similarity=0.9, style=0.1,
                         speed=1.2, piper_speaker=2, pitch=-2.0)
    profile = profile_for(Settings(), "engineer", cast)
    assert profile == VoiceProfile("engineer", "scene-voice", 0.3, 0.9, 0.1, 1.2, 2, -2.0)
    monkeypatch.setenv("ELEVENLABS_VOICE_ENGINEER", "env-voice")
    assert profile_for(Settings(), "engineer", cast).voice_id == "env-voice"
    assert profile_for(Settings(), "engineer", None) == VoiceProfile("engineer", "env-voice")
    assert profile_from_cast("medic", None) == VoiceProfile("medic")


async def test_silent_voice_is_a_voice_with_deterministic_silence() -> None:
    voice = SilentVoice(sample_rate=8_000, ms_per_char=100)
    assert isinstance(voice, Voice)
    chunks = [c async for c in voice.synthesize("abcd", VoiceProfile("x"))]
    assert b"".join(chunks) == pcm.silence(400, 8_000) and len(chunks) == 4
    faster = [c async for c in voice.synthesize("abcd", VoiceProfile("x", speed=2.0))]
    assert len(b"".join(faster)) == len(pcm.silence(200, 8_000))
    assert voice.spoken == ["abcd", "abcd"]
