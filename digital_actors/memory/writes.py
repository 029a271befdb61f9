"""The writes play makes, as plain records: queued, retried, spooled to a file and replayed.

Each record carries its own ids and timestamps (taken when it happened, not when it lands), so
writing one twice changes nothing the second time: an attempt begun twice is one attempt, an
attempt finished twice counts once (its outcome is set only while it is in progress).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from digital_actors.memory import queries
from digital_actors.memory.records import AttemptHandle, MemoryNote, parse_iso
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.sql import Tx

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class EnsurePlayer:
    """A profile with this id exists (created if missing; an existing one is left alone)."""

    player_id: str
    name: str
    kind: str
    at: str


@dataclass(frozen=True, slots=True)
class BeginAttempt:
    """An attempt in progress (and its session, when ``new_session``); the player's older ones are abandoned."""

    handle: AttemptHandle
    new_session: bool


@dataclass(frozen=True, slots=True)
class FinishAttempt:
    """An attempt's outcome, stats and memories, with what they do to personality and relationship."""

    handle: AttemptHandle
    outcome: str
    ending_id: str | None
    stats: AttemptStats
    notes: tuple[MemoryNote, ...]
    elapsed: float | None
    at: str


@dataclass(frozen=True, slots=True)
class SetGivenName:
    """The name the player gave the characters."""

    player_id: str
    name: str


@dataclass(frozen=True, slots=True)
class AbandonStale:
    """Attempts still in progress that started before ``before`` were never finished: abandoned."""

    before: str


Write = EnsurePlayer | BeginAttempt | FinishAttempt | SetGivenName | AbandonStale
_KINDS: dict[str, type[Write]] = {cls.__name__: cls for cls in
                                  (EnsurePlayer, BeginAttempt, FinishAttempt, SetGivenName, AbandonStale)}


def new_attempt(player_id: str, scene_id: str, character_id: str, *, at: str,
                session_id: str | None = None) -> BeginAttempt:
    """A BeginAttempt with fresh ids (a new session unless ``session_id`` continues one)."""
    handle = AttemptHandle(str(uuid.uuid4()), session_id or str(uuid.uuid4()), player_id, scene_id,
                           character_id, at)
    return BeginAttempt(handle, new_session=session_id is None)


def describe(write: Write) -> str:
    """A short label for logs and metrics: the record's kind."""
    return type(write).__name__


async def apply(tx: Tx, write: Write) -> bool:
    """Run one write inside the caller's transaction; False when it had already been written."""
    match write:
        case EnsurePlayer(player_id=pid, name=name, kind=kind, at=at):
            return await queries.ensure_player_row(tx, pid, name, kind, parse_iso(at))
        case BeginAttempt(handle=handle, new_session=new_session):
            written, abandoned = await queries.begin_attempt(tx, handle, new_session)
            if abandoned:
                log.info("memory_attempts_abandoned", count=abandoned, scene=handle.scene_id)
            return written
        case FinishAttempt():
            return await queries.finish_attempt(tx, write.handle, write.outcome, write.ending_id, write.stats,
                                                list(write.notes), write.elapsed, parse_iso(write.at))
        case SetGivenName(player_id=pid, name=name):
            return await queries.set_given_name(tx, pid, name)
        case AbandonStale(before=before):
            return await queries.abandon_stale(tx, before) > 0
    raise TypeError(f"not a memory write: {write!r}")  # pragma: no cover - the match is exhaustive


def to_json(write: Write) -> str:
    """One line of JSON (the spool file's format)."""
    return json.dumps({"write": describe(write), **asdict(write)}, sort_keys=True, ensure_ascii=False)


def from_json(line: str) -> Write:
    """The inverse of :func:`to_json`. Raises ValueError for anything else."""
    try:
        data: dict[str, Any] = json.loads(line)
        kind = _KINDS[data.pop("write")]
        if kind is BeginAttempt:
            return BeginAttempt(AttemptHandle(**data["handle"]), bool(data["new_session"]))
        if kind is FinishAttempt:
            return FinishAttempt(
                handle=AttemptHandle(**data["handle"]), outcome=str(data["outcome"]),
                ending_id=data["ending_id"], stats=AttemptStats.from_mapping(data["stats"]),
                notes=tuple(MemoryNote(str(n["text"]), float(n["weight"])) for n in data["notes"]),
                elapsed=None if data["elapsed"] is None else float(data["elapsed"]), at=str(data["at"]))
        return kind(**data)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"not a spooled memory write: {e}") from e
