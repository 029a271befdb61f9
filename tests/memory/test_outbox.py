"""The outbox: a refused write is kept, retried with backoff and lands; nothing counts twice; what is
pending at shutdown is spooled and replayed at the next start. Real SQLite and a real PostgreSQL
server, a FakeClock, no sleeps."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from digital_actors.clock import FakeClock
from digital_actors.memory import location, spool, writes
from digital_actors.memory.base import SqlStore
from digital_actors.memory.outbox import Outbox
from digital_actors.memory.records import MemoryNote
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.stores import open_store
from tests.memory.conftest import FakeWall, Where
from tests.memory.faults import read_only, retry_until_drained, write_lock

STATS = AttemptStats(correct_actions=2, kind_words=1)


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def pending() -> float:
    return sample("digital_actors_memory_writes_pending")


def outbox_for(store: SqlStore, clock: FakeClock) -> Outbox:
    return Outbox(store, clock=clock, spool_file=spool.spool_path(store.path), busy_timeout_ms=0,
                  rng=random.Random(7))



def finish(outbox: Outbox, begin: writes.BeginAttempt, outcome: str = "success") -> writes.FinishAttempt:
    return writes.FinishAttempt(begin.handle, outcome, "surfaced", STATS, (MemoryNote("They were kind to me."),),
                                30.0, outbox.now())


async def test_a_write_refused_by_a_lock_is_kept_retried_and_lands(where: Where, wall: FakeWall) -> None:
    clock = FakeClock()
    async with open_store(where, wall_clock=wall) as store:
        alex = await store.player("Alex")
        outbox = outbox_for(store, clock)
        spool_file = spool.spool_path(store.path)
        assert spool_file is not None
        heard: list[bool] = []
        outbox.on_change(heard.append)
        before, locked_before = pending(), sample("digital_actors_memory_write_failures_total", {"kind": "locked"})
        with write_lock(where):
            begin = writes.new_attempt(alex.id, "sub", "mara", at=outbox.now())
            assert await outbox.submit(begin) is False  # kept, not lost
            assert await outbox.submit(finish(outbox, begin)) is False
            status = outbox.status()
            assert status.failing and status.pending == 2
            assert "writes are failing" in (status.reason() or "") and "locked" in (status.reason() or "")
            assert pending() == before + 2
            for _ in range(3):  # the lock stays: tries go on, the players are told once
                await outbox.resting()
                await clock.advance(60)
            await outbox.resting()
            failures = sample("digital_actors_memory_write_failures_total", {"kind": "locked"}) - locked_before
            assert failures >= 4 and heard == [True]
        await retry_until_drained(outbox, clock)
        assert heard == [True, False] and not outbox.status().failing
        assert pending() == before
        snap = await store.recollection(alex.id, "sub", "mara")
        assert (snap.attempts, snap.successes, snap.last_ending) == (1, 1, "surfaced")
        assert snap.memories == ("They were kind to me.",)
        await outbox.aclose()
    assert not spool_file.exists()


class RecordingClock(FakeClock):
    """A FakeClock that remembers every wait asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await super().sleep(seconds)


async def test_backoff_doubles_up_to_the_ceiling_with_jitter(where: Where) -> None:
    clock = RecordingClock()
    async with open_store(where) as store:
        alex = await store.player("Alex")
        outbox = Outbox(store, clock=clock, busy_timeout_ms=0, retry_base=1.0, retry_max=8.0,
                        rng=random.Random(3))
        with write_lock(where):
            outbox.submit(writes.SetGivenName(alex.id, "Ada"))
            for _ in range(6):
                await outbox.resting()
                await clock.advance(20)
            await outbox.resting()
        rng = random.Random(3)
        expected = [min(8.0, 2.0 ** (n - 1)) * (0.75 + rng.random() / 2) for n in range(1, 8)]
        assert clock.waits == expected  # 1, 2, 4, 8, 8, 8 ... each within +-25%
        await retry_until_drained(outbox, clock)
        assert clock.waits[7:] == []  # the lock went: the next try landed, no more waiting
        await outbox.aclose()
        assert (await store.get_player(alex.id)).given_name == "Ada"  # type: ignore[union-attr]


