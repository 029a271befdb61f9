"""The SQL behind the store's play operations: players, recollections, attempts.

Each function runs inside a transaction the store opened (a ``sql.Tx``: SQLite or PostgreSQL), so
the store's own job (connection, locking, retries, metrics) stays small. SQLite's writers take turns
(``BEGIN IMMEDIATE``); PostgreSQL's run side by side, so a write that reads before it writes (an
attempt's end moves the personality and the relationship) first takes its player's lock
(``lock_player``): two ends for one player land one after the other, two players' at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import rules
from digital_actors.memory.records import (
    FINAL_OUTCOMES,
    PLAYER_KINDS,
    AttemptHandle,
    MemoryNote,
    PlayerRecord,
    iso,
    parse_iso,
)
from digital_actors.memory.sql import Tx
from digital_actors.player import Recollection

_PLAYER_COLS = "id, name, kind, created_at, last_seen_at, given_name"
MAX_NAME = 40
MAX_MEMORY_TEXT = 500


def clean_name(name: str) -> str:
    """A profile name: trimmed, 1-40 printable characters."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME or not cleaned.isprintable():
        raise MemoryStoreError(
            f"{name!r} is not a usable player name.",
            f"Use 1 to {MAX_NAME} printable characters, e.g. --player Alex.",
            kind="invalid",
        )
    return cleaned


def _player(row: Any) -> PlayerRecord:
    return PlayerRecord(id=row[0], name=row[1], kind=row[2], created_at=row[3], last_seen_at=row[4],
                        given_name=row[5] or "")


PLAYER_LOCK_CLASS = 0x64610001  # the first key of the players' advisory locks (PostgreSQL): ours alone


async def one(tx: Tx, sql: str, args: tuple[Any, ...] = ()) -> Any:
    return await tx.one(sql, args)


