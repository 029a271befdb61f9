"""What only the PostgreSQL store has to prove, against a real server: one owner per transaction while
another session holds a lock, a server that drops or refuses connections, timeouts, the password
never shown, migrations in their PostgreSQL form, and a spool per process named without the password."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import psycopg
import pytest
from structlog.testing import capture_logs

from digital_actors.clock import FakeClock
from digital_actors.config import Settings
from digital_actors.errors import MemoryStoreError
from digital_actors.memory import migrations, spool, writes
from digital_actors.memory.outbox import Outbox
from digital_actors.memory.postgres import PostgresMemoryStore
from digital_actors.memory.stores import PoolOptions, connect_store, open_store
from tests.memory.faults import write_lock, yield_until
from tests.memory.pg_server import PASSWORD, PgServer

SCHEMA = migrations.SCHEMA


def waiting_for_a_lock(url: str) -> bool:
    """Whether a session of ours waits for a lock now (pg_stat_activity, read by another session)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND application_name LIKE 'digital-actors/%%' AND wait_event_type = 'Lock'").fetchone()
    return bool(row and row[0])


def open_transactions(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND application_name LIKE 'digital-actors/%%' "
                           "AND state LIKE 'idle in transaction%%'").fetchone()
    return int(row[0]) if row else 0


async def test_a_caller_that_gives_up_while_its_write_waits_leaves_no_transaction_behind(pg_url: str) -> None:
    async with open_store(pg_url, busy_timeout_ms=60_000) as store:
        await store.player("Warm-up")
        with write_lock(pg_url, "ACCESS EXCLUSIVE"):
            caller = asyncio.ensure_future(store.player("Ada"))
            await yield_until(lambda: waiting_for_a_lock(pg_url), turns=2000)  # inside its transaction, waiting
            caller.cancel()  # its timeout fires: asyncio.timeout cancels exactly like this
            with pytest.raises(asyncio.CancelledError):
                await caller
        assert (await store.player("Bob")).name == "Bob"
        assert await store.find_player("Ada") is not None  # the write the caller gave up on landed
        assert open_transactions(pg_url) == 0  # its owner ended it: no session of ours sits in a transaction
        with psycopg.connect(pg_url, autocommit=True) as other:  # and we hold no lock: this gets it at once
            other.execute("BEGIN")
            other.execute("SET LOCAL lock_timeout = 100")
            other.execute(f"LOCK TABLE {SCHEMA}.players IN ACCESS EXCLUSIVE MODE")
            other.execute("ROLLBACK")
        assert (await store.healthy()) == (True, "ok")


async def test_a_timed_out_caller_does_not_cut_a_write_in_half(pg_url: str) -> None:
    async with open_store(pg_url, busy_timeout_ms=60_000) as store:
        alex = await store.player("Alex")
        with write_lock(pg_url):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0):
                    await store.begin_attempt(alex.id, "sub", "mara")
        await store.close()  # waits for the owner: the begin lands once the lock is gone
    async with open_store(pg_url) as store:
        assert [a["outcome"] for a in (await store.export(alex.id))["scene_attempts"]] == ["in_progress"]


async def test_errors_say_whether_a_write_can_land_later(pg_url: str) -> None:
    async with open_store(pg_url, busy_timeout_ms=50, lock_retries=0) as store:
        with write_lock(pg_url), pytest.raises(MemoryStoreError) as locked:
            await store.player("Ada")
        assert (locked.value.kind, locked.value.retryable) == ("locked", True)
        with pytest.raises(MemoryStoreError) as missing:
            await store.begin_attempt("no-such-player", "sub", "mara")
        assert (missing.value.kind, missing.value.retryable) == ("missing", False)
    with pytest.raises(MemoryStoreError) as closed:
        await store.player("Ada")
    assert (closed.value.kind, closed.value.retryable) == ("closed", True)


async def test_reads_go_on_under_a_write_lock_and_a_lock_is_retried(pg_url: str) -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with open_store(pg_url, busy_timeout_ms=20, lock_retries=3, sleep=sleep) as store:
        alex = await store.player("Alex")
        with write_lock(pg_url):
            assert (await store.get_player(alex.id)) == alex  # EXCLUSIVE lets readers through, as SQLite's WAL
            with pytest.raises(MemoryStoreError, match="stayed locked"):
                await store.player("Bea")
        assert len(sleeps) == 3
        assert (await store.player("Bea")).name == "Bea"


