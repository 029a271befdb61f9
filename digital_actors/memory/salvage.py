"""Copy whatever rows can still be read from a damaged database into a new one, and count the rest.

Each table is read whole; when that fails it is read in rowid ranges, and a failing range row
by row, so one bad page costs only the rows stored on it. Rows that were read but break the
schema (an attempt whose player was lost) are rejected and counted, never inserted half-valid.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import location, migrations
from digital_actors.memory.records import SalvageReport, TableSalvage

log = structlog.get_logger()

TABLES = (
    "players",
    "sessions",
    "scene_attempts",
    "personality_profiles",
    "relationships",
    "memories",
)
CHUNK = 128
GIVE_UP_AFTER = 32  # empty chunks in a row past the last readable row when max(rowid) is unreadable


def salvage_database(src: Path, dest: Path) -> SalvageReport:
    """Create ``dest`` with the current schema and copy every readable row of ``src`` into it."""
    if not src.is_file():
        raise MemoryStoreError(
            f"There is no database at {src} to salvage.",
            "Check the path, DIGITAL_ACTORS_DB and DIGITAL_ACTORS_HOME.",
        )
    if dest.exists():
        raise MemoryStoreError(
            f"{dest} already exists; salvage never overwrites a file.",
            "Choose another --output path.",
        )
    location.prepare_dir(dest)
    results: list[TableSalvage] = []
    with contextlib.closing(sqlite3.connect(dest, isolation_level=None)) as out:
        out.execute("PRAGMA foreign_keys=ON")
        migrations.migrate_new_file(out)
        readable = location.file_kind(src) == "sqlite"
        with contextlib.closing(
            sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=5.0)
        ) as inp:
            for table in TABLES:
                if not readable:
                    results.append(TableSalvage(table, error="not a SQLite database"))
                    continue
                results.append(_copy_table(inp, out, table))
    report = SalvageReport(str(src), str(dest), tuple(results))
    log.info(
        "memory_salvaged",
        source=str(src),
        destination=str(dest),
        recovered=report.recovered,
        lost=report.lost,
    )
    return report


def _copy_table(inp: sqlite3.Connection, out: sqlite3.Connection, table: str) -> TableSalvage:
    wanted = [r[1] for r in out.execute(f"PRAGMA table_info({table})")]
    try:
        present = {r[1] for r in inp.execute(f"PRAGMA table_info({table})")}
    except sqlite3.DatabaseError as e:
        return TableSalvage(table, error=f"schema unreadable: {e}")
    if not present:
        return TableSalvage(table, error="table missing from the damaged file")
    cols = [c for c in wanted if c in present]
    reader = _Reader(inp, table, cols)
    insert = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    recovered = rejected = 0
    out.execute("BEGIN")
    for row in reader.rows():
        try:
            out.execute(insert, row)
            recovered += 1
        except sqlite3.IntegrityError:
            rejected += 1
    out.execute("COMMIT")
    return TableSalvage(
        table,
        recovered=recovered,
        unreadable=reader.unreadable,
        rejected=rejected,
        error=reader.note,
    )


class _Reader:
    """Reads a table whole, or range by range and row by row around damaged pages."""

    def __init__(self, conn: sqlite3.Connection, table: str, cols: list[str]) -> None:
        self.conn = conn
        self.select = f"SELECT {', '.join(cols)} FROM {table}"
        self.table = table
        self.unreadable = 0
        self.note: str | None = None

    def rows(self) -> Iterator[tuple[Any, ...]]:
        try:
            yield from self.conn.execute(self.select).fetchall()
            return
        except sqlite3.DatabaseError:
            pass
        try:
            row = self.conn.execute(f"SELECT max(rowid) FROM {self.table}").fetchone()
            top: int | None = row[0]
        except sqlite3.DatabaseError:
            top = None
        start, empty_run, pending = 1, 0, 0
        while (start <= top) if top is not None else (empty_run < GIVE_UP_AFTER):
            chunk, failed = self._range(start, start + CHUNK - 1)
            if chunk:
                # failures before a readable row are holes inside the table: rows really lost
                self.unreadable += pending
                pending, empty_run = 0, 0
            else:
                empty_run += 1
            pending += failed
            yield from chunk
            start += CHUNK
        if top is not None:
            self.unreadable += pending
        elif pending:
            last_good = start - 1 - empty_run * CHUNK
            self.note = f"end of table unreadable; rows after rowid {last_good} may be lost"

    def _range(self, first: int, last: int) -> tuple[list[tuple[Any, ...]], int]:
        try:
            return self.conn.execute(
                f"{self.select} WHERE rowid BETWEEN ? AND ?", (first, last)
            ).fetchall(), 0
        except sqlite3.DatabaseError:
            pass
        rows: list[tuple[Any, ...]] = []
        failed = 0
        for rowid in range(first, last + 1):
            try:
                rows += self.conn.execute(f"{self.select} WHERE rowid = ?", (rowid,)).fetchall()
            except sqlite3.DatabaseError:
                failed += 1
        return rows, failed