async def all_rows(tx: Tx, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
    return await tx.all(sql, args)


async def lock_player(tx: Tx, player_id: str) -> None:
    """Hold this player's lock until the transaction ends (PostgreSQL; SQLite's writers already take turns).

    An advisory lock, so it works before the player's row exists; ``lock_timeout`` bounds the wait."""
    if tx.dialect == "postgresql":
        await tx.one("SELECT pg_advisory_xact_lock(?, hashtext(?))", (PLAYER_LOCK_CLASS, player_id))


async def get_player(tx: Tx, player_id: str) -> PlayerRecord | None:
    row = await one(tx, f"SELECT {_PLAYER_COLS} FROM players WHERE id = ?", (player_id,))
    return _player(row) if row else None


async def find_player(
    tx: Tx, name: str, kind: str | None
) -> PlayerRecord | None:
    """A profile by name (case-insensitive); with no kind, terminal profiles are preferred."""
    rows = await all_rows(tx,
        f"SELECT {_PLAYER_COLS} FROM players WHERE name = ? "
        "ORDER BY kind = 'terminal' DESC, last_seen_at DESC",
        (clean_name(name),),
    )
    rows = [r for r in rows if kind is None or r[2] == kind]
    return _player(rows[0]) if rows else None


async def list_players(tx: Tx) -> list[PlayerRecord]:
    rows = await all_rows(tx, f"SELECT {_PLAYER_COLS} FROM players ORDER BY last_seen_at DESC, name")
    return [_player(r) for r in rows]


async def get_or_create_player(
    tx: Tx, name: str, kind: str, now: datetime
) -> PlayerRecord:
    if kind not in PLAYER_KINDS:
        raise MemoryStoreError(f"Unknown player kind {kind!r}.", "Use 'terminal' or 'web'.", kind="invalid")
    name = clean_name(name)
    stamp = iso(now)
    row = await one(tx, f"SELECT {_PLAYER_COLS} FROM players WHERE kind = ? AND name = ?", (kind, name))
    if row:
        await tx.run("UPDATE players SET last_seen_at = ? WHERE id = ?", (stamp, row[0]))
        return PlayerRecord(row[0], row[1], row[2], row[3], stamp, row[5] or "")
    record = PlayerRecord(str(uuid.uuid4()), name, kind, stamp, stamp)  # type: ignore[arg-type]
    # Two processes making the same profile at once (PostgreSQL): the second one finds the first's row.
    made = await tx.run(
        f"INSERT INTO players ({_PLAYER_COLS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, name) DO NOTHING",
        (record.id, record.name, record.kind, record.created_at, record.last_seen_at, ""),
    )
    if made:
        return record
    row = await one(tx, f"SELECT {_PLAYER_COLS} FROM players WHERE kind = ? AND name = ?", (kind, name))
    await tx.run("UPDATE players SET last_seen_at = ? WHERE id = ?", (stamp, row[0]))
    return PlayerRecord(row[0], row[1], row[2], row[3], stamp, row[5] or "")


async def ensure_player(
    tx: Tx, player_id: str, kind: str, now: datetime
) -> PlayerRecord | None:
    """The player with this id (seen now), created if missing; None if it is of another kind."""
    if kind not in PLAYER_KINDS:
        raise MemoryStoreError(f"Unknown player kind {kind!r}.", "Use 'terminal' or 'web'.")
    stamp = iso(now)
    await tx.run(
        f"INSERT INTO players ({_PLAYER_COLS}) VALUES (?, ?, ?, ?, ?, '') ON CONFLICT(id) DO NOTHING",
        (player_id, clean_name(f"{kind}-{player_id}"[:MAX_NAME]), kind, stamp, stamp),
    )
    await tx.run("UPDATE players SET last_seen_at = ? WHERE id = ? AND kind = ?", (stamp, player_id, kind))
    record = await get_player(tx, player_id)
    return record if record is not None and record.kind == kind else None


def clean_given_name(name: str) -> str:
    """A name a player gave: trimmed, 1-40 printable characters."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME or not cleaned.isprintable():
        raise MemoryStoreError(f"{name!r} is not a usable name.", f"Use 1 to {MAX_NAME} printable characters.",
                               kind="invalid")
    return cleaned


async def set_given_name(tx: Tx, player_id: str, name: str) -> bool:
    """Store the name the player gave; False when there is no such player."""
    count = await tx.run("UPDATE players SET given_name = ? WHERE id = ?", (clean_given_name(name), player_id))
    return count > 0


async def recollection(
    tx: Tx, player_id: str, scene_id: str, character_id: str, memory_limit: int
) -> Recollection:
    player = await get_player(tx, player_id)
    if player is None:
        return Recollection(player_id=player_id)
    counts = dict(
        await all_rows(tx,
            "SELECT outcome, count(*) FROM scene_attempts WHERE player_id = ? "
            "AND scene_id = ? AND outcome != 'in_progress' GROUP BY outcome",
            (player_id, scene_id),
        )
    )
    recent = await all_rows(tx,
        "SELECT outcome, ending_id FROM scene_attempts WHERE player_id = ? "
        "AND scene_id = ? AND outcome != 'in_progress' "
        "ORDER BY started_at DESC, ROWID DESC LIMIT 5",
        (player_id, scene_id),
    )
    rel = await one(tx,
        "SELECT trust, familiarity FROM relationships WHERE player_id = ? AND character_id = ?",
        (player_id, character_id),
    )
    prof = await one(tx,
        "SELECT impulsiveness, cooperation, problem_solving, patience "
        "FROM personality_profiles WHERE player_id = ?",
        (player_id,),
    )
    notes = await all_rows(tx,
        "SELECT text FROM memories WHERE player_id = ? AND character_id = ? "
        "ORDER BY weight DESC, created_at DESC, id DESC LIMIT ?",
        (player_id, character_id, memory_limit),
    )
    successes = int(counts.get("success", 0))
    counted = successes + int(counts.get("failure", 0)) + int(counts.get("quit", 0))
    return Recollection(
        player_id=player_id,
        player_name=player.given_name,
        attempts=sum(int(v) for v in counts.values()),
        successes=successes,
        last_outcome=recent[0][0] if recent else None,
        last_ending=recent[0][1] if recent else None,
        difficulty=rules.difficulty_for(counted, successes),
        trust=float(rel[0]) if rel else rules.NEUTRAL,
        familiarity=float(rel[1]) if rel else 0.0,
        personality=dict(zip(rules.TRAITS, map(float, prof), strict=True)) if prof else {},
        memories=tuple(r[0] for r in notes),
        recent_outcomes=tuple(r[0] for r in recent),
    )


async def ensure_player_row(tx: Tx, player_id: str, name: str, kind: str, now: datetime) -> bool:
    """Create the profile ``player_id`` unless it exists; False when it did. A taken name gets the id's start.
    (The outbox's write: idempotent, and never touches an existing row, whatever its kind.)"""
    if kind not in PLAYER_KINDS:
        raise MemoryStoreError(f"Unknown player kind {kind!r}.", "Use 'terminal' or 'web'.", kind="invalid")
    await lock_player(tx, player_id)
    if await get_player(tx, player_id) is not None:
        return False
    name, stamp = clean_name(name), iso(now)
    insert = f"INSERT INTO players ({_PLAYER_COLS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, name) DO NOTHING"
    if await tx.run(insert, (player_id, name, kind, stamp, stamp, "")):
        return True
    name = f"{name[:MAX_NAME - 9]}-{player_id.replace('-', '')[:8]}"  # the name is taken: the id's start
    return await tx.run(insert, (player_id, name, kind, stamp, stamp, "")) > 0


async def begin_attempt(
    tx: Tx, handle: AttemptHandle, new_session: bool
) -> tuple[bool, int]:
    """Write the session (when new) and an in_progress attempt; this player's older in_progress ones
    become abandoned. Returns (written, abandoned); an attempt already written is left alone."""
    player_id, stamp = handle.player_id, handle.started_at
    await lock_player(tx, player_id)
    if await one(tx, "SELECT 1 FROM scene_attempts WHERE id = ?", (handle.attempt_id,)):
        return False, 0
    if await get_player(tx, player_id) is None:
        raise MemoryStoreError(
            f"No player with id {player_id!r}.",
            "Create the profile first with store.player(name) or create_player().",
            kind="missing",
        )
    owner = await one(tx, "SELECT player_id FROM sessions WHERE id = ?", (handle.session_id,))
    if owner is not None and owner[0] != player_id:
        raise MemoryStoreError(
            f"No session {handle.session_id!r} for this player.",
            "Pass session_id only to continue a session begun by this player.",
            kind="invalid",
        )
    if owner is None and not new_session:
        raise MemoryStoreError(
            f"No session {handle.session_id!r} for this player.",
            "Pass session_id only to continue a session begun by this player.",
            kind="missing",
        )
    abandoned = await tx.run(
        "UPDATE scene_attempts SET outcome = 'abandoned' "
        "WHERE player_id = ? AND outcome = 'in_progress'",
        (player_id,),
    )
    if owner is None:
        await tx.run(
            "INSERT INTO sessions (id, player_id, scene_id, started_at) VALUES (?, ?, ?, ?)",
            (handle.session_id, player_id, handle.scene_id, stamp),
        )
    await tx.run(
        "INSERT INTO scene_attempts (id, player_id, session_id, scene_id, character_id, "
        "started_at, outcome, stats) VALUES (?, ?, ?, ?, ?, ?, 'in_progress', ?)",
        (
            handle.attempt_id,
            player_id,
            handle.session_id,
            handle.scene_id,
            handle.character_id,
            stamp,
            rules.AttemptStats().to_json(),
        ),
    )
    await tx.run(
        "UPDATE players SET last_seen_at = GREATEST(last_seen_at, ?) WHERE id = ?", (stamp, player_id)
    )
    return True, abandoned


async def abandon_stale(tx: Tx, before: str) -> int:
    """Mark attempts still in progress that started before ``before`` (ISO UTC) abandoned; how many."""
    return await tx.run(
        "UPDATE scene_attempts SET outcome = 'abandoned' WHERE outcome = 'in_progress' AND started_at < ?",
        (before,),
    )


async def finish_attempt(
    tx: Tx,
    handle: AttemptHandle,
    outcome: str,
    ending_id: str | None,
    stats: rules.AttemptStats,
    notes: list[MemoryNote],
    elapsed: float | None,
    now: datetime,
) -> bool:
    """Complete attempt, session, personality, relationship and memories; False if already done."""
    if outcome not in FINAL_OUTCOMES:
        raise MemoryStoreError(
            f"Unknown attempt outcome {outcome!r}.", "Use success, failure, quit or abandoned.",
            kind="invalid",
        )
    await lock_player(tx, handle.player_id)
    row = await one(tx, "SELECT outcome, started_at FROM scene_attempts WHERE id = ?", (handle.attempt_id,)
    )
    if row is None or row[0] not in ("in_progress", "abandoned"):
        return False
    stamp = iso(now)
    playtime = elapsed if elapsed is not None else (now - parse_iso(row[1])).total_seconds()
    await tx.run(
        "UPDATE scene_attempts SET outcome = ?, ending_id = ?, ended_at = ?, stats = ? "
        "WHERE id = ?",
        (outcome, ending_id, stamp, stats.to_json(), handle.attempt_id),
    )
    await tx.run(
        "UPDATE sessions SET ended_at = ?, playtime_seconds = playtime_seconds + ? WHERE id = ?",
        (stamp, max(0.0, playtime), handle.session_id),
    )
    prof = await one(tx,
        "SELECT impulsiveness, cooperation, problem_solving, patience "
        "FROM personality_profiles WHERE player_id = ?",
        (handle.player_id,),
    )
    traits = rules.update_personality(
        dict(zip(rules.TRAITS, prof, strict=True)) if prof else None, stats, outcome
    )
    await tx.run(
        "INSERT INTO personality_profiles (player_id, impulsiveness, cooperation, problem_solving, "
        "patience, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (player_id) DO UPDATE SET "
        "impulsiveness = excluded.impulsiveness, cooperation = excluded.cooperation, "
        "problem_solving = excluded.problem_solving, patience = excluded.patience, "
        "updated_at = excluded.updated_at",
        (handle.player_id, *(traits[t] for t in rules.TRAITS), stamp),
    )
    rel = await one(tx,
        "SELECT trust, familiarity FROM relationships WHERE player_id = ? AND character_id = ?",
        (handle.player_id, handle.character_id),
    )
    trust, familiarity = rules.update_relationship(
        rel[0] if rel else None, rel[1] if rel else None, stats, outcome
    )
    await tx.run(
        "INSERT INTO relationships "
        "(player_id, character_id, trust, familiarity, last_interaction_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (player_id, character_id) DO UPDATE SET "
        "trust = excluded.trust, familiarity = excluded.familiarity, "
        "last_interaction_at = excluded.last_interaction_at",
        (handle.player_id, handle.character_id, trust, familiarity, stamp),
    )
    for note in notes:
        await _remember(tx, handle, note, stamp)
    await tx.run(
        "UPDATE players SET last_seen_at = GREATEST(last_seen_at, ?) WHERE id = ?", (stamp, handle.player_id)
    )
    return True


async def _remember(
    tx: Tx, handle: AttemptHandle, note: MemoryNote, stamp: str
) -> None:
    """Insert a memory; the same words remembered again are refreshed, not duplicated."""
    text = " ".join(note.text.split())[:MAX_MEMORY_TEXT]
    if not text:
        return
    weight = rules.clamp(note.weight, 0.0, 1.0)
    count = await tx.run(
        "UPDATE memories SET created_at = ?, weight = GREATEST(weight, ?), scene_id = ?, attempt_id = ? "
        "WHERE player_id = ? AND character_id = ? AND text = ?",
        (
            stamp,
            weight,
            handle.scene_id,
            handle.attempt_id,
            handle.player_id,
            handle.character_id,
            text,
        ),
    )
    if not count:
        await tx.run(
            "INSERT INTO memories "
            "(player_id, character_id, text, scene_id, attempt_id, created_at, weight) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                handle.player_id,
                handle.character_id,
                text,
                handle.scene_id,
                handle.attempt_id,
                stamp,
                weight,
            ),
        )
