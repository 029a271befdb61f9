"""Plain records the memory store hands out and takes in, and the UTC timestamp format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

PlayerKind = Literal["terminal", "web"]
Outcome = Literal["in_progress", "success", "failure", "abandoned", "quit"]
FinalOutcome = Literal["success", "failure", "quit", "abandoned"]
PLAYER_KINDS: tuple[str, ...] = ("terminal", "web")
FINAL_OUTCOMES: tuple[str, ...] = ("success", "failure", "quit", "abandoned")


def utc_now() -> datetime:
    """The current wall-clock time in UTC (stored timestamps are never local time)."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and an explicit offset: sorts as text, parses everywhere."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso`."""
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PlayerRecord:
    """One player profile: a stable id that never changes per connection or per run."""

    id: str
    name: str
    kind: PlayerKind
    created_at: str
    last_seen_at: str
    given_name: str = ""  # the name the player gave the characters ("" until they give one)


@dataclass(frozen=True, slots=True)
class AttemptHandle:
    """What ``begin_attempt`` returns and ``finish_attempt`` needs: ids, not live objects."""

    attempt_id: str
    session_id: str
    player_id: str
    scene_id: str
    character_id: str
    started_at: str


@dataclass(frozen=True, slots=True)
class MemoryNote:
    """Something a character will remember about a player, with how much it matters (0-1)."""

    text: str
    weight: float = 0.5


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """The result of ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` on one file."""

    path: str
    problems: tuple[str, ...] = ()
    foreign_key_violations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and not self.foreign_key_violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "problems": list(self.problems),
            "foreign_key_violations": list(self.foreign_key_violations),
        }


@dataclass(frozen=True, slots=True)
class TableSalvage:
    """How one table fared in a salvage: rows copied, rows unreadable, rows rejected.

    Rejected rows were read but break a rule of the schema (an orphan whose player was lost,
    a value out of range) and so were left out.
    """

    table: str
    recovered: int = 0
    unreadable: int = 0
    rejected: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SalvageReport:
    """What ``salvage`` copied from a damaged file into a new one, and what it could not."""

    source: str
    destination: str
    tables: tuple[TableSalvage, ...] = field(default_factory=tuple)

    @property
    def recovered(self) -> int:
        return sum(t.recovered for t in self.tables)

    @property
    def lost(self) -> int:
        return sum(t.unreadable + t.rejected for t in self.tables)

    @property
    def complete(self) -> bool:
        return self.lost == 0 and all(t.error is None for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "recovered": self.recovered,
            "lost": self.lost,
            "complete": self.complete,
            "tables": [
                {
                    "table": t.table,
                    "recovered": t.recovered,
                    "unreadable": t.unreadable,
                    "rejected": t.rejected,
                    "error": t.error,
                }
                for t in self.tables
            ],
        }