async def test_a_statement_past_the_timeout_is_cancelled_and_kept(pg_url: str) -> None:
    pool = PoolOptions(1, 2, acquire_timeout=5, statement_timeout=0.05)
    async with open_store(pg_url, pool=pool) as store:
        with pytest.raises(MemoryStoreError) as slow:
            await store.transaction("slow", lambda tx: tx.one("SELECT pg_sleep(1)"))
        assert (slow.value.kind, slow.value.retryable) == ("timeout", True)
        assert "MEMORY_DB_STATEMENT_TIMEOUT_SECONDS" in slow.value.message
        assert (await store.player("Alex")).name == "Alex"


async def test_connections_the_server_drops_are_replaced(pg_server: PgServer, pg_url: str) -> None:
    async with open_store(pg_url, pool=PoolOptions(2, 4)) as store:
        alex = await store.player("Alex")
        with pg_server.admin() as admin:  # a failover or a restart: every connection of ours is cut
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name LIKE 'digital-actors/%%'")
        assert (await store.get_player(alex.id)) == alex  # the pool checks and replaces what it hands out


async def test_writes_kept_while_the_server_refuses_connections_land_when_it_is_back(
        pg_server: PgServer, pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    clock = FakeClock()
    async with open_store(pg_url, pool=PoolOptions(0, 2, acquire_timeout=1)) as store:
        alex = await store.player("Alex")
        outbox = Outbox(store, clock=clock, spool_file=spool.spool_path(store.path), busy_timeout_ms=0,
                        rng=random.Random(1))
        with pg_server.admin() as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')  # type: ignore[arg-type]
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            begin = writes.new_attempt(alex.id, "sub", "mara", at=outbox.now())
            assert await outbox.submit(begin) is False  # kept
            status = outbox.status()
            assert status.failing and "cannot be reached" in (status.error or "")
            assert PASSWORD not in (status.reason() or "")
        finally:
            with pg_server.admin() as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')  # type: ignore[arg-type]
        for _ in range(20):
            if not outbox.status().pending:
                break
            await outbox.resting()
            await clock.advance(60)
        assert not outbox.status().pending and not outbox.status().failing
        assert [a["outcome"] for a in (await store.export(alex.id))["scene_attempts"]] == ["in_progress"]
        await outbox.aclose()


async def test_the_password_is_never_shown(pg_server: PgServer, pg_url: str, isolated_home: Path) -> None:
    wrong = pg_url.replace(PASSWORD, "not-the-Secr3t")
    with capture_logs() as logs, pytest.raises(MemoryStoreError) as refused:
        await connect_store(wrong)
    assert refused.value.kind == "login" and "not-the-Secr3t" not in str(refused.value)
    async with open_store(pg_url, busy_timeout_ms=50, lock_retries=0) as store:
        assert PASSWORD not in store.path and store.path.startswith("postgresql://da@127.0.0.1:")
        assert PASSWORD not in repr(store.location)
        spool_file = spool.spool_path(store.path)
        assert spool_file is not None and spool_file.parent == isolated_home / "data"
        assert PASSWORD not in spool_file.name and "@127.0.0.1-" in spool_file.name
        with write_lock(pg_url), pytest.raises(MemoryStoreError) as locked:
            await store.transaction("x", lambda tx: tx.run("INSERT INTO _health VALUES (1, 'x')"))
    assert PASSWORD not in str(locked.value)
    assert not [e for e in logs if PASSWORD in str(e)]
    settings = Settings(database_url=pg_url)  # type: ignore[call-arg]
    view = settings.public_view()
    assert PASSWORD not in view["DATABASE_URL"] and ":********@" in view["DATABASE_URL"]
    assert PASSWORD not in repr(settings) and settings.memory_database() == pg_url


def test_digital_actors_db_wins_over_database_url(tmp_path: Path) -> None:
    both = Settings(digital_actors_db=str(tmp_path / "m.db"), database_url="postgresql://u:p@h/d")  # type: ignore[call-arg]
    assert both.memory_database() == str(tmp_path / "m.db")
    assert Settings(database_url="postgres://u:p@h/d").memory_database() == "postgres://u:p@h/d"  # type: ignore[call-arg]
    assert Settings().memory_database() is None
    with pytest.raises(ValueError, match="MEMORY_DB_POOL_MAX_SIZE"):
        Settings(memory_db_pool_min_size=5, memory_db_pool_max_size=2)  # type: ignore[call-arg]


async def test_migrations_in_their_postgresql_form(pg_empty_url: str) -> None:
    async with open_store(pg_empty_url) as store:
        await store.player("Zoë")
        assert (await store.player("ZOË")).name == "Zoë"  # case-insensitive, as SQLite's NOCASE
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        names = [r[0] for r in conn.execute(f"SELECT name FROM {SCHEMA}._migrations ORDER BY applied_at, name")]
        assert names == migrations.known_names()
        types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = %s AND table_name = 'relationships'", (SCHEMA,)).fetchall())
        assert types["trust"] == "double precision"  # 8 bytes, as SQLite's REAL: equal floats stay equal
        public = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        assert public == (0,)  # our tables stay in their own schema
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(f"UPDATE {SCHEMA}.relationships SET trust = 101")
            conn.execute(f"INSERT INTO {SCHEMA}.players VALUES ('x', 'X', 'robot', 'a', 'a', '')")
        before = conn.execute(f"SELECT name, applied_at FROM {SCHEMA}._migrations ORDER BY name").fetchall()
    async with open_store(pg_empty_url):  # a second start migrates nothing
        pass
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        assert conn.execute(f"SELECT name, applied_at FROM {SCHEMA}._migrations ORDER BY name").fetchall() == before
        conn.execute(f"INSERT INTO {SCHEMA}._migrations VALUES ('m999_from_the_future', '2030-01-01')")
    with pytest.raises(MemoryStoreError, match="newer"):
        await connect_store(pg_empty_url)


async def test_two_processes_migrating_at_once_migrate_once(pg_empty_url: str) -> None:
    stores = await asyncio.gather(*(connect_store(pg_empty_url) for _ in range(3)))
    for store in stores:
        assert (await store.healthy()) == (True, "ok")
        await store.close()


async def test_a_partly_migrated_database_is_finished(pg_empty_url: str) -> None:
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f"SET search_path TO {SCHEMA}")
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        first = migrations.MIGRATIONS[0]
        for statement in first.for_postgres():
            conn.execute(statement)  # type: ignore[arg-type]
        conn.execute("INSERT INTO _migrations VALUES (%s, '2026-01-01T00:00:00.000+00:00')", (first.name,))
    async with open_store(pg_empty_url) as store:
        assert (await store.healthy()) == (True, "ok")


