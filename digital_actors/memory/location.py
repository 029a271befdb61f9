"""Where the memory database lives, and the errors a human sees when it cannot be used.

Accepts a path or a SQLAlchemy-style URL: ``sqlite:///relative.db``, ``sqlite:////abs/path.db``,
``sqlite://`` or ``:memory:`` for a throwaway in-memory store (tests, demos), or a PostgreSQL URL
(``postgresql://user:password@host:5432/dbname``, ``postgres://`` too). A URL's password is only
ever used to connect: what is shown, logged or put in an error is ``PgLocation.shown``, without it.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from digital_actors.config import MASK, default_db_path, mask_url
from digital_actors.errors import MemoryStoreError

MEMORY: Final = ":memory:"
SQLITE_HEADER = b"SQLite format 3\x00"
RECOVERY = (
    "Run `digital-actors memory salvage` to copy what can still be read into a new file, "
    "or `digital-actors memory restore BACKUP` to go back to a backup. "
    "The file at this path was left untouched."
)


PG_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class PgLocation:
    """A PostgreSQL database: the URL to connect with (password and all) and what may be shown."""

    url: str = field(repr=False)
    shown: str  # the URL without its password: for messages, logs, and the spool file's name

    def __str__(self) -> str:
        return self.shown

    @property
    def password(self) -> str | None:
        parts = urlsplit(self.url)
        return parts.password or dict(parse_qsl(parts.query)).get("password")

    def scrub(self, text: str) -> str:
        """``text`` with the password (as given, and URL-quoted) replaced by ********."""
        secret = self.password
        if not secret:
            return text
        for form in {secret, quote(secret, safe=""), unquote(secret)}:
            if form:
                text = text.replace(form, MASK)
        return text


def is_postgres_url(value: str | None) -> bool:
    return bool(value) and str(value).strip().lower().startswith(PG_SCHEMES)


def postgres(text: str) -> PgLocation:
    """A PostgreSQL URL, checked: it must name a database."""
    url = text.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a malformed port raises here, before any connection)
    except ValueError as e:
        raise MemoryStoreError(f"The database URL {mask_url(url)!r} cannot be read: {e}.",
                               "Use postgresql://user:password@host:5432/dbname.") from None
    if not parts.path.strip("/"):
        raise MemoryStoreError(f"The database URL {mask_url(url)!r} names no database.",
                               "Use postgresql://user:password@host:5432/dbname.")
    return PgLocation(url, mask_url(url, None))


def resolve(value: str | os.PathLike[str] | None) -> Path | str | PgLocation:
    """The database for a setting value (None: the default file in the data dir): a SQLite path,
    ``MEMORY``, or a PostgreSQL location."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default_db_path()
    text = os.fspath(value).strip()
    if is_postgres_url(text):
        return postgres(text)
    if text in (MEMORY, "sqlite://", "sqlite:///:memory:"):
        return MEMORY
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite:///"):
            raise MemoryStoreError(
                f"Unsupported database URL {text!r}.",
                "Use sqlite:///relative/path.db or sqlite:////absolute/path.db.",
            )
        text = text[len("sqlite:///") :].split("?", 1)[0]
        if not text:
            raise MemoryStoreError(
                "The database URL names no file.",
                "Use sqlite:///relative/path.db or sqlite:////absolute/path.db.",
            )
    elif "://" in text:
        raise MemoryStoreError(
            f"Unsupported database URL {mask_url(text)!r}: only SQLite and PostgreSQL are supported.",
            "Set DIGITAL_ACTORS_DB (or DATABASE_URL) to a file path, a sqlite:/// URL or a "
            "postgresql://user:password@host/dbname URL.",
        )
    return Path(text).expanduser()


