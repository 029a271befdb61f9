"""``memory import-legacy FILE``: players, attempts, personality and relationships from the earlier
project's ``player_memory.db`` (its layout: docs/OPERATIONS.md, "Importing the earlier project's file").

The legacy file is only read. Its scene ids are mapped where ours differ (``submarine`` is
``pressure_point``) and kept as they are otherwise; numbers stored as text are read, and values
that cannot be read (encrypted with its encryption setting, or malformed) are skipped and counted.
Every row brought over is recorded in ``legacy_imports`` by a key made from its content, so a
second run imports nothing new (and a profile forgotten since is not brought back); the same
attempt stored twice in the legacy file is imported once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import location, rules
from digital_actors.memory.queries import MAX_NAME, one
from digital_actors.memory.records import iso
from digital_actors.memory.sql import Tx

# The earlier project's scene registry (scenes/__init__.py there) -> ours. Others are kept as they are.
SCENE_IDS = {"submarine": "pressure_point", "merlins_room": "merlins_workshop", "life_raft": "life_raft",
             "iconic_detectives": "iconic_detectives", "welcome": "welcome"}
OUTCOMES = {"success": "success", "succeeded": "success", "won": "success", "win": "success",
            "completed": "success", "failure": "failure", "failed": "failure", "fail": "failure",
            "lost": "failure", "died": "failure", "death": "failure", "quit": "quit", "left": "quit",
            "gave_up": "quit", "abandoned": "abandoned"}
NAMESPACE = uuid.UUID("5b1d0c3e-7d0a-4f4e-9a51-6c1e2f3a4b5d")  # ids made from legacy keys: stable per row
TABLES = ("players", "scene_attempts", "personality_profiles", "relationships")


@dataclass
class LegacyImportReport:
    """What one import brought over, found already imported, skipped, and could not read."""

    source: str
    imported: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    already: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    duplicates: int = 0  # the same attempt stored twice in the legacy file
    orphans: int = 0  # rows of a player the legacy file does not have
    unreadable: int = 0  # values skipped: encrypted or malformed
    kept_scene_ids: dict[str, int] = field(default_factory=dict)  # unknown scene ids, kept as they are

    def lines(self) -> list[str]:
        out = [f"Imported from {self.source}:"]
        for table in TABLES:
            out.append(f"  {table:<21} {self.imported[table]:>6} imported, {self.already[table]:>6} already there")
        out.append(f"  duplicate attempts    {self.duplicates:>6} (imported once)")
        out.append(f"  orphaned rows         {self.orphans:>6} (their player is not in the file; skipped)")
        out.append(f"  unreadable values     {self.unreadable:>6} (encrypted or malformed; skipped)")
        if self.kept_scene_ids:
            kept = ", ".join(f"{k} ({v})" for k, v in sorted(self.kept_scene_ids.items()))
            out.append(f"  scene ids kept as they are: {kept}")
        return out


@dataclass(frozen=True)
class LegacyRows:
    """The legacy file's rows, read whole (these files are small: one row per player and attempt)."""

    players: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    profiles: list[dict[str, Any]]
    relationships: list[dict[str, Any]]


def read_legacy(path: Path) -> LegacyRows:
    """Read the earlier project's file, read-only; a file of another layout is refused."""
    if not path.is_file():
        raise MemoryStoreError(f"There is no file at {path}.", "Give the path of the earlier project's "
                               "player_memory.db (./data/ or /app/data/ there).", kind="missing")
    if location.file_kind(path) != "sqlite":
        raise MemoryStoreError(f"{path} is not a SQLite database.", "Give the earlier project's player_memory.db.",
                               kind="notadb")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)) as conn:
            conn.row_factory = sqlite3.Row
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "_migrations" in tables or not {"players", "scene_attempts"} <= tables:
                raise MemoryStoreError(
                    f"{path} is not the earlier project's player_memory.db (no players/scene_attempts "
                    "tables of its layout).",
                    "To move this project's own file, use `memory backup` and `memory restore`.", kind="invalid")

            def rows(table: str) -> list[dict[str, Any]]:
                if table not in tables:
                    return []
                return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]

            return LegacyRows(rows("players"), rows("scene_attempts"), rows("personality_profiles"),
                              rows("relationships"))
    except sqlite3.DatabaseError as e:
        raise MemoryStoreError(f"{path} could not be read: {e}.", "Run `digital-actors memory salvage` on a copy, "
                               "or check the file.", kind="corrupt") from e