async def test_someone_elses_tables_are_refused_and_kept(pg_empty_url: str) -> None:
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f"CREATE TABLE {SCHEMA}.players (id int)")
        conn.execute("CREATE TABLE public.sessions (id int)")  # another app's table elsewhere is fine
    with pytest.raises(MemoryStoreError, match="not a Digital Actors"):
        await connect_store(pg_empty_url)
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.players").fetchone() == (0,)


async def test_each_process_spools_to_a_slot_of_its_own(pg_url: str, isolated_home: Path) -> None:
    async with open_store(pg_url) as a, open_store(pg_url) as b:
        base = spool.spool_path(a.path)
        assert base is not None
        first = Outbox(a, clock=FakeClock(), spool_file=base)
        second = Outbox(b, clock=FakeClock(), spool_file=base)
        first.replay()
        second.replay()
        assert first.spool_file == base and second.spool_file == spool.slot_path(base, 2)
        await first.aclose()
        await second.aclose()
        # a worker that stopped with writes spooled and never came back: the next start adopts them
        alex = await a.player("Alex")
        spool.save(spool.slot_path(base, 3), [writes.SetGivenName(alex.id, "Ada")])
        third = Outbox(a, clock=FakeClock(), spool_file=base)
        assert third.replay() == 1
        await third.drained()
        assert (await a.get_player(alex.id)).given_name == "Ada"  # type: ignore[union-attr]
        assert not spool.slot_path(base, 3).exists()
        await third.aclose()


async def test_an_exclusive_command_is_refused_while_another_process_is_connected(pg_url: str) -> None:
    store = await PostgresMemoryStore.connect(pg_url, use="exclusive")  # nobody else: allowed
    await store.close()
    with psycopg.connect(pg_url, autocommit=True, application_name="digital-actors/elsewhere/42"):
        with pytest.raises(MemoryStoreError, match="in use by a running Digital Actors process") as busy:
            await PostgresMemoryStore.connect(pg_url, use="exclusive")
        assert "elsewhere/42" in busy.value.message
