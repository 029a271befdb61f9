"""Leaving a scene from the page: the scene ends on the server, its attempt is recorded as ``quit``
(unless it had ended), and nothing of it reaches the page afterwards. Also: acting resumes a paused
clock (as in the terminal game), and the text speed paces the next scene."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from digital_actors.clock import FakeClock
from digital_actors.engine import READING_PACE, Engine
from digital_actors.memory.store import SqliteMemoryStore
from tests.web.conftest import frame, new_token, open_ws, until
from web import create_app
from web.keys import REGISTRY
from web.player import PlayerSession

Client = TestClient[web.Request, web.Application]


def player_of(client: Client, token: str) -> PlayerSession:
    found = client.app[REGISTRY].lookup(token)
    assert not isinstance(found, str)
    return found


async def outcomes(store: SqliteMemoryStore, player_id: str) -> list[str]:
    return [a["outcome"] for a in (await store.export(player_id))["scene_attempts"]]


async def test_leaving_records_quit_and_nothing_of_the_scene_follows(
        remembering: Client, store: SqliteMemoryStore, clock: FakeClock) -> None:
    issued = await new_token(remembering)
    ws = await open_ws(remembering, issued["token"])
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await ws.send_json({"type": "leave"})
    left, before = await until(ws, "Snapshot")
    assert left["view"]["started"] is False and left["view"]["over"] is None and left["view"]["transcript"] == []
    assert not any(f["type"] == "GameOver" for f in before)
    assert await outcomes(store, issued["player_id"]) == ["quit"]  # written before the answer came
    assert player_of(remembering, issued["token"]).session is None

    await clock.advance(200)  # the air would have run out long ago: the scene that was left is closed
    await ws.send_json({"type": "resume"})
    nothing_else = await frame(ws)  # the very next frame answers the resume: no GameOver, no line
    assert nothing_else["type"] == "Snapshot" and nothing_else["view"]["started"] is False
    await ws.send_json({"type": "say", "text": "still there?"})
    refused = await frame(ws)
    assert refused["type"] == "Error" and refused["message"] == "No scene is playing yet."
    assert await outcomes(store, issued["player_id"]) == ["quit"]
    await ws.close()


async def test_leaving_after_the_ending_keeps_the_ending(
        remembering: Client, store: SqliteMemoryStore, clock: FakeClock) -> None:
    issued = await new_token(remembering)
    ws = await open_ws(remembering, issued["token"])
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await clock.advance(150)
    over, _ = await until(ws, "GameOver")
    assert over["kind"] == "failure"
    await ws.send_json({"type": "leave"})
    left, _ = await until(ws, "Snapshot")
    assert left["view"]["over"] is None  # the page's ending is gone with the scene
    assert await outcomes(store, issued["player_id"]) == ["failure"]
    await ws.send_json({"type": "start", "scene": "mini"})  # and the next scene starts as usual
    again, _ = await until(ws, "SceneStarted")
    assert again["view"]["over"] is None
    await ws.close()


async def test_leaving_keeps_the_name_and_works_with_no_scene(client: Client) -> None:
    ws = await open_ws(client)
    await ws.send_json({"type": "leave"})  # nothing to leave: still a clean answer
    empty = await frame(ws)
    assert empty["type"] == "Snapshot" and empty["view"]["started"] is False
    await ws.send_json({"type": "name", "name": "Ada"})
    await until(ws, "PlayerNamed")
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await ws.send_json({"type": "leave"})
    left, _ = await until(ws, "Snapshot")
    assert left["name"] == "Ada"
    await ws.close()


async def test_speaking_or_pressing_resumes_a_paused_clock(client: Client, clock: FakeClock) -> None:
    issued = await new_token(client)
    ws = await open_ws(client, issued["token"])
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    player = player_of(client, issued["token"])
    for command in ({"type": "say", "text": "hello"}, {"type": "press", "control": "pump"}):
        await ws.send_json({"type": "pause"})
        paused, _ = await until(ws, "Paused")
        assert paused["paused"] is True
        await ws.send_json(command)
        resumed, _ = await until(ws, "Paused")
        assert resumed["paused"] is False and player.session is not None and not player.session.paused
    await ws.close()


@pytest.mark.parametrize(("speed", "share"), [("slow", 1.8), ("normal", 1.0), ("fast", 0.45), ("instant", 0.0)])
async def test_the_text_speed_paces_the_next_scene(settings_factory: Callable[..., Any], clock: FakeClock,
                                                   speed: str, share: float) -> None:
    settings = settings_factory()
    app = create_app(settings, engine=Engine(settings, clock=clock), pace=READING_PACE)
    async with TestClient(TestServer(app)) as client:
        issued = await new_token(client)
        ws = await open_ws(client, issued["token"])
        await ws.send_json({"type": "settings", "text_speed": speed})
        await ws.send_json({"type": "start", "scene": "mini"})
        await until(ws, "SceneStarted")
        session = player_of(client, issued["token"]).session
        assert session is not None
        assert session.actor.pace == pytest.approx(READING_PACE * share)  # type: ignore[attr-defined]
        await ws.close()


async def test_resume_without_a_snapshot_only_resumes(client: Client) -> None:
    issued = await new_token(client)
    ws = await open_ws(client, issued["token"])
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await ws.send_json({"type": "pause"})
    await until(ws, "Paused")
    await ws.send_json({"type": "resume", "snapshot": False})
    resumed, before = await until(ws, "Paused")
    assert resumed["paused"] is False
    await ws.send_json({"type": "name", "name": "Ada"})  # a round trip: anything the resume sent is in
    _, after = await until(ws, "PlayerNamed")
    assert not any(f["type"] == "Snapshot" for f in before + after)
    await ws.send_json({"type": "resume"})  # the default still answers with the whole view
    snap = await frame(ws)
    assert snap["type"] == "Snapshot" and snap["view"]["started"] is True
    await ws.close()
