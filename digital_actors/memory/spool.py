"""The spool: writes that had not landed when a process stopped, kept in a file until the next start.

``<db>.pending.jsonl`` beside a SQLite database (in the data dir by default); for a PostgreSQL
database, ``memory-<db>@<host>-<port>-<hash>.pending.jsonl`` in the data dir, named after the URL
without its password. One write per line (memory/writes.py). It is written whole and atomically
at shutdown and read at the next start; the outbox deletes it once everything in it has landed.
A small reserve file (``.reserve``, 1 MiB) is made at start and given up at shutdown when the disk
is full, so the spool still fits.

Several processes may share one database and one data dir (workers of one server). Each takes a
spool *slot* of its own, held by an advisory lock for as long as it runs: the first free one of
``.pending.jsonl``, ``.pending-2.jsonl``, ... so no process overwrites another's spool. At start a
process also adopts the spools of slots nobody holds (a worker that stopped and did not come back).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import portalocker
import structlog

from digital_actors import paths
from digital_actors.memory import writes
from digital_actors.memory.writes import Write

log = structlog.get_logger()
RESERVE_BYTES = 1 << 20  # ~500 finished attempts of spool, kept back for a disk that fills up


_SLOT = re.compile(r"\.pending(-\d+)?\.jsonl$")
MAX_SLOTS = 64


def spool_path(db: Path | str) -> Path | None:
    """Where the spool of ``db`` lives: beside a SQLite file; in the data dir for a PostgreSQL URL
    (given without its password); None for an in-memory store (nothing outlives it)."""
    if isinstance(db, Path):
        return db.with_name(f"{db.name}.pending.jsonl")
    if db.lower().startswith(("postgresql://", "postgres://")):
        parts = urlsplit(db)
        name = f"{parts.path.strip('/')}@{parts.hostname or 'local'}-{parts.port or 5432}"
        slug = re.sub(r"[^A-Za-z0-9_.@-]", "_", name)[:80]
        digest = hashlib.sha256(db.encode()).hexdigest()[:8]
        return paths.data_dir() / f"memory-{slug}-{digest}.pending.jsonl"
    return None


def reserve_path(spool: Path) -> Path:
    return spool.with_name(_SLOT.sub(lambda m: f".reserve{m.group(1) or ''}", spool.name))


def slot_path(base: Path, n: int) -> Path:
    """Slot ``n`` of a spool: 1 is ``base`` itself, then ``.pending-2.jsonl`` ..."""
    return base if n == 1 else base.with_name(_SLOT.sub(f".pending-{n}.jsonl", base.name))


@dataclass
class Slot:
    """A spool file this process holds (its ``.lock`` beside it), and the lock's handle."""

    path: Path
    handle: IO[str] | None = field(default=None, repr=False)

    def release(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                portalocker.unlock(handle)
            handle.close()


def _take(path: Path) -> Slot | None:
    """Hold ``path``'s lock now, or None when another process holds it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.with_name(f"{path.name}.lock").open("a+", encoding="utf-8")
    except OSError:
        return Slot(path)  # a read-only place: no lock to take, and nothing could be spooled there anyway
    try:
        portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
    except portalocker.exceptions.LockException:
        handle.close()
        return None
    return Slot(path, handle)


def claim(base: Path) -> Slot:
    """The first spool slot of ``base`` no other process holds, held until ``release``."""
    for n in range(1, MAX_SLOTS + 1):
        slot = _take(slot_path(base, n))
        if slot is not None:
            return slot
    return Slot(base)  # never expected (64 processes on one data dir): share the first, unlocked


def adopt(base: Path, own: Slot) -> list[Slot]:
    """The other slots of ``base`` that hold a spool and that no process holds: theirs are now ours."""
    found: list[Slot] = []
    for n in range(1, MAX_SLOTS + 1):
        path = slot_path(base, n)
        if path == own.path or not path.exists():
            continue
        slot = _take(path)
        if slot is not None:
            found.append(slot)
    return found


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
    spool.parent.mkdir(parents=True, exist_ok=True)  # the data dir: a PostgreSQL store made no folder of its own
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
        target.parent.mkdir(parents=True, exist_ok=True)
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
        spool.parent.mkdir(parents=True, exist_ok=True)
        with spool.open("a", encoding="utf-8") as fh:
            fh.write(writes.to_json(write_) + "\n")
        return True
    except OSError as e:
        log.error("memory_write_lost", write=writes.to_json(write_), error=str(e))
        return False
