"""VoicePipeline: order, bounded lookahead, cancellation, pauses and errors (no real audio)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import SentenceRef, SilentVoice, VoiceProfile
from digital_actors.voice.pipeline import AudioOut, VoicePipeline

PROFILE = VoiceProfile("engineer")


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.written: list[bytes] = []
        self.stopped = 0
        self.fail = fail

    def write(self, data: bytes, sample_rate: int) -> None:
        if self.fail:
            raise VoiceError("No audio output device was found.", "check the device")
        self.written.append(data)

    def stop(self) -> None:
        self.stopped += 1


class GatedVoice:
    """Each sentence yields one chunk, then waits for its gate before the second and last."""

    name = "gated"
    model = "gate"
    sample_rate = 16_000
    performs_tags = False
    pool = None

    def __init__(self) -> None:
        self.started: list[str] = []
        self.closed: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.changed = asyncio.Event()

    def gate(self, text: str) -> asyncio.Event:
        return self.gates.setdefault(text, asyncio.Event())

    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        self.started.append(text)
        self.changed.set()
        try:
            yield text.encode().ljust(8, b"-")[:8]
            await self.gate(text).wait()
            yield text.encode().ljust(8, b"+")[:8]
        finally:
            self.closed.append(text)

    async def aclose(self) -> None: ...


async def until(condition, voice: GatedVoice) -> None:
    async def wait() -> None:
        while not condition():
            voice.changed.clear()
            await voice.changed.wait()
    await asyncio.wait_for(wait(), 5)


async def collect(pipe: VoicePipeline) -> list[AudioOut]:
    return [out async for out in pipe.chunks()]


async def test_chunks_come_in_order_and_reach_the_sink() -> None:
    voice, sink = SilentVoice(sample_rate=16_000, ms_per_char=30), Sink()
    async with VoicePipeline(voice, PROFILE, sink=sink) as pipe:
        for sentence in ["First one.", "The second sentence is longer.", "Third."]:
            pipe.say(sentence)
        pipe.finish()
        out = await collect(pipe)
    assert [o.seq for o in out] == list(range(len(out)))
    assert [o.sentence for o in out] == sorted(o.sentence for o in out)
    assert {o.sentence for o in out} == {0, 1, 2}
    assert all(o.sample_rate == 16_000 for o in out)
    assert sink.written == [o.pcm for o in out]
    per_sentence = [b"".join(o.pcm for o in out if o.sentence == i) for i in range(3)]
    assert [len(p) for p in per_sentence] == [len(pcm.silence(len(s) * 30, 16_000)) for s in
                                              ["First one.", "The second sentence is longer.", "Third."]]
    assert pipe.first_audio_s is not None and pipe.first_audio_s >= 0
    assert voice.spoken == ["First one.", "The second sentence is longer.", "Third."]


async def test_next_sentence_synthesizes_while_the_current_one_plays() -> None:
    voice = GatedVoice()
    async with VoicePipeline(voice, PROFILE, lookahead=2) as pipe:
        for sentence in ["one", "two", "three"]:
            pipe.say(sentence)
        pipe.finish()
        chunks = pipe.chunks()
        first = await anext(chunks)
        assert first.pcm == b"one-----"
        await until(lambda: "two" in voice.started, voice)
        assert "three" not in voice.started  # bounded: two sentences in flight at most
        voice.gate("two").set()  # sentence 2 finishes before sentence 1: order must still hold
        voice.gate("one").set()
        voice.gate("three").set()
        rest = [out.pcm async for out in chunks]
    assert rest == [b"one+++++", b"two-----", b"two+++++", b"three---", b"three+++"]


async def test_cancel_stops_synthesis_and_playback_and_emits_nothing_more() -> None:
    voice, sink = GatedVoice(), Sink()
    async with VoicePipeline(voice, PROFILE, sink=sink) as pipe:
        pipe.say("one")
        pipe.say("two")
        chunks = pipe.chunks()
        assert (await anext(chunks)).pcm == b"one-----"
        await until(lambda: "two" in voice.started, voice)
        await pipe.cancel()
        assert [out async for out in chunks] == []
        pipe.say("three")  # ignored after cancel
    assert sink.stopped == 1 and pipe.cancelled
    assert sorted(voice.closed) == ["one", "two"]  # both generators were closed
    assert "three" not in voice.started
    assert pipe.chunks_out == 1


async def test_cancel_while_the_consumer_waits() -> None:
    voice = GatedVoice()
    async with VoicePipeline(voice, PROFILE) as pipe:
        pipe.say("one")
        consumer = asyncio.create_task(collect(pipe))
        await until(lambda: "one" in voice.started, voice)
        await pipe.cancel()
        out = await asyncio.wait_for(consumer, 5)
    assert len(out) <= 1 and voice.closed == ["one"]


async def test_sound_effects_become_silence_and_tags_are_not_spoken() -> None:
    voice = SilentVoice(sample_rate=16_000, ms_per_char=10)
    async with VoicePipeline(voice, PROFILE) as pipe:
        pipe.say("[static] Is anyone [sighs] there?")
        pipe.finish()
        out = await collect(pipe)
    assert voice.spoken == ["Is anyone there?"]
    assert out[0].pcm == pcm.silence(500, 16_000)


class FailingVoice(SilentVoice):
    def __init__(self, retryable: bool) -> None:
        super().__init__()
        self.retryable = retryable

    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        self.spoken.append(text)
        raise VoiceError("refused", "hint", retryable=self.retryable)
        yield b""  # pragma: no cover - makes this an async generator


@pytest.mark.parametrize(("retryable", "asked"), [(False, 1), (True, 3)])
async def test_voice_errors_are_reported_and_the_line_goes_on(retryable: bool, asked: int) -> None:
    voice, reported = FailingVoice(retryable), []
    async with VoicePipeline(voice, PROFILE, on_error=reported.append) as pipe:
        for sentence in ["One.", "Two.", "Three."]:
            pipe.say(sentence)
        pipe.finish()
        assert await collect(pipe) == []
    assert len(voice.spoken) == asked
    assert len(reported) == asked and pipe.errors == reported


async def test_a_failing_sink_is_reported_once_and_chunks_still_flow() -> None:
    sink, reported = Sink(fail=True), []
    async with VoicePipeline(SilentVoice(), PROFILE, sink=sink, on_error=reported.append) as pipe:
        pipe.say("Hello there, anyone?")
        pipe.say("Hello again.")
        pipe.finish()
        out = await collect(pipe)
    assert len(out) > 2 and len(reported) == 1 and pipe.sink is None


async def test_leaving_the_block_early_cancels_the_work() -> None:
    voice = GatedVoice()
    async with VoicePipeline(voice, PROFILE) as pipe:
        pipe.say("one")
        await until(lambda: "one" in voice.started, voice)
    assert pipe.cancelled and voice.closed == ["one"]


async def test_say_after_finish_is_a_bug() -> None:
    async with VoicePipeline(SilentVoice(), PROFILE) as pipe:
        pipe.finish()
        with pytest.raises(RuntimeError):
            pipe.say("late")
        assert await collect(pipe) == []


class CrashingVoice(SilentVoice):
    async def synthesize(self, text: str, profile: VoiceProfile, *,
                         sentence: SentenceRef | None = None) -> AsyncIterator[bytes]:
        self.spoken.append(text)
        raise KeyError("provider bug")
        yield b""  # pragma: no cover - makes this an async generator


async def test_an_unexpected_provider_failure_becomes_one_voice_error() -> None:
    voice, reported = CrashingVoice(), []
    async with VoicePipeline(voice, PROFILE, on_error=reported.append) as pipe:
        pipe.say("One.")
        pipe.say("Two.")
        pipe.finish()
        assert await collect(pipe) == []
    assert voice.spoken == ["One."] and len(reported) == 1
    assert "KeyError" in reported[0].message
