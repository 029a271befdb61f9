"""A local voice in the pool, through real pipelines and LineSpeech, with the fake ToneEngine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from digital_actors import events as ev
from digital_actors.clock import MonotonicClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.errors import VoiceError
from digital_actors.voice import pcm
from digital_actors.voice.base import SentenceRef, SilentVoice, VoiceProfile
from digital_actors.voice.cache import MIB, CachedVoice, VoiceCache
from digital_actors.voice.factory import choose_voice
from digital_actors.voice.line import LineSpeech
from digital_actors.voice.local import LocalVoice
from digital_actors.voice.pipeline import AudioOut, VoicePipeline
from digital_actors.voice.pool import SynthesisPool
from digital_actors.voice.tone import ToneEngine, tone
from tests.voice.stepping import StepExecutor, eventually

PROFILE = VoiceProfile("engineer")


async def stepped(workers: int = 1, **engine: object) -> tuple[LocalVoice, ToneEngine, StepExecutor]:
    executor = StepExecutor()
    fake = ToneEngine(**engine)  # type: ignore[arg-type]
    voice = LocalVoice(fake, title="Tone", pool=SynthesisPool(workers=workers, cpus=2, executor=executor))
    await voice.warm()
    return voice, fake, executor


def line(voice: LocalVoice, session: str, *sentences: str) -> tuple[VoicePipeline, asyncio.Task[list[AudioOut]]]:
    pipe = VoicePipeline(voice, PROFILE, session=session, line=f"{session}-1")
    pipe.start()
    for sentence in sentences:
        pipe.say(sentence)
    pipe.finish()

    async def collect() -> list[AudioOut]:
        return [out async for out in pipe.chunks()]
    return pipe, asyncio.create_task(collect())


async def test_first_sentences_of_other_lines_go_before_a_long_lines_later_ones() -> None:
    voice, fake, executor = await stepped(workers=1)
    _, long_audio = line(voice, "a", "A one.", "A two.", "A three.", "A four.")
    await executor.wait_pending()  # A one is in the only worker ...
    await eventually(lambda: voice.pool.queued == 1)  # ... and A two waits (lookahead 2)
    others = [line(voice, s, f"{s.upper()} first.", f"{s.upper()} second.") for s in ("b", "c")]
    await eventually(lambda: voice.pool.queued == 5)
    tasks = [long_audio, *(audio for _, audio in others)]
    while not all(task.done() for task in tasks):
        await executor.step()
        await eventually(lambda: bool(executor.pending) or all(task.done() for task in tasks))
    assert fake.rendered[:3] == ["A one.", "B first.", "C first."]
    assert fake.rendered[3:6] == ["A two.", "B second.", "C second."]  # then in turns
    assert fake.rendered[6:] == ["A three.", "A four."]
    heard = b"".join(out.pcm for out in long_audio.result())
    assert heard == b"".join(tone(len(s) * 10, 16_000) for s in ["A one.", "A two.", "A three.", "A four."])
    assert voice.pool.peak == 1


async def test_one_job_per_sentence_so_the_first_is_out_before_the_rest_is_made() -> None:
    voice, fake, executor = await stepped(workers=2)
    stream = voice.synthesize("First one. Second one! Third?", PROFILE, sentence=SentenceRef("s", "l", 0))
    first = asyncio.create_task(anext(stream))
    await executor.step()
    assert await first == tone(len("First one.") * 10, 16_000)[:pcm.chunk_bytes(16_000)]
    assert fake.rendered == ["First one."] and executor.submitted == 1  # nothing else was asked yet
    rest = asyncio.create_task(_drain(stream))
    for _ in range(2):
        await executor.step()
    await asyncio.wait_for(rest, 5)  # no further job: the last sentence said it was the last
    assert fake.rendered == ["First one.", "Second one!", "Third?"] and voice.pool.started == 3


async def _drain(stream: object) -> None:
    async for _ in stream:  # type: ignore[attr-defined]
        pass


async def test_a_cut_line_drops_its_queued_sentences() -> None:
    voice, fake, executor = await stepped(workers=1)
    pipe, audio = line(voice, "a", "A one.", "A two.", "A three.")
    await executor.wait_pending()
    await eventually(lambda: voice.pool.queued == 1)
    await pipe.cancel()
    assert voice.pool.queued == 0 and voice.pool.dropped == 1
    _, other_audio = line(voice, "b", "B one.")
    await eventually(lambda: voice.pool.queued == 1)
    while not other_audio.done():
        await executor.step()
        await eventually(lambda: bool(executor.pending) or other_audio.done())
    await audio
    assert fake.rendered == ["A one.", "B one."]  # A two never ran, A three was never asked for
    assert other_audio.result()


async def test_a_failing_engine_surfaces_as_a_voice_error_and_the_pool_goes_on() -> None:
    voice, fake, executor = await stepped(workers=1, fail_on=frozenset({"Broken."}))
    reported: list[VoiceError] = []
    pipe = VoicePipeline(voice, PROFILE, session="a", on_error=reported.append)
    pipe.start()
    pipe.say("Broken.")
    pipe.say("Fine.")
    pipe.finish()
    audio = asyncio.create_task(_collect(pipe))
    while not audio.done():
        await executor.step()
        await eventually(lambda: bool(executor.pending) or audio.done())
    assert [e.message for e in reported] == ["Tone could not speak this line: cannot say 'Broken.'"]
    assert reported[0].hint and fake.rendered == ["Fine."]
    assert b"".join(o.pcm for o in await audio) == tone(len("Fine.") * 10, 16_000)


async def _collect(pipe: VoicePipeline) -> list[AudioOut]:
    return [out async for out in pipe.chunks()]


async def test_a_load_failure_is_a_voice_error() -> None:
    class Unloadable(ToneEngine):
        def load(self, *, threads: int) -> None:
            raise OSError("no such model")

    voice = LocalVoice(Unloadable(), title="Tone", pool=SynthesisPool(workers=1, executor=StepExecutor()))
    with pytest.raises(VoiceError, match="Could not load the Tone voice: no such model"):
        await _drain(voice.synthesize("Hello.", PROFILE))


async def test_line_speech_names_the_session_line_and_sentence_for_the_pool() -> None:
    seen: list[SentenceRef | None] = []

    class Recording(LocalVoice):
        def synthesize(self, text: str, profile: VoiceProfile, *, sentence: SentenceRef | None = None):  # type: ignore[no-untyped-def]
            seen.append(sentence)
            return super().synthesize(text, profile, sentence=sentence)

    voice = Recording(ToneEngine(), title="Tone", workers=1)
    events: list[ev.Event] = []
    speech = LineSpeech(voice, PROFILE, line_id="L7", emit=events.append, clock=MonotonicClock(),
                        session="player-1")
    speech.start()
    speech.feed("Yes. Go on [beep]")
    speech.feed(" then. Now")
    await speech.finish()
    assert len(seen) == 4 and set(seen) == {  # sentences overlap (lookahead): compare as a set
        SentenceRef("player-1", "L7", 0, 0), SentenceRef("player-1", "L7", 1, 0),
        SentenceRef("player-1", "L7", 1, 1), SentenceRef("player-1", "L7", 2, 0)}
    assert isinstance(events[-1], ev.AudioFinished) and events[-1].chunks > 0
    plain = LineSpeech(voice, PROFILE, line_id="L8", emit=events.append, clock=MonotonicClock())
    plain.start()
    plain.feed("Alone.")
    await plain.finish()
    assert seen[-1] == SentenceRef("L8", "L8", 0, 0)  # the line stands in for its session
    await voice.aclose()


async def test_network_voices_declare_no_pool_and_the_cache_shows_the_inner_one(tmp_path: Path) -> None:
    choice = choose_voice(Settings(_env_file=None, voice_provider="elevenlabs", elevenlabs_api_key="k"))  # type: ignore[call-arg]
    assert choice.voice is not None and choice.voice.pool is None
    await choice.voice.aclose()
    voice = CachedVoice(LocalVoice(ToneEngine(), title="Tone", workers=3), VoiceCache(tmp_path, max_bytes=MIB))
    assert voice.pool is not None and voice.pool.workers == 3
    await _drain(voice.synthesize("Hello there.", PROFILE, sentence=SentenceRef("s", "l", 0)))
    await _drain(voice.synthesize("Hello there.", PROFILE, sentence=SentenceRef("s", "l", 0)))
    assert voice.pool.started == 1  # the second time came from the cache: no worker needed
    await voice.aclose()


def test_the_engine_says_how_many_cpu_workers_speak() -> None:
    engine = Engine(Settings(_env_file=None, voice=True), voice=LocalVoice(ToneEngine(), title="Tone", workers=3))  # type: ignore[call-arg]
    assert engine.voice_status == "tone (tone, 3 CPU workers)"
    assert Engine(Settings(_env_file=None, voice=True), voice=SilentVoice()).voice_status == "silent (silence)"  # type: ignore[call-arg]
