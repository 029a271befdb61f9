"""Who has the database file open: play, servers and player commands share it; vacuum and restore
need it alone.

Every process that opens the store holds a shared advisory lock on ``<db>.lock`` for as long as
the store is open (portalocker: ``flock`` on POSIX, ``LockFileEx`` on Windows; released by the OS
when a process dies, so a crash never leaves it stuck). Maintenance that must not run under a live
server takes the lock exclusively without waiting, and is refused with a clear message while a
server or a game has the file open: a restore would leave the server writing to the file moved
aside, and a vacuum would hold the write lock for as long as it takes to rewrite the whole file.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO, Literal

import portalocker
import structlog

from digital_actors.errors import MemoryStoreError

log = structlog.get_logger()
Use = Literal["shared", "exclusive", "none"]
_FLAGS = {"shared": portalocker.LockFlags.SHARED, "exclusive": portalocker.LockFlags.EXCLUSIVE}


def lock_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.lock")


class FileUse:
    """A held advisory lock on a database's ``.lock`` file (or nothing, where one cannot be made)."""

    def __init__(self, db: Path, handle: IO[str] | None, mode: Use) -> None:
        self.db, self._handle, self.mode = db, handle, mode

    @classmethod
    def take(cls, db: Path, use: Use, operation: str = "this command") -> FileUse:
        """Hold ``db`` in ``use`` mode now, or raise MemoryStoreError saying who is in the way."""
        if use == "none":
            return cls(db, None, "none")
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
            handle = lock_path(db).open("a+", encoding="utf-8")
        except OSError as e:  # a read-only folder: the store will say so itself; nothing to guard
            log.warning("memory_lock_file_unavailable", path=str(lock_path(db)), error=str(e))
            return cls(db, None, "none")
        held = cls(db, handle, "none")
        try:
            held._lock(use, operation)
        except BaseException:
            handle.close()
            raise
        return held

    def _lock(self, use: Use, operation: str) -> None:
        assert self._handle is not None and use != "none"
        try:
            portalocker.lock(self._handle, _FLAGS[use] | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException as e:
            raise _refusal(self.db, use, operation) from e
        self.mode = use

    def upgrade(self, operation: str) -> None:
        """From shared to exclusive (for a maintenance step); refused while another process holds it."""
        if self._handle is None or self.mode == "exclusive":
            return
        portalocker.unlock(self._handle)
        try:
            self._lock("exclusive", operation)
        except MemoryStoreError:
            self._lock("shared", operation)
            raise

    def downgrade(self) -> None:
        """Back to shared after a maintenance step."""
        if self._handle is not None and self.mode == "exclusive":
            portalocker.unlock(self._handle)
            self._lock("shared", "play")

    def release(self) -> None:
        handle, self._handle, self.mode = self._handle, None, "none"
        if handle is not None:
            with contextlib.suppress(OSError):
                portalocker.unlock(handle)
            handle.close()


def _refusal(db: Path, use: Use, operation: str) -> MemoryStoreError:
    if use == "exclusive":
        return MemoryStoreError(
            f"The player-memory database {db} is in use by a running Digital Actors process "
            f"(a server or a game), so {operation} was not run.",
            "Stop it first (for Docker: `docker compose stop app`), then run the command again. "
            "`digital-actors memory backup` is safe while it runs.",
            kind="busy", retryable=True)
    return MemoryStoreError(
        f"The player-memory database {db} is being vacuumed or restored by another process.",
        "Wait for that command to finish, then start again.", kind="busy", retryable=True)
