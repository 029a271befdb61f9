"""A local voice with Kokoro (``pip install 'digital-actors[kokoro]'``, kokoro-onnx).

Kokoro's model and voices files are not on PyPI with the library: download them once and set
KOKORO_MODEL_PATH and KOKORO_VOICES_PATH. ``profile.voice_id`` picks a Kokoro voice by name
(``af_heart``); unknown names fall back to ``default_voice``. Each sentence is one job in the
local voices' ``SynthesisPool`` (voice/pool.py).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from digital_actors.clock import Clock
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import VoiceProfile
from digital_actors.voice.local import LocalVoice, onnx_options
from digital_actors.voice.pool import SynthesisPool

INSTALL_HINT = "pip install 'digital-actors[kokoro]'"
FILES_HINT = ("Download kokoro-v1.0.onnx and voices-v1.0.bin (the kokoro-onnx project's release "
              "files) and set KOKORO_MODEL_PATH and KOKORO_VOICES_PATH to where they are.")
SAMPLE_RATE = 24_000


class KokoroEngine:
    """Kokoro-82M through onnxruntime as a ``LocalEngine``: one item of audio per text."""

    name = "kokoro"
    sample_rate = SAMPLE_RATE

    def __init__(self, model_path: Path, voices_path: Path, *, default_voice: str = "af_heart",
                 lang: str = "en-us") -> None:
        self.model_path, self.voices_path = model_path, voices_path
        self.model = model_path.name
        self.default_voice = default_voice
        self.lang = lang
        self._engine: Any = None

    def load(self, *, threads: int) -> None:
        import onnxruntime
        from kokoro_onnx import Kokoro

        try:
            session = onnxruntime.InferenceSession(str(self.model_path), sess_options=onnx_options(threads),
                                                   providers=["CPUExecutionProvider"])
            self._engine = Kokoro.from_session(session, str(self.voices_path))
        except Exception as exc:
            raise VoiceError(f"Could not load Kokoro from {self.model_path.name} and "
                             f"{self.voices_path.name}: {exc}", FILES_HINT) from exc

    def voice_name(self, profile: VoiceProfile) -> str:
        voices: list[str] = list(self._engine.get_voices())
        for candidate in (profile.voice_id, self.default_voice):
            if candidate in voices:
                return candidate
        return voices[0]

    def render(self, text: str, profile: VoiceProfile) -> Iterator[tuple[bytes, bool]]:
        speed = min(2.0, max(0.5, profile.speed / pcm.pitch_factor(profile.pitch)))
        samples, rate = self._engine.create(text, voice=self.voice_name(profile), speed=speed,
                                            lang=self.lang)
        yield pcm.shift_pitch(pcm.resample(pcm.from_float(samples), int(rate), self.sample_rate),
                              profile.pitch), True


class KokoroVoice(LocalVoice):
    """Kokoro in the local pool. The model loads lazily, once, on the first line."""

    def __init__(self, *, model_path: str | Path | None, voices_path: str | Path | None,
                 default_voice: str = "af_heart", lang: str = "en-us",
                 pool: SynthesisPool | None = None, workers: int | None = None,
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
        self.kokoro = KokoroEngine(Path(model_path), Path(voices_path), default_voice=default_voice,
                                   lang=lang)
        self.model_path, self.voices_path = self.kokoro.model_path, self.kokoro.voices_path
        super().__init__(self.kokoro, title="Kokoro", pool=pool, workers=workers,
                         chunk_ms=chunk_ms, clock=clock)