def file_kind(path: Path) -> str:
    """'missing', 'empty', 'sqlite' or 'other', judged from the first 16 bytes only."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError as e:
        raise MemoryStoreError(
            f"{path} is a folder, not a database file.",
            "Point DIGITAL_ACTORS_DB at a file inside it.",
        ) from e
    except PermissionError as e:
        raise readonly_error(path, e) from e
    if not head:
        return "empty"
    return "sqlite" if head == SQLITE_HEADER else "other"


def prepare_dir(path: Path) -> None:
    """Create the database's folder and make sure SQLite can write there (WAL needs it)."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MemoryStoreError(
            f"Cannot create the folder {folder} for the player-memory database: {e.strerror}.",
            "Set DIGITAL_ACTORS_DB (or DIGITAL_ACTORS_HOME) to a writable place.",
        ) from e
    if not dir_writable(folder):
        raise readonly_error(path)


def dir_writable(folder: Path) -> bool:
    """Whether new files can be created in ``folder`` (SQLite adds -wal and -shm files)."""
    return os.access(folder, os.W_OK | os.X_OK)


def readonly_error(path: Path, cause: BaseException | None = None) -> MemoryStoreError:
    detail = f": {cause}" if cause else ""
    return MemoryStoreError(
        f"The player-memory database {path} is in a read-only place{detail}.",
        f"Make {path.parent} writable for this user, or set DIGITAL_ACTORS_DB to a writable file.",
        kind="readonly", retryable=True,
    )


def is_locked(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def error_kind(error: BaseException) -> str:
    """'locked', 'full', 'io', 'corrupt', 'notadb', 'readonly', 'invalid' or 'other' for an sqlite3 error."""
    text = str(error).lower()
    if is_locked(error):
        return "locked"
    if isinstance(error, sqlite3.IntegrityError):
        return "invalid"  # the schema refuses the row: trying again cannot help
    if "not a database" in text:
        return "notadb"
    if "malformed" in text or "disk image" in text or "corrupt" in text:
        return "corrupt"
    if "full" in text:
        return "full"  # SQLITE_FULL: "database or disk is full"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return "readonly"
    if "i/o error" in text:
        return "io"
    return "other"


# Faults that can clear by themselves or by an operator's hand without losing the write: a lock, a
# full disk, a read-only mount, an I/O hiccup, a damaged file being salvaged. A write that failed
# this way is kept and tried again (memory/outbox.py); any other failure will fail the same way.
RETRYABLE = frozenset({"locked", "full", "readonly", "io", "corrupt", "notadb", "closed"})


def store_error(error: BaseException, path: Path | str, operation: str) -> MemoryStoreError:
    """Map an sqlite3 error to the MemoryStoreError a human can act on (with its kind)."""
    kind = error_kind(error)
    mapped = _mapped(kind, error, path, operation)
    mapped.kind, mapped.retryable = kind, kind in RETRYABLE
    return mapped


def _mapped(kind: str, error: BaseException, path: Path | str, operation: str) -> MemoryStoreError:
    if kind == "notadb":
        return MemoryStoreError(
            f"{path} is not a SQLite database (or its first page is damaged).", RECOVERY
        )
    if kind == "corrupt":
        return MemoryStoreError(
            f"The player-memory database {path} is damaged ({error}).", RECOVERY
        )
    if kind == "readonly":
        return readonly_error(Path(path), error) if path != MEMORY else MemoryStoreError(str(error))
    if kind == "full":
        return MemoryStoreError(
            f"The disk holding the player-memory database {path} is full (during {operation}).",
            f"Free space on the disk holding {Path(path).parent}; writes that failed are kept and land "
            "once there is room.",
        )
    if kind == "locked":
        return MemoryStoreError(
            f"The player-memory database {path} stayed locked by another program "
            f"during {operation}.",
            "Close other digital-actors processes (or sqlite tools) using it, then try again.",
        )
    return MemoryStoreError(
        f"The player-memory database {path} failed during {operation}: {error}.",
        "Run `digital-actors memory check` to look for damage.",
    )
