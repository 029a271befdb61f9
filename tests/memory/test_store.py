"""The store's behaviour on SQLite and on PostgreSQL: identity, snapshots for returning players,
attempts, forget, export."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from digital_actors.errors import MemoryStoreError
from digital_actors.memory.base import SqlStore
from digital_actors.memory.records import MemoryNote
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.store import SqliteMemoryStore
from digital_actors.memory.stores import connect_store, open_store
from tests.memory.conftest import FakeWall, Where, play


async def test_identity_is_stable_and_per_profile(where: Where, wall: FakeWall) -> None:
    async with open_store(where, wall_clock=wall) as store:
        alex = await store.player("Alex")
        assert (await store.player("  alex ")).id == alex.id
        sam = await store.player("Sam")
        web1, web2 = await store.create_player(), await store.create_player()
    assert len({alex.id, sam.id, web1.id, web2.id}) == 4
    assert uuid.UUID(alex.id) and web1.kind == "web"
    async with open_store(where, wall_clock=wall) as store:
        assert (await store.player("Alex")).id == alex.id
        assert (await store.get_player(web1.id)) is not None
        assert (await store.find_player("nobody")) is None
        assert (await store.list_players())[0].name == "Alex"  # most recently seen


async def test_bad_names_are_refused(store: SqlStore) -> None:
    for bad in ("", "   ", "x" * 41, "bell\x07"):
        with pytest.raises(MemoryStoreError):
            await store.player(bad)
    with pytest.raises(MemoryStoreError):
        await store.player("Ok", kind="robot")


async def test_returning_player_changes_the_cue_and_the_difficulty(store: SqlStore) -> None:
    alex = await store.player("Alex")
    first = await store.recollection(alex.id, "sub", "mara")
    assert (first.attempts, first.difficulty, first.returning) == (0, "normal", False)
    assert first.block().startswith("First meeting")

    name = [MemoryNote("They told me their name is Alex.", 1.0)]
    await play(store, alex, "failure", notes=name, stats=AttemptStats(interruptions=4))
    await play(store, alex, "failure")
    after_failures = await store.recollection(alex.id, "sub", "mara")
    assert (after_failures.attempts, after_failures.successes) == (2, 0)
    assert after_failures.difficulty == "easy"
    assert after_failures.last_outcome == "failure" and after_failures.last_ending == "failure-ending"
    assert "They told me their name is Alex." in after_failures.memories
    assert after_failures.trust < 50 and after_failures.familiarity > 0
    assert set(after_failures.personality) == {"impulsiveness", "cooperation", "problem_solving", "patience"}
    assert after_failures.block() != first.block() and "Alex" in after_failures.block()

    for _ in range(4):
        await play(store, alex, "success")
    hard = await store.recollection(alex.id, "sub", "mara")
    assert (hard.attempts, hard.successes, hard.difficulty) == (6, 4, "hard")
    assert hard.recent_outcomes[:2] == ("success", "success")
    other_scene = await store.recollection(alex.id, "raft", "mara")
    assert (other_scene.attempts, other_scene.difficulty) == (0, "normal")
    assert other_scene.trust == hard.trust  # the relationship belongs to the character, not the scene


async def test_memories_rank_by_weight_then_recency_and_do_not_repeat(store: SqlStore) -> None:
    alex = await store.player("Alex")
    await play(store, alex, "quit", notes=[MemoryNote("old small", 0.2), MemoryNote("name", 1.0)])
    await play(store, alex, "quit", notes=[MemoryNote("new small", 0.2), MemoryNote("name", 0.5)])
    snap = await store.recollection(alex.id, "sub", "mara")
    assert snap.memories[:3] == ("name", "new small", "old small")
    data = await store.export(alex.id)
    assert [m["text"] for m in data["memories"]].count("name") == 1


async def test_sessions_attempts_and_playtime(store: SqlStore) -> None:
    alex = await store.player("Alex")
    first = await store.begin_attempt(alex.id, "sub", "mara")
    await store.finish_attempt(first, "failure", "flooded", AttemptStats(), [], elapsed=40.5)
    again = await store.begin_attempt(alex.id, "sub", "mara", session_id=first.session_id)
    assert again.session_id == first.session_id and again.attempt_id != first.attempt_id
    await store.finish_attempt(again, "success", "surfaced", AttemptStats(), [], elapsed=20)
    assert not await store.finish_attempt(again, "failure", "x", AttemptStats(), [])  # written once
    data = await store.export(alex.id)
    assert len(data["sessions"]) == 1 and data["sessions"][0]["playtime_seconds"] == pytest.approx(60.5)
    assert data["sessions"][0]["ended_at"] is not None
    assert [a["outcome"] for a in data["scene_attempts"]] == ["failure", "success"]
    with pytest.raises(MemoryStoreError, match="No player"):
        await store.begin_attempt("no-such-player", "sub", "mara")
    with pytest.raises(MemoryStoreError, match="outcome"):
        await store.finish_attempt(again, "won", None, AttemptStats(), [])
    other = await store.player("Sam")
    with pytest.raises(MemoryStoreError, match="session"):
        await store.begin_attempt(other.id, "sub", "mara", session_id=first.session_id)


async def test_forget_one_memory(store: SqlStore) -> None:
    alex = await store.player("Alex")
    await play(store, alex, "success", notes=[MemoryNote("keep me"), MemoryNote("drop me")])
    memories = (await store.export(alex.id))["memories"]
    target = next(m["id"] for m in memories if m["text"] == "drop me")
    assert await store.forget(alex.id, memory_id=target) == {"memories": 1}
    assert (await store.recollection(alex.id, "sub", "mara")).memories == ("keep me",)
    sam = await store.player("Sam")
    assert await store.forget(sam.id, memory_id=target + 1000) == {"memories": 0}


async def test_forget_one_character(store: SqlStore) -> None:
    alex = await store.player("Alex")
    await play(store, alex, "success", character="mara", notes=[MemoryNote("mara's")])
    await play(store, alex, "success", character="jonas", notes=[MemoryNote("jonas's")])
    assert await store.forget(alex.id, character_id="mara") == {"memories": 1, "relationships": 1}
    mara = await store.recollection(alex.id, "sub", "mara")
    assert (mara.memories, mara.trust, mara.familiarity) == ((), 50.0, 0.0)
    assert (await store.recollection(alex.id, "sub", "jonas")).memories == ("jonas's",)
    assert mara.attempts == 2  # the scene record stays: only the character forgets


async def test_forget_everything(store: SqlStore) -> None:
    alex = await store.player("Alex")
    sam = await store.player("Sam")
    await play(store, alex, "success", notes=[MemoryNote("a")])
    await play(store, sam, "failure", notes=[MemoryNote("s")])
    counts = await store.forget(alex.id, everything=True)
    assert counts["players"] == 1 and counts["scene_attempts"] == 1 and counts["memories"] == 1
    assert await store.get_player(alex.id) is None
    assert (await store.recollection(sam.id, "sub", "mara")).memories == ("s",)
    assert (await store.integrity()).ok
    with pytest.raises(ValueError):
        await store.forget(sam.id)
    with pytest.raises(ValueError):
        await store.forget(sam.id, memory_id=1, everything=True)


async def test_export_is_complete_json(store: SqlStore) -> None:
    alex = await store.player("Alex")
    await play(store, alex, "success", stats=AttemptStats(correct_actions=3), notes=[MemoryNote("hi", 0.7)])
    data = json.loads(json.dumps(await store.export(alex.id)))
    assert data["player"]["name"] == "Alex"
    assert data["scene_attempts"][0]["stats"]["correct_actions"] == 3
    assert data["relationships"][0]["character_id"] == "mara"
    assert data["memories"][0]["weight"] == 0.7
    assert data["personality"]["problem_solving"] > 50
    with pytest.raises(MemoryStoreError):
        await store.export("nobody")


async def test_in_memory_store_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for where in (":memory:", "sqlite://"):
        async with SqliteMemoryStore.open(where) as store:
            await play(store, await store.player("Alex"), "success")
            assert (await store.healthy()) == (True, "ok")
            with pytest.raises(MemoryStoreError, match="in-memory"):
                await store.backup(tmp_path)
    monkeypatch.chdir(tmp_path)
    async with SqliteMemoryStore.open("sqlite:///rel/mem.db") as store:
        assert store.path == Path("rel/mem.db")
    async with SqliteMemoryStore.open(f"sqlite:///{tmp_path}/abs/mem.db") as store:
        assert store.path == tmp_path / "abs" / "mem.db"
    assert (tmp_path / "rel" / "mem.db").is_file() and (tmp_path / "abs" / "mem.db").is_file()
    with pytest.raises(MemoryStoreError, match="is a PostgreSQL database"):
        await SqliteMemoryStore.connect("postgres://x/y")
    with pytest.raises(MemoryStoreError, match="only SQLite and PostgreSQL"):
        await connect_store("mysql://u:secret@x/y")


async def test_default_location_follows_home(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with SqliteMemoryStore.open(None) as store:
        assert store.path == isolated_home / "data" / "player_memory.db"
    assert (isolated_home / "data" / "player_memory.db").is_file()


async def test_health_and_closed_store(where: Where) -> None:
    store = await connect_store(where)
    assert await store.healthy() == (True, "ok")
    await store.close()
    ok, reason = await store.healthy()
    assert not ok and "closed" in reason
