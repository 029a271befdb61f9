"""Faults a player or host can hit: corrupt, foreign, locked, read-only files; damaged data; bad backups."""

# ruff: noqa: ASYNC240  (tests: blocking file and process calls are fine here)

from __future__ import annotations

import asyncio
import gzip
import os
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import location, maintenance
from digital_actors.memory.records import MemoryNote, utc_now
from digital_actors.memory.store import SqliteMemoryStore
from tests.memory.conftest import play
from tests.memory.damage import filled_database, smash_page_holding


def _untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


@pytest.mark.parametrize("content", [random.Random(7).randbytes(8192), b"player: alex\nscore: 3\n" * 50])
async def test_a_file_that_is_not_sqlite_is_refused_and_kept(db_path: Path, content: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    with pytest.raises(MemoryStoreError) as caught:
        await SqliteMemoryStore.connect(db_path)
    text = str(caught.value)
    assert str(db_path) in text and "memory salvage" in text and "memory restore" in text
    _untouched(db_path, content)


async def test_a_damaged_sqlite_file_is_refused_and_kept(db_path: Path) -> None:
    await filled_database(db_path)
    smash_page_holding(db_path, b"marker-00700")
    before = db_path.read_bytes()
    with pytest.raises(MemoryStoreError, match="damaged") as caught:
        await SqliteMemoryStore.connect(db_path)
    assert "memory salvage" in str(caught.value)
    _untouched(db_path, before)


async def test_a_damaged_header_page_is_refused(db_path: Path) -> None:
    await filled_database(db_path, memories=10)
    data = bytearray(db_path.read_bytes())
    data[100:4096] = random.Random(3).randbytes(3996)  # the schema page, past the file header
    db_path.write_bytes(bytes(data))
    with pytest.raises(MemoryStoreError) as caught:
        await SqliteMemoryStore.connect(db_path)
    assert str(db_path) in str(caught.value) and "salvage" in str(caught.value)
    assert db_path.read_bytes() == bytes(data)


async def test_someone_elses_sqlite_file_is_refused_and_kept(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.commit()
    before = db_path.read_bytes()
    with pytest.raises(MemoryStoreError, match="not a Digital Actors memory file"):
        await SqliteMemoryStore.connect(db_path)
    assert db_path.read_bytes() == before


async def test_a_locked_database_is_retried_then_reported(db_path: Path) -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    retries = REGISTRY.get_sample_value("digital_actors_db_lock_retries_total", {"operation": "player"}) or 0
    async with SqliteMemoryStore.open(db_path, busy_timeout_ms=20, lock_retries=3, sleep=sleep) as store:
        with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(MemoryStoreError, match="locked by another program") as caught:
                await store.player("Alex")
            assert caught.value.hint and "Close other" in caught.value.hint
            other.execute("ROLLBACK")
        assert len(pauses) == 3 and all(p > 0 for p in pauses)
        assert REGISTRY.get_sample_value("digital_actors_db_lock_retries_total",
                                         {"operation": "player"}) == retries + 3
        assert (await store.player("Alex")).name == "Alex"  # usable again once the lock is gone


async def test_a_lock_released_during_the_retries_succeeds(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)

    async def sleep(_: float) -> None:
        if holder.in_transaction:
            holder.execute("ROLLBACK")  # the other program lets go during our first pause

    try:
        async with SqliteMemoryStore.open(db_path, busy_timeout_ms=20, lock_retries=3, sleep=sleep) as store:
            holder.execute("BEGIN EXCLUSIVE")
            assert (await store.player("Alex")).name == "Alex"
    finally:
        holder.close()


async def test_a_read_only_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root ignores permission bits: simulate what os.access reports to a user
        monkeypatch.setattr(location, "dir_writable", lambda _folder: False)
    try:
        with pytest.raises(MemoryStoreError, match="read-only") as caught:
            await SqliteMemoryStore.connect(folder / "player_memory.db")
        assert "DIGITAL_ACTORS_DB" in (caught.value.hint or "")
        assert not (folder / "player_memory.db").exists()
    finally:
        folder.chmod(0o755)


def test_sqlite_read_only_errors_map_to_a_clear_message(tmp_path: Path) -> None:
    error = location.store_error(sqlite3.OperationalError("attempt to write a readonly database"),
                                 tmp_path / "x.db", "player")
    assert "read-only" in error.message and "writable" in (error.hint or "")


async def test_salvage_recovers_readable_rows_and_counts_the_lost(db_path: Path, tmp_path: Path) -> None:
    player_id = await filled_database(db_path)
    smash_page_holding(db_path, b"marker-00700")
    dest = tmp_path / "salvaged.db"
    async with SqliteMemoryStore.open(":memory:") as scratch:
        report = await scratch.salvage(db_path, dest)
    tables = {t.table: t for t in report.tables}
    assert tables["players"].recovered == 1 and tables["scene_attempts"].recovered == 1
    lost = tables["memories"].unreadable
    assert 0 < lost < 100
    assert tables["memories"].recovered + lost == 1500
    assert report.lost == lost and not report.complete
    async with SqliteMemoryStore.open(dest) as store:
        assert (await store.integrity()).ok
        data = await store.export(player_id)
        texts = {m["text"][:12] for m in data["memories"]}
        assert "marker-00000" in texts and "marker-01499" in texts and "marker-00700" not in texts
    with pytest.raises(MemoryStoreError, match="never overwrites"):
        async with SqliteMemoryStore.open(":memory:") as scratch:
            await scratch.salvage(db_path, dest)


async def test_salvage_of_a_non_sqlite_file_reports_everything_lost(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(random.Random(1).randbytes(4096))
    async with SqliteMemoryStore.open(":memory:") as scratch:
        report = await scratch.salvage(junk, tmp_path / "out.db")
    assert report.recovered == 0 and all(t.error for t in report.tables)
    assert junk.read_bytes() == random.Random(1).randbytes(4096)


def _consistent(backup: Path, tmp_path: Path) -> tuple[int, int]:
    raw = tmp_path / f"{backup.name}.check.db"
    raw.write_bytes(gzip.decompress(backup.read_bytes()))
    with closing(sqlite3.connect(raw)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        wins = conn.execute("SELECT count(*) FROM scene_attempts WHERE outcome = 'success'").fetchone()[0]
        notes = conn.execute("SELECT count(*) FROM memories").fetchone()[0]
    return wins, notes


async def test_backup_while_writing_then_restore(db_path: Path, tmp_path: Path) -> None:
    backups_dir = tmp_path / "backups"
    async with SqliteMemoryStore.open(db_path) as store:
        alex = await store.player("Alex")

        async def writer() -> None:
            for i in range(40):
                await play(store, alex, "success", notes=[MemoryNote(f"note {i}")])

        async def backer() -> list[Path]:
            made = []
            for _ in range(4):
                made.append(await store.backup(backups_dir))
                await asyncio.sleep(0)
            return made

        _, during = await asyncio.gather(writer(), backer())
        for copy in during:
            wins, notes = _consistent(copy, tmp_path)
            assert wins == notes  # each attempt and its memory are in a copy together or not at all
        expected = await store.export(alex.id)
        final = await store.backup(backups_dir)
        assert _consistent(final, tmp_path) == (40, 40)
        await play(store, alex, "failure", notes=[MemoryNote("after the backup")])

        aside = await store.restore(final)
        restored = await store.export(alex.id)
        assert {k: v for k, v in restored.items() if k != "exported_at"} == \
            {k: v for k, v in expected.items() if k != "exported_at"}
        assert (await store.integrity()).ok
    assert aside is not None and aside.name.startswith("player_memory.db.bak-")
    async with SqliteMemoryStore.open(aside) as old:
        assert len((await old.export(alex.id))["scene_attempts"]) == 41


@pytest.mark.parametrize("kind", ["garbage-gz", "truncated-gz", "foreign-db", "missing"])
async def test_a_bad_backup_replaces_nothing(db_path: Path, tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "bad.db.gz"
    if kind == "garbage-gz":
        bad.write_bytes(gzip.compress(random.Random(5).randbytes(8192)))
    elif kind == "truncated-gz":
        bad.write_bytes(gzip.compress(b"x" * 100_000)[:200])
    elif kind == "foreign-db":
        bad = tmp_path / "foreign.db"
        with closing(sqlite3.connect(bad)) as conn:
            conn.execute("CREATE TABLE t (x)")
            conn.commit()
    async with SqliteMemoryStore.open(db_path) as store:
        alex = await store.player("Alex")
        await play(store, alex, "success")
        before = await store.export(alex.id)
        with pytest.raises(MemoryStoreError) as caught:
            await store.restore(bad)
        assert caught.value.hint
        after = await store.export(alex.id)  # the store reopened the untouched file
        assert after["scene_attempts"] == before["scene_attempts"]
    assert not list(db_path.parent.glob("*.bak-*")) and not list(db_path.parent.glob(".*restore*"))


async def test_a_damaged_database_is_not_backed_up_and_old_copies_stay(db_path: Path, tmp_path: Path) -> None:
    await filled_database(db_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "player_memory-20200101T000000Z.db.gz"
    old.write_bytes(b"an old good copy")
    os.utime(old, (0, 0))
    smash_page_holding(db_path, b"marker-00700")
    with pytest.raises(MemoryStoreError, match="damaged") as caught:
        await asyncio.to_thread(maintenance.backup_database, db_path, folder, utc_now(), 1.0)
    assert "salvage" in (caught.value.hint or "")
    assert sorted(p.name for p in folder.iterdir()) == [old.name]  # no new copy, nothing pruned


async def test_restore_onto_a_new_machine(db_path: Path, tmp_path: Path) -> None:
    async with SqliteMemoryStore.open(db_path) as store:
        alex = await store.player("Alex")
        await play(store, alex, "success", notes=[MemoryNote("moved with me")])
        copy = await store.backup(tmp_path / "move")
    fresh = tmp_path / "new-machine" / "data" / "player_memory.db"
    aside = await asyncio.to_thread(maintenance.restore_database, fresh, copy, utc_now())
    assert aside is None
    async with SqliteMemoryStore.open(fresh) as store:
        assert (await store.player("Alex")).id == alex.id
        assert (await store.recollection(alex.id, "sub", "mara")).memories == ("moved with me",)
