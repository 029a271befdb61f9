"""Plain-text views of a player's memory export and of a salvage report (for the CLI)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from digital_actors.memory.records import SalvageReport
from digital_actors.memory.rules import TRAITS, difficulty_for


def describe_player(data: dict[str, Any]) -> str:
    """What a player sees with ``memory show``: profile, personality, characters, scenes, memories."""
    player = data["player"]
    lines = [f"{player['name']} ({player['kind']} profile, id {player['id']})",
             f"  first seen {player['created_at']}, last seen {player['last_seen_at']}"]
    profile = data.get("personality")
    if profile:
        lines.append("Personality (0-100): " + ", ".join(f"{t.replace('_', ' ')} {profile[t]:.0f}"
                                                        for t in TRAITS))
    if data["relationships"]:
        lines.append("Characters:")
        for rel in data["relationships"]:
            lines.append(f"  {rel['character_id']}: trust {rel['trust']:.0f}, familiarity "
                         f"{rel['familiarity']:.0f} (last met {rel['last_interaction_at']})")
    by_scene: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for attempt in data["scene_attempts"]:
        by_scene[attempt["scene_id"]].append(attempt)
    if by_scene:
        lines.append("Scenes:")
    for scene_id, attempts in sorted(by_scene.items()):
        outcomes = [a["outcome"] for a in attempts]
        wins = outcomes.count("success")
        counted = wins + outcomes.count("failure") + outcomes.count("quit")
        last = attempts[-1]
        ending = f" ({last['ending_id']})" if last.get("ending_id") else ""
        lines.append(f"  {scene_id}: {len(attempts)} attempt(s), {wins} success(es), "
                     f"last {last['outcome']}{ending}; next difficulty {difficulty_for(counted, wins)}")
    if data["memories"]:
        lines.append("Memories (forget one with `digital-actors memory forget --memory ID`):")
        for note in sorted(data["memories"], key=lambda m: (-m["weight"], m["id"])):
            lines.append(f"  [{note['id']}] {note['character_id']}: {note['text']}")
    else:
        lines.append("No memories.")
    return "\n".join(lines)


def describe_salvage(report: SalvageReport) -> str:
    """A per-table account of what a salvage recovered and what was lost."""
    lines = [f"Salvaged {report.source} -> {report.destination}"]
    for t in report.tables:
        extra = f"  ({t.error})" if t.error else ""
        lines.append(f"  {t.table:<22} recovered {t.recovered:>6}  unreadable {t.unreadable:>5}  "
                     f"rejected {t.rejected:>5}{extra}")
    verdict = "Everything readable was copied; nothing known lost." if report.complete else (
        f"Recovered {report.recovered} row(s); at least {report.lost} row(s) lost.")
    lines.append(verdict)
    return "\n".join(lines)
