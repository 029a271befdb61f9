"""Open the store a setting names: a SQLite file (the default) or a PostgreSQL database.

``connect_store(settings.memory_database(), pool=PoolOptions.from_settings(settings))`` is what the
engine, the web server and the ``memory`` commands call; the PostgreSQL driver is imported only
when a ``postgresql://`` URL asks for it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from digital_actors.config import Settings
from digital_actors.memory import location
from digital_actors.memory.occupancy import Use

if TYPE_CHECKING:
    from digital_actors.memory.postgres import PostgresMemoryStore
    from digital_actors.memory.store import SqliteMemoryStore

    AnyStore: TypeAlias = SqliteMemoryStore | PostgresMemoryStore


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """PostgreSQL connection-pool limits (MEMORY_DB_* settings); a SQLite store has one connection."""

    min_size: int = 1
    max_size: int = 10
    acquire_timeout: float = 5.0
    statement_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> PoolOptions:
        return cls(settings.memory_db_pool_min_size, settings.memory_db_pool_max_size,
                   settings.memory_db_acquire_timeout_seconds, settings.memory_db_statement_timeout_seconds)


async def connect_store(where: str | os.PathLike[str] | None = None, *, pool: PoolOptions | None = None,
                        use: Use = "shared", **options: Any) -> AnyStore:
    """The open, migrated store at ``where`` (None: the default SQLite file); call ``close`` after.

    ``use`` is "shared" for play and "exclusive" for maintenance that must run alone (vacuum, restore).
    Other options (wall_clock, busy_timeout_ms, ...) go to the store.
    """
    resolved = location.resolve(where)
    if isinstance(resolved, location.PgLocation):
        from digital_actors.memory.postgres import PostgresMemoryStore

        return await PostgresMemoryStore.connect(resolved, pool=pool or PoolOptions(), use=use, **options)
    from digital_actors.memory.store import SqliteMemoryStore

    return await SqliteMemoryStore.connect(resolved if isinstance(resolved, str) else os.fspath(resolved),
                                           use=use, **options)


@asynccontextmanager
async def open_store(where: str | os.PathLike[str] | None = None, **options: Any) -> AsyncIterator[AnyStore]:
    """``async with open_store(url_or_path) as store``: connected, migrated, then closed."""
    store = await connect_store(where, **options)
    try:
        yield store
    finally:
        await store.close()
