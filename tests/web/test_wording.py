"""What a web player reads is in their words: operator news (keys to set, packages to install, which
model answers) is reworded or kept from them; refusals and close reasons never name an API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from digital_actors import events as ev
from digital_actors.clock import FakeClock
from digital_actors.engine import Engine
from tests.web.conftest import open_ws, until
from web import create_app, protocol, wording

# What a player must never read: env vars, commands, HTTP, internal ids.
DEVELOPER = re.compile(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+|pip install|POST |/api/|HTTP \d|digital-actors |`|\btoken\b|"
                       r"understudy|performer|memory store|ANTHROPIC|ELEVENLABS", re.I)


def test_every_sentence_of_the_wording_is_for_players() -> None:
    sentences = [t for t in wording.NOTICES.values() if t] + list(wording.TOKEN_CLOSED.values()) + [
        wording.ORIGIN_CLOSED, wording.SHUTTING_DOWN, wording.BAD_COMMAND, wording.BAD_COMMAND_HINT]
    for text in sentences:
        assert not DEVELOPER.search(text), text
        assert len(text.encode()) <= 123, text  # a WebSocket close reason's limit


def test_operator_news_is_reworded_or_kept_from_the_page() -> None:
    voice = protocol.player_view(ev.Notice("No voice: set ELEVENLABS_API_KEY for ElevenLabs voices, or "
                                           "pip install 'digital-actors[local-voice]'", "info", topic="voice"))
    assert voice == {"type": "Notice", "message": wording.NOTICES["voice"], "level": "info", "topic": "voice"}
    assert protocol.player_view(ev.Notice("understudy (no model configured: set ANTHROPIC_API_KEY)", "warning",
                                          topic="performer")) is None
    down = protocol.player_view(ev.Notice("Claude (x) is not answering (HTTP 529)", "warning", topic="model"))
    assert down is not None and down["message"] == wording.NOTICES["model"] and down["level"] == "warning"
    back = protocol.player_view(ev.Notice("Claude (x) is answering again.", "warning", topic="model_back"))
    assert back is not None and back["message"] == wording.NOTICES["model_back"] and back["level"] == "info"
    from digital_actors.engine import MEMORY_UNREAD
    from digital_actors.memory.binding import NOT_SAVED, SAVED_AGAIN

    for text, level, topic in ((MEMORY_UNREAD, "warning", "memory"), (NOT_SAVED, "warning", "saving"),
                               (SAVED_AGAIN, "info", "saving_back")):
        shown = protocol.player_view(ev.Notice(text, level, topic=topic))  # type: ignore[arg-type]
        assert shown is not None and shown["message"] == wording.NOTICES[topic] and shown["level"] == level
        assert not DEVELOPER.search(shown["message"])
    plain = ev.Notice("The scene is over: restart to play again.", "info")  # already in the player's words
    assert protocol.player_view(plain) == {"type": "Notice", "message": plain.message, "level": "info", "topic": ""}


async def test_a_server_without_voices_tells_the_player_plainly(settings_factory: Callable[..., Any],
                                                                clock: FakeClock) -> None:
    settings = settings_factory(voice=True, voice_provider="elevenlabs")  # asked for, but no key: no voice
    app = create_app(settings, engine=Engine(settings, clock=clock), pace=0)
    async with TestClient(TestServer(app)) as client:
        ws = await open_ws(client)
        await ws.send_json({"type": "start", "scene": "mini"})
        notice, _ = await until(ws, "Notice")
        assert notice["message"] == wording.NOTICES["voice"]
        _, frames = await until(ws, "LineFinished")
        await ws.close()
    shown = json.dumps([notice, *frames])
    assert "ELEVENLABS" not in shown and "pip install" not in shown
