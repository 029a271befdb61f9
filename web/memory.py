"""``GET /api/memory``, ``DELETE /api/memory`` and ``DELETE /api/memory/{id}``: what the characters
remember about this player, and forgetting one note or everything.

The session token authenticates (``Authorization: Bearer <token>``, the token the page opened its
socket with): the player is the token's, never one the request names, so a player can read and
forget only their own memory. Answers are in the player's words: who remembers (the character's
name, never an id) and what.
"""

from __future__ import annotations

import asyncio
import re

import structlog
from aiohttp import web

from digital_actors.engine import MEMORY_TIMEOUT
from digital_actors.errors import MemoryStoreError
from digital_actors.memory.store import MemoryStore
from web import wording
from web.catalog import SceneCatalog
from web.keys import CATALOG, ENGINE, REGISTRY
from web.metrics import count_error
from web.player import PlayerSession

log = structlog.get_logger()
NO_STORE = {"Cache-Control": "no-store"}
NOTE_ID = re.compile(r"^[0-9]{1,18}$")
NOT_AVAILABLE = "Memory is not available here: the characters will not remember you between visits."
NOT_READABLE = "What the characters remember cannot be read right now."


def _player(request: web.Request) -> PlayerSession | web.Response:
    """The player whose token the request carries, or a 401 in the player's words."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = request.app[REGISTRY].lookup(token if scheme.lower() == "bearer" else None)
    if isinstance(found, str):
        return web.json_response({"error": wording.TOKEN_CLOSED[found], "hint": "reload the page"}, status=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="player"', **NO_STORE})
    return found


def _unavailable(message: str, status: int = 503) -> web.Response:
    return web.json_response({"error": message, "hint": "try again in a minute"}, status=status, headers=NO_STORE)


async def _own_record(store: MemoryStore, player: PlayerSession) -> bool:
    """Whether the token's player has a web profile in the store (none before their first scene)."""
    record = await store.get_player(player.player_id)
    return record is not None and record.kind == "web"


async def _names(catalog: SceneCatalog) -> dict[str, str]:
    """Character ids to the names players know them by, from every scene on this server."""
    names: dict[str, str] = {}
    for scene in await catalog.playable():
        for cast_id, member in scene.cast.items():
            names.setdefault(cast_id, member.name)
    return names


def _readable(character_id: str) -> str:
    """A character no scene here names any more: its id as words ("old_keeper" -> "Old keeper")."""
    words = character_id.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Someone"


async def show(request: web.Request) -> web.Response:
    """``{available, notes: [{id, who, text}]}``: notes by weight, then age."""
    player = _player(request)
    if isinstance(player, web.Response):
        return player
    store = request.app[ENGINE].store
    if store is None:
        return web.json_response({"available": False, "message": NOT_AVAILABLE, "notes": []}, headers=NO_STORE)
    try:
        async with asyncio.timeout(MEMORY_TIMEOUT):
            data = await store.export(player.player_id) if await _own_record(store, player) else {"memories": []}
    except (MemoryStoreError, TimeoutError) as e:
        count_error("memory_read")
        player.log.error("memory_read_failed", error=getattr(e, "message", "timeout"))
        return _unavailable(NOT_READABLE)
    names = await _names(request.app[CATALOG])
    notes = sorted(data["memories"], key=lambda m: (-float(m["weight"]), -int(m["id"])))
    return web.json_response({"available": True, "notes": [
        {"id": str(m["id"]), "who": names.get(str(m["character_id"])) or _readable(str(m["character_id"])),
         "text": str(m["text"])} for m in notes]}, headers=NO_STORE)


async def forget(request: web.Request) -> web.Response:
    """Forget one note (``/api/memory/{id}``: 404 when it is not this player's or already gone) or,
    without an id, everything: notes, relationships, attempts and the name they gave."""
    player = _player(request)
    if isinstance(player, web.Response):
        return player
    note = request.match_info.get("note")
    if note is not None and not NOTE_ID.match(note):
        raise web.HTTPNotFound(reason="That memory is already forgotten.")
    store = request.app[ENGINE].store
    if store is None:
        return _unavailable(NOT_AVAILABLE, status=409)
    try:
        async with asyncio.timeout(MEMORY_TIMEOUT):
            if not await _own_record(store, player):
                counts: dict[str, int] = {}
            elif note is None:
                counts = await store.forget(player.player_id, everything=True)
            else:
                counts = await store.forget(player.player_id, memory_id=int(note))
    except (MemoryStoreError, TimeoutError) as e:
        count_error("memory_write")
        player.log.error("memory_forget_failed", error=getattr(e, "message", "timeout"))
        return _unavailable("Nothing was forgotten: memory cannot be changed right now.")
    if note is None:
        player.forgot_everything()
        player.log.info("memory_forgotten", event_type="memory_forget", everything=True)
        return web.json_response({"forgotten": counts.get("memories", 0)}, headers=NO_STORE)
    if not counts.get("memories"):
        raise web.HTTPNotFound(reason="That memory is already forgotten.")
    player.log.info("memory_forgotten", event_type="memory_forget", everything=False)
    return web.json_response({"forgotten": 1}, headers=NO_STORE)
