"""The terminal game plays voiced lines through the one terminal player (voice/playback.py):
volume from the settings, silence when a line is cut, one notice and text only without a device."""

from __future__ import annotations

from digital_actors import events as ev
from digital_actors.errors import VoiceError
from tests.tui.conftest import AppFactory
from tui.providers import Preferences

CHUNK = ev.AudioChunk("l1", 0, 22_050, b"\x01\x00" * 100)


class RecordingSink:
    """An AudioSink that records what the app asks of it; ``broken`` plays the missing device."""

    def __init__(self, *, broken: bool = False) -> None:
        self.volume = 1.0
        self.written: list[tuple[int, float]] = []
        self.stops = 0
        self.closed = False
        self.broken = broken

    def write(self, data: bytes, sample_rate: int) -> None:
        if self.broken:
            raise VoiceError("No audio output device was found.", "Check that a speaker is connected.")
        self.written.append((sample_rate, self.volume))

    def stop(self) -> None:
        self.stops += 1

    def close(self) -> None:
        self.closed = True


async def test_chunks_play_at_the_chosen_volume_and_a_cut_line_falls_silent(make_app: AppFactory) -> None:
    sink = RecordingSink()
    app, _ = make_app(play=False, audio=sink)
    async with app.run_test() as pilot:
        app.preferences = Preferences(voice=True, volume=0.4)
        app.play_audio(CHUNK)
        assert sink.written == [(22_050, 0.4)]
        app.play_audio(ev.AudioFinished("l1", 1, interrupted=True))
        assert sink.stops == 1
        app.preferences = Preferences(voice=False)
        app.play_audio(CHUNK)  # voice off in the settings: nothing is played
        assert len(sink.written) == 1
        await pilot.pause()
    assert sink.closed


async def test_no_device_means_one_notice_then_text_only(make_app: AppFactory) -> None:
    sink = RecordingSink(broken=True)
    app, _ = make_app(play=False, audio=sink)
    async with app.run_test() as pilot:
        app.preferences = Preferences(voice=True)
        app.play_audio(CHUNK)
        app.play_audio(CHUNK)
        await pilot.pause()
        assert app.audio is None
        assert app.voice_notes == ["No audio output device was found."]
