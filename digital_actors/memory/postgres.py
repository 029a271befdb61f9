"""The PostgreSQL memory store: the same port, schema, migrations and guarantees as the SQLite one.

Selected by a ``postgresql://`` (or ``postgres://``) URL in DIGITAL_ACTORS_DB or DATABASE_URL. Play
and player operations are the shared SQL (memory/base.py); the pool and the owned transactions are
memory/pgdb.py. Maintenance maps onto PostgreSQL: ``backup`` writes a logical dump (gzipped JSON
lines, every table read in one snapshot, with per-table counts and checksums) that ``restore``
checks and loads in one transaction; ``check`` validates the schema, the constraints and (with the
amcheck extension) the indexes; ``vacuum`` is ``VACUUM (ANALYZE)``. ``salvage`` is SQLite's alone.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import legacy, maintenance, migrations, transfer
from digital_actors.memory.base import SqlStore, T, TxWork
from digital_actors.memory.location import PgLocation
from digital_actors.memory.metrics import DB_QUERY_SECONDS
from digital_actors.memory.occupancy import Use
from digital_actors.memory.pgdb import APP, Conn, PgDatabase
from digital_actors.memory.records import IntegrityReport, SalvageReport, iso, utc_now
from digital_actors.memory.sql import Dialect, Mode, PgTx, Tx
from digital_actors.memory.stores import PoolOptions

log = structlog.get_logger()
DUMP_SUFFIX = ".jsonl.gz"


class PostgresMemoryStore(SqlStore):
    """Player memory in a PostgreSQL database (tables in the ``digital_actors`` schema), through a pool.

    ``async with PostgresMemoryStore.open(url) as store`` or ``connect``/``close``; most callers use
    ``memory.stores.connect_store``, which picks this store for a PostgreSQL URL.
    """

    dialect: Dialect = "postgresql"

    def __init__(self, where: PgLocation, *, pool: PoolOptions | None = None, busy_timeout_ms: int = 5000,
                 lock_retries: int = 4, retry_base_seconds: float = 0.05,
                 wall_clock: Callable[[], datetime] = utc_now, memory_limit: int = 5,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        super().__init__(wall_clock=wall_clock, memory_limit=memory_limit)
        self.location = where
        self._db = PgDatabase(where, pool=pool or PoolOptions(), busy_timeout_ms=busy_timeout_ms,
                              lock_retries=lock_retries, retry_base_seconds=retry_base_seconds, sleep=sleep)

    @property
    def path(self) -> str:
        """The database's URL without its password (safe to show; the spool file is named after it)."""
        return self.location.shown

    @classmethod
    async def connect(cls, where: PgLocation | str, *, use: Use = "shared", **options: Any) -> PostgresMemoryStore:
        """Open (creating the schema and migrating if needed); call ``close`` after.

        ``use="exclusive"`` (vacuum, restore) is refused while another Digital Actors process is connected.
        """
        from digital_actors.memory import location

        resolved = where if isinstance(where, PgLocation) else location.resolve(where)
        if not isinstance(resolved, PgLocation):
            raise MemoryStoreError(f"{resolved} is not a PostgreSQL URL.", "Use postgresql://user:password@host/db.")
        if use == "exclusive":
            options["pool"] = PoolOptions(1, 1, *(_rest(options.get("pool"))))
        store = cls(resolved, **options)
        await store._db.open()
        if use == "exclusive":
            try:
                await store._alone("this command")
            except BaseException:
                await store.close()
                raise
        return store

    @classmethod
    @asynccontextmanager
    async def open(cls, where: PgLocation | str, **options: Any) -> AsyncIterator[PostgresMemoryStore]:
        store = await cls.connect(where, **options)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        await self._db.close()

    async def _tx(self, operation: str, work: TxWork[T], *, mode: Mode = "write",
                  busy_timeout_ms: int | None = None, retry: bool = True) -> T:
        return await self._db.run(operation, lambda conn: work(PgTx(conn)), mode=mode,
                                  busy_timeout_ms=busy_timeout_ms, retry=retry)

    async def _raw(self, operation: str, work: Callable[[Conn], Awaitable[T]], *, mode: Mode = "none") -> T:
        return await self._db.run(operation, work, mode=mode)

    # --- maintenance -----------------------------------------------------------------------------------
    async def _alone(self, operation: str) -> None:
        """Refuse while another Digital Actors process is connected (its pool would keep writing)."""

        async def others(tx: Tx) -> list[tuple[Any, ...]]:
            return await tx.all("SELECT application_name, count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND application_name LIKE ? "
                                "AND application_name <> ? GROUP BY application_name",
                                (f"{APP}/%", self._db.name))

        found = await self._tx("occupancy", others, mode="none")
        if found:
            who = ", ".join(f"{name.split('/', 1)[1]} ({n})" for name, n in found)
            raise MemoryStoreError(
                f"The player-memory database {self.path} is in use by a running Digital Actors process "
                f"(host/pid with connections: {who}), so {operation} was not run.",
                "Stop it first (for Docker: `docker compose stop app`), then run the command again. "
                "`digital-actors memory backup` is safe while it runs.", kind="busy", retryable=True)

    async def pragmas(self) -> dict[str, Any]:
        """The settings that matter for safety on this connection: timeouts, schema, server version."""

        async def work(tx: Tx) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name in ("server_version", "search_path", "statement_timeout", "lock_timeout",
                         "default_transaction_isolation", "application_name"):
                row = await tx.one(f"SELECT current_setting('{name}')")
                out[name] = row[0] if row else None
            return out

        return await self._tx("pragmas", work, mode="none")

    async def integrity(self) -> IntegrityReport:
        """The schema is ours and complete, no constraint is left unvalidated, and (with the amcheck
        extension) every index of ours checks out. PostgreSQL enforces foreign keys as it writes."""

        async def work(tx: Tx) -> IntegrityReport:
            problems: list[str] = []
            names = [r[0] for r in await tx.all("SELECT name FROM _migrations")]
            missing = sorted(set(migrations.known_names()) - set(names))
            if missing:
                problems.append(f"migrations not applied: {', '.join(missing)}")
            for (name,) in await tx.all("SELECT conname FROM pg_constraint c JOIN pg_namespace n "
                                        "ON n.oid = c.connamespace WHERE n.nspname = ? AND NOT c.convalidated",
                                        (migrations.SCHEMA,)):
                problems.append(f"constraint {name} is not validated")
            if await tx.one("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'"):
                for (index,) in await tx.all("SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c "
                                             "ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                                             "JOIN pg_am a ON a.oid = c.relam WHERE n.nspname = ? "
                                             "AND a.amname = 'btree'", (migrations.SCHEMA,)):
                    await tx.one("SELECT bt_index_check(?::regclass)", (index,))
            return IntegrityReport(self.path, tuple(problems), ())

        return await self._tx("integrity", work, mode="read")

    async def vacuum(self) -> tuple[int, int]:
        """``VACUUM (ANALYZE)`` each table of ours (alongside running servers: it takes no exclusive
        lock); returns the tables' total size in bytes before and after."""

        async def size(tx: Tx) -> int:
            row = await tx.one("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                               "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? "
                               "AND c.relkind = 'r'", (migrations.SCHEMA,))
            return int(row[0]) if row else 0

        async def work(conn: Conn) -> None:
            for table in [t.name for t in transfer.TABLES] + ["_migrations", "_health"]:
                await conn.execute(f"VACUUM (ANALYZE) {migrations.SCHEMA}.{table}")

        before = await self._tx("vacuum", size, mode="none")
        await self._raw("vacuum", work)
        return before, await self._tx("vacuum", size, mode="none")

    async def backup(self, dest_dir: str | os.PathLike[str], keep_days: float | None = None) -> Path:
        """A logical dump of every table, read in one snapshot, to ``dest_dir/<db>-<UTC stamp>.jsonl.gz``;
        prunes that database's dumps older than keep_days once the new one is in place."""
        final, _ = await self.dump(dest_dir, keep_days)
        return final

    async def dump(self, dest_dir: str | os.PathLike[str], keep_days: float | None = None
                   ) -> tuple[Path, list[Path]]:
        """``backup``, returning the dumps it pruned as well."""
        folder, now = Path(dest_dir), self._now()
        try:
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        except OSError as e:
            raise MemoryStoreError(f"Cannot create the backup folder {folder}: {e.strerror}.",
                                   "Choose a writable folder.") from e
        stem = self.backup_stem()
        final = folder / f"{stem}-{maintenance.stamp(now)}{DUMP_SUFFIX}"
        n = 1
        while final.exists():
            final = folder / f"{stem}-{maintenance.stamp(now)}-{n}{DUMP_SUFFIX}"
            n += 1
        partial = folder / f".{final.name}.part"

        async def work(tx: Tx) -> None:
            names = [r[0] for r in await tx.all("SELECT name FROM _migrations ORDER BY applied_at, name")]
            header = {"dialect": "postgresql", "source": self.path, "made_at": iso(now), "migrations": names}
            tallies = {t.name: transfer.Tally() for t in transfer.TABLES}
            with gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as fh:
                fh.write(transfer.dump_header(header))
                for table in transfer.TABLES:
                    async for batch in transfer.batches(tx, table):
                        for row in batch:
                            tallies[table.name].add(row)
                            fh.write(transfer.dump_row(table.name, row))
                fh.write(transfer.dump_end(tallies))
                fh.flush()
                os.fsync(fh.fileno())

        try:
            with DB_QUERY_SECONDS.labels("backup").time():
                await self._tx("backup", work, mode="read")
            os.replace(partial, final)
        except OSError as e:
            raise MemoryStoreError(f"Writing the backup to {folder} failed: {e}.",
                                   "Check free space and permissions of the backup folder.") from e
        finally:
            partial.unlink(missing_ok=True)
        pruned = ([] if keep_days is None else
                  maintenance.prune_backups(folder, stem, now, keep_days, keep=final, suffix=DUMP_SUFFIX))
        log.info("memory_backup_written", path=str(final), pruned=len(pruned))
        return final, pruned

    def backup_stem(self) -> str:
        """The start of this database's dump names: its name, safe in a file name."""
        name = self.path.rsplit("/", 1)[-1].split("?", 1)[0] or "memory"
        return re.sub(r"[^A-Za-z0-9_.-]", "_", name)

    async def restore(self, backup: str | os.PathLike[str]) -> None:
        """Replace every row with a checked dump, in one transaction (all or nothing), and verify it.

        Refused while another Digital Actors process is connected."""
        source = Path(backup)
        _, rows = await asyncio.to_thread(transfer.read_dump, source)
        await self._alone("restore")

        async def work(tx: Tx) -> None:
            await tx.run("TRUNCATE " + ", ".join(t.name for t in transfer.TABLES))
            for table in transfer.TABLES:
                for start in range(0, len(rows[table.name]), transfer.BATCH):
                    await transfer.insert(tx, table, rows[table.name][start:start + transfer.BATCH])
            await transfer.after_copy(tx)
            for table in transfer.TABLES:
                want, got = transfer.Tally(), await transfer.tally(tx, table)
                for row in rows[table.name]:
                    want.add(row)
                if (want.rows, want.checksum) != (got.rows, got.checksum):
                    raise MemoryStoreError(f"Restoring {table.name} did not reproduce the backup; nothing was "
                                           "replaced.", "Report this with the backup file.")

        with DB_QUERY_SECONDS.labels("restore").time():
            await self._tx("restore", work)
        log.info("memory_restored", path=self.path, source=str(source))

    async def salvage(self, src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> SalvageReport:
        raise MemoryStoreError(
            "salvage repairs a damaged SQLite file; PostgreSQL keeps its own write-ahead log and checksums.",
            "Restore a `memory backup` dump, or use the server's own recovery (see docs/OPERATIONS.md).")

    async def import_legacy(self, src: str | os.PathLike[str]) -> legacy.LegacyImportReport:
        """Bring over the earlier project's player_memory.db (memory/legacy.py); safe to run twice."""
        rows = await asyncio.to_thread(legacy.read_legacy, Path(src))
        now = self._now()
        return await self._tx("import_legacy", lambda tx: legacy.import_rows(tx, rows, str(src), now))


def _rest(pool: PoolOptions | None) -> tuple[float, float]:
    chosen = pool or PoolOptions()
    return chosen.acquire_timeout, chosen.statement_timeout
