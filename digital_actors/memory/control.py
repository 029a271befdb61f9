"""The SQL behind what players control: forgetting and exporting what is remembered."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import queries
from digital_actors.memory.records import iso
from digital_actors.memory.sql import Tx


async def forget(
    tx: Tx,
    player_id: str,
    memory_id: int | None,
    character_id: str | None,
    everything: bool,
) -> dict[str, int]:
    """Delete one memory, one character's memories, or the whole player; rows deleted per table."""
    if sum((memory_id is not None, character_id is not None, everything)) != 1:
        raise ValueError("forget needs exactly one of memory_id, character_id, everything")
    await queries.lock_player(tx, player_id)
    if memory_id is not None:
        return {
            "memories": await tx.run(
                "DELETE FROM memories WHERE id = ? AND player_id = ?", (memory_id, player_id)
            )
        }
    if character_id is not None:
        args = (player_id, character_id)
        return {
            "memories": await tx.run(
                "DELETE FROM memories WHERE player_id = ? AND character_id = ?", args
            ),
            "relationships": await tx.run(
                "DELETE FROM relationships WHERE player_id = ? AND character_id = ?", args
            ),
        }
    counts: dict[str, int] = {}
    for table in (
        "memories",
        "relationships",
        "personality_profiles",
        "scene_attempts",
        "sessions",
    ):
        counts[table] = (
            await queries.one(tx, f"SELECT count(*) FROM {table} WHERE player_id = ?", (player_id,))
        )[0]
    counts["players"] = await tx.run("DELETE FROM players WHERE id = ?", (player_id,))
    return counts if counts["players"] else {k: 0 for k in counts}


async def export(tx: Tx, player_id: str, now: datetime) -> dict[str, Any]:
    """Everything stored about one player, as JSON-ready data."""
    player = await queries.get_player(tx, player_id)
    if player is None:
        raise MemoryStoreError(
            f"No player with id {player_id!r}.", "See `digital-actors memory players`."
        )

    async def rows(sql: str) -> list[dict[str, Any]]:
        return await tx.dicts(sql, (player_id,))

    attempts = await rows(
        "SELECT * FROM scene_attempts WHERE player_id = ? ORDER BY started_at, ROWID"
    )
    for attempt in attempts:
        attempt["stats"] = json.loads(attempt["stats"])
    profile = await rows("SELECT * FROM personality_profiles WHERE player_id = ?")
    return {
        "format": "digital-actors-memory-export",
        "version": 1,
        "exported_at": iso(now),
        "player": {
            "id": player.id,
            "name": player.name,
            "kind": player.kind,
            "created_at": player.created_at,
            "last_seen_at": player.last_seen_at,
            "given_name": player.given_name,
        },
        "personality": profile[0] if profile else None,
        "relationships": await rows(
            "SELECT * FROM relationships WHERE player_id = ? ORDER BY character_id"
        ),
        "memories": await rows("SELECT * FROM memories WHERE player_id = ? ORDER BY id"),
        "sessions": await rows(
            "SELECT * FROM sessions WHERE player_id = ? ORDER BY started_at, ROWID"
        ),
        "scene_attempts": attempts,
    }
