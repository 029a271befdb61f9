"""Bounded fan-out: a subscriber that never reads holds at most ``audio_limit`` audio chunks
(oldest dropped first) and every other event, in order."""

from __future__ import annotations

from digital_actors import events as ev
from digital_actors.bus import EventBus


def chunk(seq: int) -> ev.AudioChunk:
    return ev.AudioChunk("line-1", seq, 24_000, b"\x00\x00" * 240)


async def test_a_consumer_that_never_reads_keeps_all_text_and_only_the_newest_audio() -> None:
    bus = EventBus()
    stuck = bus.subscribe(audio_limit=50)
    reader = bus.subscribe(audio_limit=50)
    read: list[ev.Event] = []
    for seq in range(1000):
        bus.emit(chunk(seq))
        if seq % 10 == 0:
            bus.emit(ev.LineDelta("line-1", f"word{seq} "))
        if seq % 10 == 5:
            read += reader.drain()  # a reader that keeps up loses nothing
    bus.emit(ev.LineFinished("line-1", "bob", "all the words"))
    read += reader.drain()
    assert [e.seq for e in read if isinstance(e, ev.AudioChunk)] == list(range(1000)) and len(read) == 1101
    kept = stuck.drain()
    audio = [e.seq for e in kept if isinstance(e, ev.AudioChunk)]
    text = [e for e in kept if not isinstance(e, ev.AudioChunk)]
    assert audio == list(range(950, 1000))  # the newest 50, in order
    assert stuck.dropped_audio == 950
    assert [e.text for e in text if isinstance(e, ev.LineDelta)] == [f"word{s} " for s in range(0, 1000, 10)]
    assert isinstance(text[-1], ev.LineFinished)
    assert reader.dropped_audio == 0


async def test_closing_ends_iteration_after_what_was_queued() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    bus.emit(ev.Paused(True))
    bus.close()
    got = [e async for e in sub]
    assert got == [ev.Paused(True)]
    assert [e async for e in sub] == []  # stays closed
    bus.emit(ev.Paused(False))  # after close: nobody subscribed
    assert sub.drain() == []