async def test_an_attempt_written_twice_counts_once(store: SqlStore) -> None:
    alex = await store.player("Alex")
    begin = writes.new_attempt(alex.id, "sub", "mara", at="2026-01-01T12:00:00.000+00:00")
    done = writes.FinishAttempt(begin.handle, "success", "surfaced", STATS, (MemoryNote("kind"),), 30.0,
                                "2026-01-01T12:05:00.000+00:00")
    assert await store.write(begin) and await store.write(done)
    once = await store.recollection(alex.id, "sub", "mara")
    assert not await store.write(begin) and not await store.write(done)  # a replay changes nothing
    twice = await store.recollection(alex.id, "sub", "mara")
    assert twice == once and (once.attempts, once.successes) == (1, 1)
    assert once.trust == 50 + 8 + 2 and once.familiarity == 15  # one success, one kind phrase: not two
    data = await store.export(alex.id)
    assert len(data["sessions"]) == 1 and len(data["memories"]) == 1


async def test_shutdown_spools_what_is_pending_and_the_next_start_replays_it(where: Where) -> None:
    clock = FakeClock()
    async with open_store(where) as store:
        spool_file = spool.spool_path(store.path)
        assert spool_file is not None
        alex = await store.player("Alex")
        outbox = outbox_for(store, clock)
        before = pending()
        with write_lock(where):
            begin = writes.new_attempt(alex.id, "sub", "mara", at=outbox.now())
            outbox.submit(begin)
            outbox.submit(finish(outbox, begin))
            outbox.submit(writes.SetGivenName(alex.id, "Ada"))
            await outbox.settled()
            assert await outbox.aclose() == 3
        assert pending() == before  # spooled: no longer this process's to write
        assert len(spool_file.read_text().splitlines()) == 3
        assert (await store.recollection(alex.id, "sub", "mara")).attempts == 0
        kept = spool_file.read_text()

    async with open_store(where) as store:  # the next start
        outbox = outbox_for(store, clock)
        assert outbox.replay() == 3
        await outbox.drained()
        assert not spool_file.exists()
        snap = await store.recollection(alex.id, "sub", "mara")
        assert (snap.attempts, snap.successes, snap.player_name) == (1, 1, "Ada")
        await outbox.aclose()

        spool_file.write_text(kept)  # a crash after they landed but before the spool went: replayed again
        again = outbox_for(store, clock)
        assert again.replay() == 3
        await again.drained()
        assert await store.recollection(alex.id, "sub", "mara") == snap  # nothing counted twice
        await again.aclose()


async def test_during_an_outage_the_queue_is_already_on_disk(where: Where) -> None:
    clock = FakeClock()
    async with open_store(where) as store:
        alex = await store.player("Alex")
        outbox = outbox_for(store, clock)
        with write_lock(where):
            begin = writes.new_attempt(alex.id, "sub", "mara", at=outbox.now())
            await outbox.submit(begin)
            await outbox.resting()
            spool_file = spool.spool_path(store.path)
            assert spool_file is not None
            found, unreadable = spool.read(spool_file)  # a crash now (kill -9) would lose nothing
            assert found == [begin] and unreadable == 0
        await retry_until_drained(outbox, clock)
        assert not spool_file.exists()
        await outbox.aclose()


async def test_a_write_refused_for_good_is_dropped_and_the_rest_land(where: Where) -> None:
    clock = FakeClock()
    async with open_store(where) as store:
        alex = await store.player("Alex")
        outbox = outbox_for(store, clock)
        dropped = sample("digital_actors_memory_writes_dropped_total", {"kind": "missing"})
        forgotten = writes.new_attempt("a-forgotten-player", "sub", "mara", at=outbox.now())
        assert await outbox.submit(forgotten) is False
        assert await outbox.submit(writes.SetGivenName(alex.id, "Ada")) is True
        assert sample("digital_actors_memory_writes_dropped_total", {"kind": "missing"}) == dropped + 1
        assert not outbox.status().failing and outbox.status().pending == 0
        await outbox.aclose()


