"""One transaction, whichever database holds it: the small port the shared SQL is written against.

The queries (queries.py, control.py, legacy.py, copy.py) are written once, with ``?`` placeholders
and two words that differ between the dialects: ``GREATEST(`` (SQLite's scalar ``max(``) and
``ROWID`` (SQLite's insertion order; PostgreSQL has none, so the primary key breaks ties there).
Everything else they use is common to SQLite 3.24+ and PostgreSQL 12+ (``ON CONFLICT ... DO``,
``excluded.``). Each adapter renders a statement once and caches it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import aiosqlite

if TYPE_CHECKING:
    import psycopg

Dialect = Literal["sqlite", "postgresql"]
Mode = Literal["read", "write", "none"]  # a transaction that writes, one that only reads, or none at all
Args = Sequence[Any]


class Tx(Protocol):
    """The open transaction a store hands to a query function (it never begins or ends it)."""

    dialect: Dialect

    async def one(self, sql: str, args: Args = ()) -> tuple[Any, ...] | None: ...
    async def all(self, sql: str, args: Args = ()) -> list[tuple[Any, ...]]: ...
    async def dicts(self, sql: str, args: Args = ()) -> list[dict[str, Any]]: ...
    async def run(self, sql: str, args: Args = ()) -> int: ...
    async def many(self, sql: str, rows: Sequence[Args]) -> None: ...
    async def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Args]) -> None: ...


@functools.lru_cache(maxsize=512)
def for_sqlite(sql: str) -> str:
    return sql.replace("GREATEST(", "max(").replace("ROWID", "rowid")


@functools.lru_cache(maxsize=512)
def for_postgres(sql: str) -> str:
    """``?`` -> ``%s`` (outside quoted text), a literal ``%`` doubled; ROWID -> the primary key ``id``."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql.replace("ROWID", "id"):
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        else:
            out.append("%%" if ch == "%" else ch)
    return "".join(out)


class SqliteTx:
    """A transaction on an aiosqlite connection."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def one(self, sql: str, args: Args = ()) -> tuple[Any, ...] | None:
        async with self.conn.execute(for_sqlite(sql), tuple(args)) as cur:
            row = await cur.fetchone()
        return tuple(row) if row is not None else None

    async def all(self, sql: str, args: Args = ()) -> list[tuple[Any, ...]]:
        async with self.conn.execute(for_sqlite(sql), tuple(args)) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    async def dicts(self, sql: str, args: Args = ()) -> list[dict[str, Any]]:
        async with self.conn.execute(for_sqlite(sql), tuple(args)) as cur:
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]

    async def run(self, sql: str, args: Args = ()) -> int:
        cur = await self.conn.execute(for_sqlite(sql), tuple(args))
        count = cur.rowcount
        await cur.close()
        return count

    async def many(self, sql: str, rows: Sequence[Args]) -> None:
        await self.conn.executemany(for_sqlite(sql), [tuple(r) for r in rows])

    async def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Args]) -> None:
        """Insert many new rows (SQLite has no COPY: one prepared INSERT, executed per row)."""
        marks = ", ".join("?" for _ in columns)
        await self.many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


class PgTx:
    """A transaction on a psycopg async connection (statements it runs often are prepared by psycopg)."""

    dialect: Dialect = "postgresql"

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn

    async def one(self, sql: str, args: Args = ()) -> tuple[Any, ...] | None:
        cur = await self.conn.execute(for_postgres(sql), tuple(args))
        row = await cur.fetchone()
        return tuple(row) if row is not None else None

    async def all(self, sql: str, args: Args = ()) -> list[tuple[Any, ...]]:
        cur = await self.conn.execute(for_postgres(sql), tuple(args))
        return [tuple(r) for r in await cur.fetchall()]

    async def dicts(self, sql: str, args: Args = ()) -> list[dict[str, Any]]:
        cur = await self.conn.execute(for_postgres(sql), tuple(args))
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]

    async def run(self, sql: str, args: Args = ()) -> int:
        cur = await self.conn.execute(for_postgres(sql), tuple(args))
        return max(cur.rowcount, 0)

    async def many(self, sql: str, rows: Sequence[Args]) -> None:
        async with self.conn.cursor() as cur:
            await cur.executemany(for_postgres(sql), [tuple(r) for r in rows])

    async def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Args]) -> None:
        """Insert many new rows with COPY ... FROM STDIN: one round trip per batch, not per row."""
        async with self.conn.cursor() as cur, cur.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                await copy.write_row(tuple(row))
