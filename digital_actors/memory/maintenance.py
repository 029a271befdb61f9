"""Backup, restore and integrity checks on a database file, with plain sqlite3 (run in a thread).

These work on the file, not on an open store, so they also work while a server is running
(backup) and when the file is too damaged to open as a store (check, restore).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path

import structlog

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import location, migrations
from digital_actors.memory.records import IntegrityReport

log = structlog.get_logger()

BACKUP_SUFFIX = ".db.gz"
_CHUNK = 1 << 20


def stamp(now: datetime) -> str:
    """A UTC timestamp safe in file names: 20260509T073525Z."""
    return now.strftime("%Y%m%dT%H%M%SZ")


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)


def check_file(path: Path, *, require_memory_schema: bool = False) -> IntegrityReport:
    """``PRAGMA integrity_check`` and ``foreign_key_check`` on a file, read-only."""
    if not path.is_file():
        raise MemoryStoreError(
            f"There is no database at {path}.",
            "Check the path, DIGITAL_ACTORS_DB and DIGITAL_ACTORS_HOME.",
        )
    if location.file_kind(path) == "other":
        return IntegrityReport(str(path), ("not a SQLite database",))
    try:
        with contextlib.closing(_ro(path)) as conn:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check(100)") if r[0] != "ok"]
            fks = [f"{r[0]} row {r[1]} -> {r[2]}" for r in conn.execute("PRAGMA foreign_key_check")]
            if require_memory_schema:
                problems += _schema_problems(conn)
    except sqlite3.DatabaseError as e:
        return IntegrityReport(str(path), (str(e),))
    return IntegrityReport(str(path), tuple(problems), tuple(fks))


def _schema_problems(conn: sqlite3.Connection) -> list[str]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "_migrations" not in tables:
        return ["not a Digital Actors player-memory database (no _migrations table)"]
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations")]
    newer = sorted(set(names) - set(migrations.known_names()))
    return [f"written by a newer version (migrations {', '.join(newer)})"] if newer else []


def backup_database(
    db: Path, dest_dir: Path, now: datetime, keep_days: float | None = None
) -> tuple[Path, list[Path]]:
    """Online backup (consistent while others write) to ``dest_dir/<stem>-<UTC stamp>.db.gz``.

    The copy is quick-checked before it is kept; older copies are pruned (by file mtime)
    only after the new one is safely in place. Returns the new file and the pruned ones.
    """
    if not db.is_file():
        raise MemoryStoreError(
            f"There is no database at {db} to back up.",
            "Play once to create it, or check DIGITAL_ACTORS_DB.",
        )
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MemoryStoreError(
            f"Cannot create the backup folder {dest_dir}: {e.strerror}.",
            "Choose a writable folder.",
        ) from e
    final = dest_dir / f"{db.stem}-{stamp(now)}{BACKUP_SUFFIX}"
    n = 1
    while final.exists():
        final = dest_dir / f"{db.stem}-{stamp(now)}-{n}{BACKUP_SUFFIX}"
        n += 1
    raw = dest_dir / f".{final.name}.{uuid.uuid4().hex}.tmp"
    packed = dest_dir / f".{final.name}.{uuid.uuid4().hex}.part"
    try:
        with (
            contextlib.closing(sqlite3.connect(db, timeout=5.0)) as src,
            contextlib.closing(sqlite3.connect(raw)) as dst,
        ):
            src.backup(dst)  # one step: a single read transaction, so the copy is consistent
            dst.execute("PRAGMA journal_mode=DELETE")
            bad = [r[0] for r in dst.execute("PRAGMA quick_check(20)") if r[0] != "ok"]
        if bad:
            raise MemoryStoreError(
                f"The database {db} is damaged, so no backup was written: " + "; ".join(bad),
                location.RECOVERY,
            )
        with raw.open("rb") as fin, gzip.open(packed, "wb", compresslevel=6) as fout:
            shutil.copyfileobj(fin, fout, _CHUNK)
        os.replace(packed, final)
    except sqlite3.Error as e:
        raise location.store_error(e, db, "backup") from e
    except OSError as e:
        raise MemoryStoreError(
            f"Writing the backup to {dest_dir} failed: {e}.",
            "Check free space and permissions of the backup folder.",
        ) from e
    finally:
        for leftover in (raw, packed):
            leftover.unlink(missing_ok=True)
    pruned = (
        prune_backups(dest_dir, db.stem, now, keep_days, keep=final)
        if keep_days is not None
        else []
    )
    log.info(
        "memory_backup_written", path=str(final), bytes=final.stat().st_size, pruned=len(pruned)
    )
    return final, pruned


def prune_backups(
    dest_dir: Path, stem: str, now: datetime, keep_days: float, keep: Path | None = None,
    suffix: str = BACKUP_SUFFIX,
) -> list[Path]:
    """Delete ``<stem>-*<suffix>`` copies (``.db.gz``; a PostgreSQL dump's ``.jsonl.gz``) whose mtime
    is older than ``keep_days``."""
    cutoff = now.timestamp() - keep_days * 86400.0
    pruned: list[Path] = []
    for candidate in sorted(dest_dir.glob(f"{stem}-*{suffix}")):
        if candidate == keep or not candidate.is_file():
            continue
        if candidate.stat().st_mtime < cutoff:
            candidate.unlink()
            pruned.append(candidate)
    return pruned


def restore_database(db: Path, backup: Path, now: datetime) -> Path | None:
    """Replace ``db`` with ``backup`` (.db.gz or .db) after it passes integrity checks.

    The current file (with its -wal/-shm) is kept aside as ``<name>.bak-<stamp>``; returns
    that path (None if there was no current file). Stop servers using ``db`` first.
    """
    if not backup.is_file():
        raise MemoryStoreError(
            f"There is no backup at {backup}.", "Give the path of a .db.gz backup."
        )
    location.prepare_dir(db)
    staging = db.parent / f".{db.name}.restore-{uuid.uuid4().hex}"
    try:
        _unpack(backup, staging)
        report = check_file(staging, require_memory_schema=True)
        if not report.ok:
            raise MemoryStoreError(
                f"The backup {backup} failed its integrity check, so nothing was replaced: "
                + "; ".join([*report.problems, *report.foreign_key_violations][:5]),
                "Pick another backup (`ls` the backup folder), "
                "or try `digital-actors memory salvage`.",
            )
        aside = _move_aside(db, now)
        os.replace(staging, db)
    finally:
        staging.unlink(missing_ok=True)
    log.info(
        "memory_restored",
        path=str(db),
        source=str(backup),
        kept_aside=str(aside) if aside else None,
    )
    return aside


def _unpack(backup: Path, target: Path) -> None:
    try:
        with backup.open("rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        opener = gzip.open if gz else open
        with opener(backup, "rb") as fin, target.open("wb") as fout:
            shutil.copyfileobj(fin, fout, _CHUNK)
    except (OSError, EOFError) as e:
        raise MemoryStoreError(
            f"Cannot read the backup {backup}: {e}.",
            "The file may be truncated; pick another backup.",
        ) from e


def _move_aside(db: Path, now: datetime) -> Path | None:
    if not db.exists():
        return None
    with (
        contextlib.suppress(sqlite3.Error),
        contextlib.closing(sqlite3.connect(db, timeout=5.0)) as conn,
    ):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    aside = db.with_name(f"{db.name}.bak-{stamp(now)}")
    n = 1
    while aside.exists():
        aside = db.with_name(f"{db.name}.bak-{stamp(now)}-{n}")
        n += 1
    os.replace(db, aside)
    for suffix in ("-wal", "-shm"):  # a stale WAL must never be replayed onto the restored file
        side = Path(f"{db}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{aside}{suffix}"))
    return aside
