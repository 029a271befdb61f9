"""A local voice with Kokoro (``pip install 'digital-actors[kokoro]'``, kokoro-onnx).

Kokoro's model and voices files are not on PyPI with the library: download them once and set
KOKORO_MODEL_PATH and KOKORO_VOICES_PATH. ``profile.voice_id`` picks a Kokoro voice by name
(``af_heart``); unknown names fall back to ``default_voice``.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from digital_actors.clock import Clock, MonotonicClock
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import VoiceProfile
from digital_actors.voice.metrics import TTS_LATENCY, record_error

INSTALL_HINT = "pip install 'digital-actors[kokoro]'"
FILES_HINT = ("Download kokoro-v1.0.onnx and voices-v1.0.bin (the kokoro-onnx project's release "
              "files) and set KOKORO_MODEL_PATH and KOKORO_VOICES_PATH to where they are.")
SAMPLE_RATE = 24_000


class KokoroVoice:
    """Kokoro-82M through onnxruntime, in a worker thread; one sentence at a time."""

    name = "kokoro"
    performs_tags = False
    sample_rate = SAMPLE_RATE

    def __init__(self, *, model_path: str | Path | None, voices_path: str | Path | None,
                 default_voice: str = "af_heart", lang: str = "en-us",
                 chunk_ms: int = pcm.CHUNK_MS, clock: Clock | None = None) -> None:
        missing = [f"{label} ({setting}{': ' + str(path) if path else ' is not set'})"
                   for label, setting, path in (
                       ("the model file", "KOKORO_MODEL_PATH", model_path),
                       ("the voices file", "KOKORO_VOICES_PATH", voices_path))
                   if not path or not Path(path).is_file()]
        if missing:
            raise VoiceError("Kokoro cannot start: missing " + " and ".join(missing) + ".",
                             FILES_HINT)
        if importlib.util.find_spec("kokoro_onnx") is None:
            raise VoiceError("The Kokoro voice needs the kokoro-onnx package.", INSTALL_HINT)
        assert model_path is not None and voices_path is not None
        self.model_path, self.voices_path = Path(model_path), Path(voices_path)
        self.model = self.model_path.name
        self.default_voice = default_voice
        self.lang = lang
        self.chunk_ms = chunk_ms
        self._clock = clock or MonotonicClock()
        self._engine: Any = None
        self._lock = asyncio.Lock()
        self._busy = asyncio.Lock()

    async def _loaded(self) -> Any:
        async with self._lock:
            if self._engine is None:
                from kokoro_onnx import Kokoro

                try:
                    self._engine = await asyncio.to_thread(Kokoro, str(self.model_path),
                                                           str(self.voices_path))
                except Exception as exc:
                    record_error(self.name, "load")
                    raise VoiceError(f"Could not load Kokoro from {self.model_path.name} and "
                                     f"{self.voices_path.name}: {exc}", FILES_HINT) from exc
            return self._engine

    def voice_name(self, engine: Any, profile: VoiceProfile) -> str:
        voices: list[str] = list(engine.get_voices())
        for candidate in (profile.voice_id, self.default_voice):
            if candidate in voices:
                return candidate
        return voices[0]

    async def synthesize(self, text: str, profile: VoiceProfile) -> AsyncIterator[bytes]:
        if not text.strip():
            return
        engine = await self._loaded()
        started = self._clock.now()
        speed = min(2.0, max(0.5, profile.speed / pcm.pitch_factor(profile.pitch)))
        try:
            async with self._busy:  # one synthesis at a time: parallel ones only share the CPU
                samples, rate = await asyncio.to_thread(
                    engine.create, text, voice=self.voice_name(engine, profile), speed=speed,
                    lang=self.lang)
        except Exception as exc:
            record_error(self.name, "synthesis")
            raise VoiceError(f"Kokoro could not speak this line: {exc}",
                             "The line is shown as text.") from exc
        audio = pcm.shift_pitch(pcm.resample(pcm.from_float(samples), int(rate), self.sample_rate),
                                profile.pitch)
        TTS_LATENCY.labels(provider=self.name).observe(self._clock.now() - started)
        for piece in pcm.split(audio, pcm.chunk_bytes(self.sample_rate, self.chunk_ms)):
            yield piece

    async def aclose(self) -> None:
        self._engine = None
