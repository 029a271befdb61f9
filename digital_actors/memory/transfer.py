"""Moving player memory between stores: ``memory migrate --to URL`` (SQLite <-> PostgreSQL), its verify
step, and the logical dump that is PostgreSQL's backup.

The copy reads the source in one read transaction (a consistent snapshot) and makes the target
agree with it row by row: rows the target lacks are inserted (COPY on PostgreSQL), rows that differ
are updated, rows already equal are left alone, so a second run copies nothing. Rows only in the
target are kept and counted. Verify compares, per table, the row count and an order-independent
checksum of every column (the sum of each row's SHA-256, mod 2^64) on both sides.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import migrations
from digital_actors.memory.base import SqlStore
from digital_actors.memory.sql import Tx

BATCH = 1000
DUMP_FORMAT = "digital-actors-memory-dump"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]


# Parents before children (foreign keys). tests/memory/test_transfer.py checks this list against the schema.
TABLES: tuple[Table, ...] = (
    Table("players", ("id",), ("id", "name", "kind", "created_at", "last_seen_at", "given_name")),
    Table("sessions", ("id",), ("id", "player_id", "scene_id", "started_at", "ended_at", "playtime_seconds")),
    Table("scene_attempts", ("id",), ("id", "player_id", "session_id", "scene_id", "character_id", "started_at",
                                      "ended_at", "outcome", "ending_id", "stats")),
    Table("personality_profiles", ("player_id",), ("player_id", "impulsiveness", "cooperation", "problem_solving",
                                                   "patience", "updated_at")),
    Table("relationships", ("player_id", "character_id"), ("player_id", "character_id", "trust", "familiarity",
                                                           "last_interaction_at")),
    Table("memories", ("id",), ("id", "player_id", "character_id", "text", "scene_id", "attempt_id", "created_at",
                                "weight")),
    Table("legacy_imports", ("source_key",), ("source_key", "target", "imported_at")),
)
Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


def encode(row: Sequence[Any]) -> str:
    """One row as canonical text: the same values give the same text from either database."""
    return json.dumps([float(v) if isinstance(v, float) else v for v in row], ensure_ascii=False,
                      separators=(",", ":"))


def row_hash(row: Sequence[Any]) -> int:
    return int.from_bytes(hashlib.sha256(encode(row).encode()).digest()[:8], "big")


@dataclass
class Tally:
    """Rows and their checksum for one table."""

    rows: int = 0
    checksum: int = 0

    def add(self, row: Sequence[Any]) -> None:
        self.rows += 1
        self.checksum = (self.checksum + row_hash(row)) % (1 << 64)

    @property
    def hex(self) -> str:
        return f"{self.checksum:016x}"


@dataclass
class TableCopy:
    """What one table's copy did."""

    table: str
    source: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    only_in_target: int = 0


@dataclass
class Verification:
    """Row counts and checksums of every table on both sides."""

    tables: dict[str, tuple[Tally, Tally]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(a.rows == b.rows and a.checksum == b.checksum for a, b in self.tables.values())

    def lines(self) -> list[str]:
        out = []
        for name, (a, b) in self.tables.items():
            verdict = "ok" if (a.rows, a.checksum) == (b.rows, b.checksum) else "DIFFERENT"
            out.append(f"  {name:<21} {a.rows:>8} rows  {b.rows:>8} rows  checksum {a.hex} {b.hex}  {verdict}")
        return out


async def count(tx: Tx, table: Table) -> int:
    row = await tx.one(f"SELECT count(*) FROM {table.name}")
    return int(row[0]) if row else 0


async def batches(tx: Tx, table: Table, size: int = BATCH) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Every row of ``table`` in key order, ``size`` at a time (keyset pagination: no OFFSET)."""
    cols, key = ", ".join(table.columns), ", ".join(table.key)
    first = f"SELECT {cols} FROM {table.name} ORDER BY {key} LIMIT {int(size)}"
    after = (f"SELECT {cols} FROM {table.name} WHERE ({key}) > ({', '.join('?' for _ in table.key)}) "
             f"ORDER BY {key} LIMIT {int(size)}")
    positions = [table.columns.index(k) for k in table.key]
    rows = await tx.all(first)
    while rows:
        yield rows
        if len(rows) < size:
            return
        rows = await tx.all(after, [rows[-1][i] for i in positions])


async def tally(tx: Tx, table: Table) -> Tally:
    found = Tally()
    async for rows in batches(tx, table):
        for row in rows:
            found.add(row)
    return found


async def existing(tx: Tx, table: Table) -> dict[tuple[Any, ...], int]:
    """The target's rows as key -> row hash."""
    positions = [table.columns.index(k) for k in table.key]
    out: dict[tuple[Any, ...], int] = {}
    async for rows in batches(tx, table):
        for row in rows:
            out[tuple(row[i] for i in positions)] = row_hash(row)
    return out


def upsert_sql(table: Table) -> str:
    cols = ", ".join(table.columns)
    marks = ", ".join("?" for _ in table.columns)
    sets = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c not in table.key)
    return (f"INSERT INTO {table.name} ({cols}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {sets}")


