"""The spool: writes that had not landed when a process stopped, kept in a file until the next start.

``<db>.pending.jsonl`` beside the database (in the data dir by default), one write per line
(memory/writes.py). It is written whole and atomically at shutdown and read at the next start;
the outbox deletes it once everything in it has landed. A small reserve file (``<db>.reserve``,
1 MiB) is made at start and given up at shutdown when the disk is full, so the spool still fits.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import structlog

from digital_actors.memory import writes
from digital_actors.memory.writes import Write

log = structlog.get_logger()
RESERVE_BYTES = 1 << 20  # ~500 finished attempts of spool, kept back for a disk that fills up


def spool_path(db: Path | str) -> Path | None:
    """Where the spool of ``db`` lives (None for an in-memory store: nothing outlives it)."""
    return db.with_name(f"{db.name}.pending.jsonl") if isinstance(db, Path) else None


def reserve_path(spool: Path) -> Path:
    return spool.with_name(spool.name.replace(".pending.jsonl", ".reserve"))


def read(spool: Path) -> tuple[list[Write], int]:
    """The spooled writes in order, and how many lines could not be read (kept aside, never dropped)."""
    try:
        lines = spool.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return [], 0
    found: list[Write] = []
    bad: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            found.append(writes.from_json(line))
        except ValueError:
            bad.append(line)
    if bad:
        aside = spool.with_name(f"{spool.name}.unreadable")
        with aside.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(bad) + "\n")
        log.error("memory_spool_unreadable", lines=len(bad), kept_in=str(aside))
    return found, len(bad)


def write(spool: Path, pending: Sequence[Write]) -> bool:
    """Replace the spool with ``pending`` (atomically). False when even the reserve did not make room."""
    for attempt in (1, 2):
        try:
            save(spool, pending)
            return True
        except OSError as e:
            log.error("memory_spool_failed", path=str(spool), error=str(e), attempt=attempt)
            if attempt == 1:
                release_reserve(spool)
    for w in pending:  # the last resort: the log line carries the whole write, for a human to replay
        log.error("memory_write_lost", write=writes.to_json(w))
    return False


def save(spool: Path, pending: Sequence[Write]) -> None:
    """Replace the spool with ``pending`` atomically; raises OSError (a full disk) untouched."""
    text = "".join(writes.to_json(w) + "\n" for w in pending)
    partial = spool.with_name(f".{spool.name}.part")
    try:
        with partial.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, spool)
    finally:
        partial.unlink(missing_ok=True)


def remove(spool: Path) -> None:
    spool.unlink(missing_ok=True)


def make_reserve(spool: Path) -> None:
    """Keep RESERVE_BYTES of disk for the spool (best effort: no room now means no reserve)."""
    target = reserve_path(spool)
    with contextlib.suppress(OSError):
        if target.exists() and target.stat().st_size >= RESERVE_BYTES:
            return
        with target.open("wb") as fh:
            fh.write(b"\0" * RESERVE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())


def release_reserve(spool: Path) -> None:
    with contextlib.suppress(OSError):
        reserve_path(spool).unlink(missing_ok=True)


def append(spool: Path, write_: Write) -> bool:
    """Add one write to the spool (a write that arrived after the outbox closed)."""
    try:
        with spool.open("a", encoding="utf-8") as fh:
            fh.write(writes.to_json(write_) + "\n")
        return True
    except OSError as e:
        log.error("memory_write_lost", write=writes.to_json(write_), error=str(e))
        return False