async def import_rows(tx: Tx, rows: LegacyRows, source: str, now: datetime) -> LegacyImportReport:
    """Write what is new, inside the caller's transaction. Safe to run again: nothing is imported twice."""
    report = LegacyImportReport(source)
    stamp = iso(now)
    known = {str(p["player_id"]): p for p in rows.players if p.get("player_id") not in (None, "")}
    for legacy_id, player in known.items():
        await _player(tx, report, legacy_id, player, stamp)
    seen: set[str] = set()
    for attempt in rows.attempts:
        await _attempt(tx, report, known, attempt, stamp, seen)
    for profile in rows.profiles:
        await _profile(tx, report, known, profile, stamp)
    for rel in rows.relationships:
        await _relationship(tx, report, known, rel, stamp)
    return report


def player_id_for(legacy_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"player:{legacy_id}"))


async def _claim(tx: Tx, key: str, target: str, stamp: str) -> bool:
    """Record ``key`` as imported; False when an earlier run (or an earlier row of this one) did."""
    return await tx.run("INSERT INTO legacy_imports (source_key, target, imported_at) VALUES (?, ?, ?) "
                        "ON CONFLICT DO NOTHING", (key, target, stamp)) > 0


async def _player(tx: Tx, report: LegacyImportReport, legacy_id: str,
                  row: dict[str, Any], stamp: str) -> None:
    target = player_id_for(legacy_id)
    if not await _claim(tx, f"player:{legacy_id}", target, stamp):
        report.already["players"] += 1
        return
    name = _name(legacy_id, target)
    if await one(tx, "SELECT 1 FROM players WHERE kind = 'web' AND name = ?", (name,)):
        name = f"legacy-{target.replace('-', '')[:12]}"
    created = _when(row.get("created_at")) or stamp
    seen = max(_when(row.get("last_seen")) or created, created)
    await tx.run("INSERT INTO players (id, name, kind, created_at, last_seen_at, given_name) "
                 "VALUES (?, ?, 'web', ?, ?, '') ON CONFLICT DO NOTHING", (target, name, created, seen))
    report.imported["players"] += 1


async def _present(tx: Tx, player_id: str) -> bool:
    return bool(await one(tx, "SELECT 1 FROM players WHERE id = ?", (player_id,)))


async def _attempt(tx: Tx, report: LegacyImportReport, known: dict[str, dict[str, Any]],
                   row: dict[str, Any], stamp: str, seen: set[str]) -> None:
    legacy_id = str(row.get("player_id") or "")
    target = player_id_for(legacy_id)
    if legacy_id not in known or not await _present(tx, target):
        report.orphans += 1
        return
    raw_scene = str(row.get("scene_id") or "unknown")
    scene = SCENE_IDS.get(raw_scene, raw_scene)
    character = str(row.get("character_id") or "unknown")
    started = _when(row.get("started_at")) or _when(row.get("ended_at"))
    ended = _when(row.get("ended_at")) or started
    raw_outcome = str(row.get("outcome") or "").strip().lower()
    content = json.dumps([legacy_id, raw_scene, character, started, ended, raw_outcome,
                          row.get("correct_actions"), row.get("incorrect_actions"), row.get("data")],
                         default=str)
    digest = hashlib.sha256(content.encode()).hexdigest()[:32]
    attempt_id = str(uuid.uuid5(NAMESPACE, f"attempt:{digest}"))
    if digest in seen:
        report.duplicates += 1  # a copy of a row met earlier in this file
        return
    seen.add(digest)
    if not await _claim(tx, f"attempt:{digest}", attempt_id, stamp):
        report.already["scene_attempts"] += 1
        return
    if raw_scene not in SCENE_IDS:
        report.kept_scene_ids[raw_scene] = report.kept_scene_ids.get(raw_scene, 0) + 1
    started = started or stamp
    ended = ended or started
    data = _data(row.get("data"), report)
    stats = rules.AttemptStats(correct_actions=_count(row.get("correct_actions")),
                               incorrect_actions=_count(row.get("incorrect_actions")),
                               interruptions=int(_flag(row.get("interrupted_npc"))))
    stored = {**json.loads(stats.to_json()),
              "legacy": {"outcome": row.get("outcome"), "final_trust": row.get("final_trust"), "data": data}}
    ending = data.get("ending_id") or data.get("ending") if isinstance(data, dict) else None
    session_id = str(uuid.uuid5(NAMESPACE, f"session:{digest}"))
    playtime = max(0.0, (_parse(ended) - _parse(started)).total_seconds())
    await tx.run("INSERT INTO sessions (id, player_id, scene_id, started_at, ended_at, playtime_seconds) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (session_id, target, scene, started, ended, playtime))
    await tx.run(
        "INSERT INTO scene_attempts (id, player_id, session_id, scene_id, character_id, started_at, ended_at, "
        "outcome, ending_id, stats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (attempt_id, target, session_id, scene, character, started, ended,
         OUTCOMES.get(raw_outcome, "abandoned"), ending if isinstance(ending, str) else None,
         json.dumps(stored, sort_keys=True, default=str)))
    report.imported["scene_attempts"] += 1