async def insert(tx: Tx, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """New rows: COPY on PostgreSQL, executemany on SQLite."""
    if rows:
        await tx.copy_rows(table.name, table.columns, rows)


async def after_copy(tx: Tx) -> None:
    """PostgreSQL: move the memories' id sequence past the ids copied in (SQLite keeps its own)."""
    if tx.dialect == "postgresql":
        await tx.one("SELECT setval(pg_get_serial_sequence('memories', 'id'), "
                     "GREATEST((SELECT max(id) FROM memories), 1))")


def read_dump(path: Path) -> tuple[dict[str, Any], dict[str, list[list[Any]]]]:
    """A dump's header and rows, checked whole (format, version, migrations, counts, checksums)."""
    if not path.is_file():
        raise MemoryStoreError(f"There is no backup at {path}.", "Give the path of a .jsonl.gz dump.")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            lines = [json.loads(line) for line in fh if line.strip()]
    except (OSError, EOFError, ValueError) as e:
        raise MemoryStoreError(f"Cannot read the backup {path}: {e}.",
                               "The file may be truncated; pick another backup.") from None
    if not lines or lines[0].get("format") != DUMP_FORMAT:
        raise MemoryStoreError(f"{path} is not a Digital Actors memory dump.",
                               "A PostgreSQL store restores a `memory backup` of a PostgreSQL store (.jsonl.gz); "
                               "to bring a SQLite file over, use `memory migrate --to`.")
    header, trailer = lines[0], lines[-1]
    newer = sorted(set(header.get("migrations", [])) - set(migrations.known_names()))
    if newer:
        raise MemoryStoreError(f"The backup {path} was made by a newer Digital Actors ({', '.join(newer)}).",
                               "Upgrade digital-actors first.")
    if "end" not in trailer:
        raise MemoryStoreError(f"The backup {path} is incomplete (no end record).",
                               "Pick another backup; this one was cut short.")
    rows: dict[str, list[list[Any]]] = {t.name: [] for t in TABLES}
    for line in lines[1:-1]:
        rows.setdefault(line["table"], []).append(line["row"])
    for table in TABLES:
        found = Tally()
        for row in rows[table.name]:
            found.add(row)
        want = trailer["end"].get(table.name, {"rows": 0, "checksum": f"{0:016x}"})
        if (found.rows, found.hex) != (want["rows"], want["checksum"]):
            raise MemoryStoreError(f"The backup {path} fails its own checksum for {table.name}.",
                                   "Pick another backup; this one is damaged.")
    return header, rows


def dump_header(header: dict[str, Any]) -> str:
    return json.dumps({"format": DUMP_FORMAT, "version": 1, **header}) + "\n"


def dump_row(table: str, row: Sequence[Any]) -> str:
    return json.dumps({"table": table, "row": list(row)}, ensure_ascii=False) + "\n"


def dump_end(tallies: dict[str, Tally]) -> str:
    return json.dumps({"end": {n: {"rows": t.rows, "checksum": t.hex} for n, t in tallies.items()}}) + "\n"


async def copy_all(src: SqlStore, dst: SqlStore, *, progress: Progress | None = None,
                   batch: int = BATCH) -> list[TableCopy]:
    """Make ``dst`` agree with ``src`` for every row of ``src``: what each table's copy did."""
    if src is dst or (src.dialect == dst.dialect and str(src.path) == str(dst.path)):
        raise MemoryStoreError("The source and the target are the same database.",
                               "Give --to another database.", kind="invalid")

    async def read(stx: Tx) -> list[TableCopy]:
        results = []
        for table in TABLES:
            results.append(await _copy_table(stx, dst, table, progress, batch))
        await dst.transaction("migrate_finish", after_copy)
        return results

    return await src.transaction("migrate_read", read, mode="read")


async def _copy_table(stx: Tx, dst: SqlStore, table: Table, progress: Progress | None, batch: int) -> TableCopy:
    total = await count(stx, table)
    have = await dst.transaction("migrate_target", lambda t: existing(t, table), mode="read")
    result, done = TableCopy(table.name, source=total), 0
    seen: set[tuple[Any, ...]] = set()
    positions = [table.columns.index(k) for k in table.key]
    async for rows in batches(stx, table, batch):
        new, changed = [], []
        for row in rows:
            key = tuple(row[i] for i in positions)
            seen.add(key)
            old = have.get(key)
            if old is None:
                new.append(row)
            elif old != row_hash(row):
                changed.append(row)
        result.inserted += len(new)
        result.updated += len(changed)
        result.unchanged += len(rows) - len(new) - len(changed)
        if new or changed:
            async def write(t: Tx, new: list[tuple[Any, ...]] = new, changed: list[tuple[Any, ...]] = changed) -> None:
                await insert(t, table, new)
                if changed:
                    await t.many(upsert_sql(table), changed)

            await dst.transaction("migrate_write", write)
        done += len(rows)
        if progress is not None:
            progress(table.name, done, total)
    result.only_in_target = len(set(have) - seen)
    return result


async def verify(src: SqlStore, dst: SqlStore) -> Verification:
    """Per table: rows and checksum on each side (each read in one transaction of its own)."""
    out = Verification()
    for table in TABLES:
        async def counted(tx: Tx, table: Table = table) -> Tally:
            return await tally(tx, table)

        out.tables[table.name] = (await src.transaction("verify", counted, mode="read"),
                                  await dst.transaction("verify", counted, mode="read"))
    return out
