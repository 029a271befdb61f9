"""Read-only views of the store that front ends show: what is remembered, best results."""

from __future__ import annotations

from collections.abc import Mapping

from digital_actors.memory.store import MemoryStore

_RANK = {"success": 3, "failure": 2, "quit": 1, "abandoned": 0, "in_progress": -1}


class StoreProfile:
    """One player's memories, and forgetting them (the TUI's profile screen)."""

    def __init__(self, store: MemoryStore, player_id: str) -> None:
        self.store, self.player_id = store, player_id

    async def memories(self) -> list[tuple[str, str, str]]:
        data = await self.store.export(self.player_id)
        return [(str(m["id"]), str(m["character_id"]), str(m["text"])) for m in data["memories"]]

    async def forget(self, memory_id: str | None) -> None:
        if memory_id is None:
            await self.store.forget(self.player_id, everything=True)
        else:
            await self.store.forget(self.player_id, memory_id=int(memory_id))


async def best_results(store: MemoryStore, player_id: str, titles: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """``{scene_id: "Surfaced together · 3 tries"}``: the best outcome per scene and the attempts.

    ``titles`` maps scene id -> ending id -> ending title (for readable results).
    """
    data = await store.export(player_id)
    best: dict[str, tuple[int, str]] = {}
    tries: dict[str, int] = {}
    for attempt in data["scene_attempts"]:
        scene, outcome = attempt["scene_id"], attempt["outcome"]
        if outcome == "in_progress":
            continue
        tries[scene] = tries.get(scene, 0) + 1
        ending = attempt.get("ending_id") or ""
        label = titles.get(scene, {}).get(ending) or {"quit": "left early", "abandoned": "left early"}.get(
            outcome, outcome)
        rank = _RANK.get(outcome, 0)
        if scene not in best or rank > best[scene][0]:
            best[scene] = (rank, label)
    return {scene: f"{label} · {tries[scene]} {'try' if tries[scene] == 1 else 'tries'}"
            for scene, (_, label) in best.items()}
