"""Playing over the WebSocket: a full offline playthrough, restarts, text safety, resume after a drop."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from digital_actors.clock import FakeClock
from tests.web.conftest import closed, frame, new_token, open_ws, until, yield_until
from web.keys import REGISTRY


async def test_full_playthrough_to_game_over(client, clock: FakeClock) -> None:
    ws = await open_ws(client)
    await ws.send_json({"type": "start", "scene": "mini"})
    started, _ = await until(ws, "SceneStarted")
    assert started["title"] == "Mini"
    assert started["controls"][0]["id"] == "pump"
    assert "understudy" in started["performer"]
    opening, before = await until(ws, "LineFinished")
    assert opening["text"] == "Hello? Anyone?"
    assert any(f["type"] == "LineDelta" for f in before)

    await ws.send_json({"type": "say", "text": "What is your name?"})
    said, _ = await until(ws, "PlayerSaid")
    assert said["text"] == "What is your name?"
    reply, deltas = await until(ws, "LineFinished")
    assert reply["text"] == "Bob."
    assert "".join(f["text"] for f in deltas if f["type"] == "LineDelta") == "Bob."

    await ws.send_json({"type": "press", "control": "pump"})
    state, _ = await until(ws, "StateChanged")
    assert "hidden" not in state
    assert state["gauges"][0]["value"] == 100  # clamped at max
    pumped, _ = await until(ws, "LineFinished")
    assert pumped["text"] == "Pumping."

    await ws.send_json({"type": "press", "control": "pump"})  # cooling down: refused with the reason
    refusal, _ = await until(ws, "Narration", lambda f: f["kind"] == "refusal")
    assert "cooling down" in refusal["text"]

    await clock.advance(150)
    over, seen = await until(ws, "GameOver")
    assert over["ending_id"] == "suffocated" and over["kind"] == "failure"
    assert not any(f["type"] in ("DirectorNote", "SignalFired") for f in seen)

    await ws.send_json({"type": "say", "text": "hello?"})
    notice, _ = await until(ws, "Notice")
    assert "restart" in notice["message"]
    await ws.send_json({"type": "restart"})
    again, _ = await until(ws, "SceneStarted")
    assert again["gauges"][0]["value"] == 100
    await ws.close()


async def test_script_tags_come_back_as_plain_text(client) -> None:
    ws = await open_ws(client)
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    payload = '<script>alert("x")</script> & <b>bold</b>'
    await ws.send_json({"type": "say", "text": payload})
    said, _ = await until(ws, "PlayerSaid")
    assert said["text"] == payload
    await ws.close()


async def test_commands_before_a_scene_and_unknown_scenes_are_refused(client) -> None:
    ws = await open_ws(client)
    await ws.send_json({"type": "say", "text": "hello"})
    error = await frame(ws)
    assert error["type"] == "Error" and "No scene" in error["message"]
    for bad in ("nope", "../../etc", "/etc/passwd"):
        await ws.send_json({"type": "start", "scene": bad})
        error = await frame(ws)
        assert error["type"] == "Error"
        assert error["message"] == "That scene is not on this server."
        assert error["hint"].startswith("choose one of these: ") and "Mini" in error["hint"]
        assert "mini" not in error["hint"] and "pressure_point" not in error["hint"]  # titles, never ids
    await ws.send_json({"type": "resume"})
    snap = await frame(ws)
    assert snap["type"] == "Snapshot" and snap["view"]["started"] is False
    await ws.close()


async def test_settings_turn_suggestions_and_voice_off(client, app: web.Application) -> None:
    issued = await new_token(client)
    ws = await open_ws(client, issued["token"])
    await ws.send_json({"type": "settings", "voice": False, "suggestions": False})
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    player = app[REGISTRY].lookup(issued["token"])
    assert not isinstance(player, str)
    assert player.voice is False
    assert player.session is not None and player.session.options.suggestions is False
    await ws.close()


async def test_resume_after_a_dropped_socket(client, app: web.Application, clock: FakeClock) -> None:
    issued = await new_token(client)
    ws = await open_ws(client, issued["token"])
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await clock.advance(3)
    state, _ = await until(ws, "StateChanged", lambda f: f["gauges"][0]["value"] == 97)
    await ws.close()

    player = app[REGISTRY].lookup(issued["token"])
    assert not isinstance(player, str)
    await yield_until(lambda: not player.connected)
    assert player.session is not None and player.session.paused
    await clock.advance(60)  # away for a minute, inside the resume window: the scene clock stood still
    assert player.session.world.values["air"] == 97

    ws = await open_ws(client, issued["token"])
    await ws.send_json({"type": "resume"})
    snap, _ = await until(ws, "Snapshot")
    assert snap["view"]["title"] == "Mini"
    assert snap["view"]["gauges"][0]["value"] == 97
    assert snap["view"]["paused"] is False
    assert [e["text"] for e in snap["view"]["transcript"] if e["kind"] == "actor"] == ["Hello? Anyone?"]
    assert snap["player_id"] == issued["player_id"]
    await clock.advance(1)
    state, _ = await until(ws, "StateChanged")
    assert state["gauges"][0]["value"] == 96
    await ws.close()


async def test_player_pause_survives_a_reconnect(client, app: web.Application) -> None:
    issued = await new_token(client)
    ws = await open_ws(client, issued["token"])
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await ws.send_json({"type": "pause"})
    paused, _ = await until(ws, "Paused")
    assert paused["paused"] is True
    await ws.close()
    ws = await open_ws(client, issued["token"])
    player = app[REGISTRY].lookup(issued["token"])
    assert not isinstance(player, str) and player.session is not None
    assert player.session.paused  # the player's own pause is not undone by reconnecting
    await ws.send_json({"type": "resume"})
    resumed, _ = await until(ws, "Paused")
    assert resumed["paused"] is False
    await ws.close()


async def test_a_newer_connection_replaces_the_older_one(client) -> None:
    issued = await new_token(client)
    first = await open_ws(client, issued["token"])
    second = await open_ws(client, issued["token"])
    msg = await closed(first)
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4409
    await second.send_json({"type": "resume"})
    assert (await frame(second))["type"] == "Snapshot"
    await second.close()


async def test_the_player_sets_the_name_the_characters_use(client, app: web.Application) -> None:
    issued = await new_token(client)
    ws = await open_ws(client, issued["token"])
    await ws.send_json({"type": "name", "name": "  Ada  "})
    named, _ = await until(ws, "PlayerNamed")
    assert named["name"] == "Ada"
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    player = app[REGISTRY].lookup(issued["token"])
    assert not isinstance(player, str) and player.session is not None
    assert player.session.player_name == "Ada"
    await ws.send_json({"type": "name", "name": "Ada Lovelace"})  # during a scene: the scene uses it at once
    renamed, _ = await until(ws, "PlayerNamed")
    assert renamed["name"] == "Ada Lovelace" and player.session.player_name == "Ada Lovelace"
    await ws.send_json({"type": "resume"})
    snap, _ = await until(ws, "Snapshot")
    assert snap["name"] == "Ada Lovelace"
    await ws.send_json({"type": "name", "name": ""})
    refused, _ = await until(ws, "Error")
    assert refused["code"] == "invalid"
    await ws.close()