async def _profile(tx: Tx, report: LegacyImportReport, known: dict[str, dict[str, Any]],
                   row: dict[str, Any], stamp: str) -> None:
    legacy_id = str(row.get("player_id") or "")
    target = player_id_for(legacy_id)
    if legacy_id not in known or not await _present(tx, target):
        report.orphans += 1
        return
    if not await _claim(tx, f"personality:{legacy_id}", target, stamp):
        report.already["personality_profiles"] += 1
        return
    values = {trait: _number(row.get(trait), report) for trait in rules.TRAITS}
    if all(v is None for v in values.values()):
        return  # nothing readable: the player starts from the neutral profile, as a new one would
    traits = [rules.clamp(v) if v is not None else rules.NEUTRAL for v in values.values()]
    report.imported["personality_profiles"] += await tx.run(
        "INSERT INTO personality_profiles (player_id, impulsiveness, cooperation, problem_solving, "
        "patience, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (target, *traits, _when(row.get("updated_at")) or stamp))


async def _relationship(tx: Tx, report: LegacyImportReport,
                        known: dict[str, dict[str, Any]], row: dict[str, Any], stamp: str) -> None:
    legacy_id, character = str(row.get("player_id") or ""), str(row.get("character_id") or "")
    target = player_id_for(legacy_id)
    if legacy_id not in known or not character or not await _present(tx, target):
        report.orphans += 1
        return
    if not await _claim(tx, f"relationship:{legacy_id}:{character}", target, stamp):
        report.already["relationships"] += 1
        return
    trust, met = _number(row.get("trust"), report), _number(row.get("familiarity"), report)
    if trust is None and met is None:
        return
    # Legacy trust summed each scene's final trust around 0; familiarity counted encounters.
    ours_trust = rules.clamp(rules.NEUTRAL + (trust or 0.0) / 2)
    ours_familiarity = rules.clamp(100.0 * (1 - 0.85 ** max(0.0, met or 0.0)))
    report.imported["relationships"] += await tx.run(
        "INSERT INTO relationships (player_id, character_id, trust, familiarity, last_interaction_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (target, character, ours_trust, ours_familiarity, _when(row.get("last_interaction")) or stamp))


def _name(legacy_id: str, target: str) -> str:
    """``legacy-<its id>`` (cut to the name limit), so an operator can tell imported profiles apart."""
    text = " ".join(f"legacy-{legacy_id}".split())[:MAX_NAME]
    return text if text.isprintable() else f"legacy-{target.replace('-', '')[:12]}"


def _number(value: Any, report: LegacyImportReport) -> float | None:
    """A number stored as text ("50", "-3.5"); None, counted, for anything else (encrypted, malformed)."""
    if value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        report.unreadable += 1
        return None
    if not math.isfinite(number):
        report.unreadable += 1
        return None
    return number


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _data(value: Any, report: LegacyImportReport) -> Any:
    if value in (None, ""):
        return None
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        data = None
    if data is None or (isinstance(data, dict) and "ciphertext" in data):
        report.unreadable += 1  # an encrypted blob or envelope, or broken JSON: the attempt comes over without it
        return None
    return data


def _when(value: Any) -> str | None:
    """A legacy timestamp (SQLite CURRENT_TIMESTAMP text, UTC, or Python's isoformat) as ours."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
