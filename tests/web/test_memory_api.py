"""GET /api/memory and DELETE /api/memory[/{id}]: the token's player only, lookalike tokens refused,
answers in the player's words, forgetting everything really forgets (and the next scene starts fresh)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.engine import Engine
from digital_actors.errors import MemoryStoreError
from digital_actors.memory.store import SqliteMemoryStore
from tests.web.conftest import new_token, open_ws, until
from web import create_app, wording
from web.memory import NOT_AVAILABLE, NOT_READABLE

Client = TestClient[web.Request, web.Application]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def play_and_leave(client: Client, token: str, words: str = "My name is Ada.") -> None:
    """One short visit: the player says something, then leaves (the attempt and its notes are written)."""
    ws = await open_ws(client, token)
    await ws.send_json({"type": "start", "scene": "mini"})
    await until(ws, "LineFinished")
    await ws.send_json({"type": "say", "text": words})
    await until(ws, "LineFinished")
    await ws.send_json({"type": "leave"})
    await until(ws, "Snapshot")
    await ws.close()


async def notes(client: Client, token: str) -> list[dict[str, Any]]:
    response = await client.get("/api/memory", headers=bearer(token))
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["available"] is True and response.headers["Cache-Control"] == "no-store"
    return list(body["notes"])


async def test_a_new_player_is_remembered_after_a_scene_and_sees_who_remembers(remembering: Client) -> None:
    issued = await new_token(remembering)
    assert await notes(remembering, issued["token"]) == []  # nothing before a first scene (and no row made)
    await play_and_leave(remembering, issued["token"])
    got = await notes(remembering, issued["token"])
    assert [n["text"] for n in got] == ["They told me their name is Ada.",
                                        "Last time they walked away before it was over."]  # heaviest first
    assert {n["who"] for n in got} == {"Bob"}  # the character's name, never the cast id "bob"
    assert all(n["id"].isdigit() for n in got)


@pytest.mark.parametrize("mangle", [
    lambda t: {},                                          # no header at all
    lambda t: {"Authorization": t},                        # no scheme
    lambda t: {"Authorization": f"Basic {t}"},             # another scheme
    lambda t: {"Authorization": f"Bearer {t}x"},           # one character more
    lambda t: {"Authorization": f"Bearer {t[:-1]}"},       # one character less
    lambda t: {"Authorization": f"Bearer {t.swapcase()}"},  # case matters in a token
    lambda t: {"Authorization": f"Bearer  {t}"},           # a second space is part of the token
    lambda t: {"Authorization": f"Bearer {t}="},           # padding added
    lambda t: {"Authorization": f"Bearer {t},{t}"},        # the token twice
    lambda t: {"Authorization": "Bearer "},
    lambda t: {"Cookie": f"token={t}"},                    # only the header counts
])
async def test_lookalike_tokens_are_refused_in_the_players_words(remembering: Client, mangle: Any) -> None:
    issued = await new_token(remembering)
    await play_and_leave(remembering, issued["token"])
    headers = mangle(issued["token"])
    for method, path in (("GET", "/api/memory"), ("DELETE", "/api/memory"), ("DELETE", "/api/memory/1")):
        response = await remembering.request(method, path, headers=headers)
        assert response.status == 401, (method, path, headers)
        body = await response.json()
        assert body["error"] in wording.TOKEN_CLOSED.values() and "api" not in body["error"].lower()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(await notes(remembering, issued["token"])) == 2  # nothing was forgotten


async def test_a_token_in_the_query_string_is_not_enough(remembering: Client) -> None:
    issued = await new_token(remembering)
    response = await remembering.get(f"/api/memory?token={issued['token']}")
    assert response.status == 401


async def test_an_expired_token_hears_it_has_expired(remembering: Client, settings: Settings,
                                                     clock: FakeClock) -> None:
    issued = await new_token(remembering)
    await clock.advance(settings.session_token_ttl_seconds + 1)  # never connected within its window
    response = await remembering.get("/api/memory", headers=bearer(issued["token"]))
    assert response.status == 401 and (await response.json())["error"] == wording.TOKEN_CLOSED["expired"]


async def test_each_player_reads_and_forgets_only_their_own(remembering: Client) -> None:
    ada, bea = await new_token(remembering), await new_token(remembering)
    await play_and_leave(remembering, ada["token"], "My name is Ada.")
    await play_and_leave(remembering, bea["token"], "My name is Bea.")
    adas, beas = await notes(remembering, ada["token"]), await notes(remembering, bea["token"])
    assert "They told me their name is Ada." in [n["text"] for n in adas]
    assert "They told me their name is Bea." not in [n["text"] for n in adas]
    theirs = beas[0]["id"]
    response = await remembering.delete(f"/api/memory/{theirs}", headers=bearer(ada["token"]))
    assert response.status == 404 and (await response.json())["error"] == "That memory is already forgotten."
    assert await notes(remembering, bea["token"]) == beas  # Bea's note is still there

    mine = adas[0]["id"]
    response = await remembering.delete(f"/api/memory/{mine}", headers=bearer(ada["token"]))
    assert (response.status, await response.json()) == (200, {"forgotten": 1})
    assert [n["id"] for n in await notes(remembering, ada["token"])] == [n["id"] for n in adas[1:]]
    again = await remembering.delete(f"/api/memory/{mine}", headers=bearer(ada["token"]))
    assert again.status == 404
    for bad in ("abc", "-1", "1.0", "9" * 19):
        response = await remembering.delete(f"/api/memory/{bad}", headers=bearer(ada["token"]))
        assert response.status == 404, bad


async def test_forgetting_everything_forgets_the_name_and_the_next_scene_starts_afresh(
        remembering: Client, store: SqliteMemoryStore) -> None:
    issued = await new_token(remembering)
    ws = await open_ws(remembering, issued["token"])
    await ws.send_json({"type": "name", "name": "Ada"})
    await until(ws, "PlayerNamed")
    await ws.close()
    await play_and_leave(remembering, issued["token"])
    response = await remembering.delete("/api/memory", headers=bearer(issued["token"]))
    assert response.status == 200 and (await response.json())["forgotten"] == 2
    assert await store.get_player(issued["player_id"]) is None  # the whole profile is gone
    assert await notes(remembering, issued["token"]) == []

    ws = await open_ws(remembering, issued["token"])
    await ws.send_json({"type": "resume"})
    snap, _ = await until(ws, "Snapshot")
    assert snap["name"] == "" and snap["view"]["name"] == ""
    await ws.close()
    await play_and_leave(remembering, issued["token"], "Hello.")  # a new profile, and the visit recorded
    record = await store.get_player(issued["player_id"])
    assert record is not None and record.given_name == ""
    attempts = (await store.export(issued["player_id"]))["scene_attempts"]
    assert [a["outcome"] for a in attempts] == ["quit"]


async def test_without_a_memory_store_the_page_is_told_plainly(client: Client) -> None:
    issued = await new_token(client)
    response = await client.get("/api/memory", headers=bearer(issued["token"]))
    assert (response.status, await response.json()) == (200, {"available": False, "message": NOT_AVAILABLE,
                                                              "notes": []})
    response = await client.delete("/api/memory", headers=bearer(issued["token"]))
    assert response.status == 409 and (await response.json())["error"] == NOT_AVAILABLE


class BrokenStore(SqliteMemoryStore):
    """A store that opens and answers health checks but fails every read (a locked or damaged file)."""

    async def get_player(self, player_id: str) -> None:
        raise MemoryStoreError("database is locked", "retry")


async def test_a_failing_store_is_a_503_in_the_players_words(settings: Settings, clock: FakeClock) -> None:
    broken = await BrokenStore.connect(":memory:")
    app = create_app(settings, engine=Engine(settings, clock=clock), memory_store=broken, pace=0)
    async with TestClient(TestServer(app)) as client:
        issued = await new_token(client)
        response = await client.get("/api/memory", headers=bearer(issued["token"]))
        body = await response.json()
        assert response.status == 503 and body == {"error": NOT_READABLE, "hint": "try again in a minute"}
        response = await client.delete("/api/memory", headers=bearer(issued["token"]))
        assert response.status == 503 and "locked" not in (await response.text())
    await broken.close()
