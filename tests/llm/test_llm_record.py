"""Record a playthrough's model exchanges, then replay them exactly and offline."""

from __future__ import annotations

import asyncio
import json
from contextlib import aclosing
from pathlib import Path

import pytest

from digital_actors.errors import ConfigError, ModelError
from digital_actors.llm import ChatRequest, Message, PartialReply, ScriptedChatModel
from digital_actors.llm.anthropic import AnthropicChatModel
from digital_actors.llm.base import TextDelta
from digital_actors.llm.errors import ProviderError
from digital_actors.llm.record import RecordingChatModel, ReplayChatModel, digest
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.sse_server import Reply
from tests.llm.helpers import REQUEST, Drained, drain


def ask(text: str, purpose: str = "line") -> ChatRequest:
    return ChatRequest(system=REQUEST.system, messages=(Message("user", text),), max_tokens=40,
                       purpose=purpose)


async def play(model: RecordingChatModel | ReplayChatModel | ScriptedChatModel
               ) -> list[Drained | str]:
    """A little 'playthrough': two lines, a judge, a failed line."""
    out: list[Drained | str] = [await drain(model.stream(ask("Hello?")))]
    out.append((await model.complete(ask("Did they apologise?", "judge"))).text)
    out.append(await drain(model.stream(ask("Pump now!"))))
    out.append(await drain(model.stream(ask("And now?"))))
    return out


def scripted() -> ScriptedChatModel:
    return ScriptedChatModel(
        ["Who's there?", "yes", "Pumping. Hold on.",
         PartialReply("The line", ProviderError("cut", kind="connection", provider="x"))],
        chunk_size=3, provider="anthropic", model="claude-test")


async def test_record_then_replay_is_identical(tmp_path: Path) -> None:
    recorder = RecordingChatModel(scripted(), tmp_path / "rec")
    recorded = await play(recorder)
    await recorder.aclose()
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == [
        "0000.json", "0001.json", "0002.json", "0003.json"]
    saved = json.loads((tmp_path / "rec" / "0000.json").read_text())
    assert saved["digest"] == digest(ask("Hello?")) and saved["text"] == "Who's there?"
    assert saved["deltas"] == ["Who", "'s ", "the", "re?"]

    replay = ReplayChatModel(tmp_path / "rec")
    replayed = await play(replay)
    assert (replay.provider, replay.model) == ("anthropic", "claude-test")
    assert [_comparable(x) for x in replayed] == [_comparable(x) for x in recorded]
    last = replayed[-1]
    assert isinstance(last, Drained) and isinstance(last.error, ProviderError)
    assert last.error.kind == "connection" and last.text == "The line"


def _comparable(item: Drained | str) -> object:
    if isinstance(item, str):
        return item
    error = item.error
    return (item.texts, item.end, None if error is None else (error.message, error.retryable))


async def test_replay_mismatch_names_the_exchange_and_the_difference(tmp_path: Path) -> None:
    recorder = RecordingChatModel(scripted(), tmp_path)
    await play(recorder)
    replay = ReplayChatModel(tmp_path)
    await drain(replay.stream(ask("Hello?")))
    with pytest.raises(ModelError) as caught:
        await replay.complete(ask("Did they say sorry?", "judge"))
    message = str(caught.value)
    assert "exchange #1" in message and "request.messages[0].content" in message
    assert not caught.value.retryable


async def test_replay_running_out_is_an_error(tmp_path: Path) -> None:
    recorder = RecordingChatModel(ScriptedChatModel(["one"]), tmp_path)
    await recorder.complete(ask("a"))
    replay = ReplayChatModel(tmp_path)
    await replay.complete(ask("a"))
    out = await drain(replay.stream(ask("b")))
    assert out.error is not None and "request #1" in out.error.message


async def test_unordered_replay_matches_by_digest(tmp_path: Path) -> None:
    recorder = RecordingChatModel(ScriptedChatModel(["A", "B"]), tmp_path)
    await recorder.complete(ask("first"))
    await recorder.complete(ask("second"))
    replay = ReplayChatModel(tmp_path, strict_order=False)
    assert (await replay.complete(ask("second"))).text == "B"
    assert (await replay.complete(ask("first"))).text == "A"


async def test_interrupted_stream_is_recorded_as_such(tmp_path: Path) -> None:
    recorder = RecordingChatModel(ScriptedChatModel(["abcdefghij"], chunk_size=2), tmp_path)
    async with aclosing(recorder.stream(ask("x"))) as items:
        async for item in items:
            assert item == TextDelta("ab")
            break
    saved = json.loads((tmp_path / "0000.json").read_text())
    assert saved["outcome"] == "interrupted" and saved["deltas"] == ["ab"]
    out = await drain(ReplayChatModel(tmp_path).stream(ask("x")))
    assert out.texts == ["ab"] and out.end is not None and out.end.stop_reason == "interrupted"


def test_refuses_a_non_empty_directory_and_an_empty_replay(tmp_path: Path) -> None:
    (tmp_path / "0000.json").write_text("{}")
    with pytest.raises(ConfigError, match="not empty"):
        RecordingChatModel(ScriptedChatModel([]), tmp_path)
    with pytest.raises(ConfigError, match="no recorded exchanges"):
        ReplayChatModel(tmp_path / "missing")


async def test_records_a_real_sdk_exchange(tmp_path: Path) -> None:
    async with FakeAnthropic([Reply(chunks=["Real ", "text."],
                                    usage={"cache_read_input_tokens": 50})]) as server:
        inner = AnthropicChatModel(api_key="k", model="claude-test", base_url=server.url)
        recorder = RecordingChatModel(inner, tmp_path)
        live = await drain(recorder.stream(REQUEST))
        await recorder.aclose()
    replayed = await drain(ReplayChatModel(tmp_path).stream(REQUEST))
    assert replayed.texts == live.texts == ["Real ", "text."]
    assert replayed.end == live.end
    assert live.end is not None and live.end.usage.cache_read_tokens == 50


async def test_concurrent_calls_are_numbered_in_start_order(tmp_path: Path) -> None:
    recorder = RecordingChatModel(ScriptedChatModel(lambda r: r.messages[0].content.upper(),
                                                    chunk_size=1), tmp_path)
    results = await asyncio.gather(*(drain(recorder.stream(ask(w))) for w in ("ab", "c", "def")))
    assert [r.text for r in results] == ["AB", "C", "DEF"]
    assert saved_texts(tmp_path) == ["AB", "C", "DEF"]  # start order, not finish order


def saved_texts(directory: Path) -> list[str]:
    return [json.loads(p.read_text())["text"] for p in sorted(directory.iterdir())]