async def test_unreadable_spool_lines_are_kept_aside(tmp_path: Path) -> None:
    spool_file = tmp_path / "player_memory.db.pending.jsonl"
    good = writes.SetGivenName("p1", "Ada")
    spool_file.write_text(writes.to_json(good) + "\n{not json\n" + '{"write": "Nope"}\n')
    found, unreadable = spool.read(spool_file)
    assert found == [good] and unreadable == 2
    assert len((tmp_path / "player_memory.db.pending.jsonl.unreadable").read_text().splitlines()) == 2


def test_every_write_survives_the_spool_format() -> None:
    begin = writes.new_attempt("p1", "sub", "mara", at="2026-01-01T12:00:00.000+00:00", session_id="s1")
    samples: list[writes.Write] = [
        writes.EnsurePlayer("p1", "web-p1", "web", "2026-01-01T12:00:00.000+00:00"), begin,
        writes.FinishAttempt(begin.handle, "failure", None, STATS, (MemoryNote("x", 0.4),), None,
                             "2026-01-01T12:01:00.000+00:00"),
        writes.SetGivenName("p1", "Zoë"), writes.AbandonStale("2026-01-01T00:00:00.000+00:00")]
    for write in samples:
        assert writes.from_json(writes.to_json(write)) == write


async def test_the_write_probe_finds_a_read_only_database(where: Where) -> None:
    async with open_store(where) as store:
        outbox = outbox_for(store, FakeClock())
        assert await outbox.check() is None
        await read_only(store)
        problem = await outbox.check()
        assert problem is not None and "test write failed" in problem and "read-only" in problem
        await read_only(store, on=False)
        assert await outbox.check() is None and outbox.probe_problem is None
        await outbox.aclose()


async def test_players_are_made_from_an_id_once(store: SqlStore) -> None:
    first = await store.create_player("web", player_id="4f1c2d3e-0000-4000-8000-000000000001")
    again = await store.create_player("web", player_id="4f1c2d3e-0000-4000-8000-000000000001")
    assert first == again and first.name == "web-4f1c2d3e-0000-4000-8000-000000000001"[:40]
    assert [p.id for p in await store.list_players()] == [first.id]



@pytest.mark.parametrize(("message", "kind", "retryable"), [
    ("database or disk is full", "full", True),
    ("disk I/O error", "io", True),
    ("attempt to write a readonly database", "readonly", True),
    ("database is locked", "locked", True),
    ("database disk image is malformed", "corrupt", True),
])
def test_a_full_disk_and_other_passing_faults_are_kept_for_retry(message: str, kind: str, retryable: bool,
                                                                tmp_path: Path) -> None:
    error = location.store_error(sqlite3.OperationalError(message), tmp_path / "m.db", "FinishAttempt")
    assert (error.kind, error.retryable) == (kind, retryable)
    if kind == "full":
        assert "is full" in error.message and "Free space" in (error.hint or "")


def test_a_constraint_the_schema_refuses_is_not_retried(tmp_path: Path) -> None:
    error = location.store_error(sqlite3.IntegrityError("CHECK constraint failed"), tmp_path / "m.db", "x")
    assert (error.kind, error.retryable) == ("invalid", False)


def test_on_a_full_disk_the_reserve_makes_room_for_the_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spool_file = tmp_path / "player_memory.db.pending.jsonl"
    spool.make_reserve(spool_file)
    assert spool.reserve_path(spool_file).stat().st_size == spool.RESERVE_BYTES
    real_save, calls = spool.save, []

    def save(path: Path, pending: list[writes.Write]) -> None:
        calls.append(spool.reserve_path(spool_file).exists())
        if spool.reserve_path(spool_file).exists():
            raise OSError(28, "No space left on device")
        real_save(path, pending)

    monkeypatch.setattr(spool, "save", save)
    assert spool.write(spool_file, [writes.SetGivenName("p1", "Ada")])
    assert calls == [True, False]  # the first try failed; the reserve went; the second fit
    assert spool.read(spool_file) == ([writes.SetGivenName("p1", "Ada")], 0)
