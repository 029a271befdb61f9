"""`memory vacuum` and `restore` are refused while a server holds the file; `memory import-legacy`
brings the earlier project's file over, counts what it could not read, and imports nothing twice."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from digital_actors.memory import legacy
from digital_actors.memory.cli import memory
from digital_actors.memory.occupancy import FileUse
from digital_actors.memory.store import SqliteMemoryStore
from tests.memory.legacy_fixture import ALICE, CONN, ENCRYPTED, build_legacy_db

pytestmark = pytest.mark.usefixtures("restore_logging")


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(memory, list(args), input=input, catch_exceptions=False)


def _seeded(db: Path) -> None:
    async def go() -> None:
        async with SqliteMemoryStore.open(db) as store:
            await store.player("Alex")
    asyncio.run(go())


def test_vacuum_and_restore_are_refused_while_a_server_holds_the_file(tmp_path: Path) -> None:
    db = tmp_path / "data" / "player_memory.db"
    _seeded(db)
    backup = _run("--db", str(db), "backup", str(tmp_path / "backups"))
    assert backup.exit_code == 0
    server = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import asyncio, sys
        from digital_actors.memory.store import SqliteMemoryStore
        async def main():
            async with SqliteMemoryStore.open({str(db)!r}):
                print("ready", flush=True)
                await asyncio.to_thread(sys.stdin.readline)
        asyncio.run(main())
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        for args in (("vacuum",), ("restore", backup.output.strip(), "--yes")):
            refused = _run("--db", str(db), *args)
            assert refused.exit_code == 1, refused.output
            assert "is in use by a running Digital Actors process" in refused.output
            assert "Stop it first" in refused.output and "Traceback" not in refused.output
        assert _run("--db", str(db), "players").exit_code == 0  # reading alongside a server is fine
        assert _run("--db", str(db), "backup", str(tmp_path / "backups")).exit_code == 0  # so is a backup
    finally:
        assert server.stdin is not None
        server.stdin.write("\n")
        server.stdin.close()
        server.wait(timeout=60)
        assert server.stdout is not None
        server.stdout.close()
    assert _run("--db", str(db), "vacuum").exit_code == 0  # the server stopped: maintenance runs
    restored = _run("--db", str(db), "restore", backup.output.strip(), "--yes")
    assert restored.exit_code == 0 and "Restored" in restored.output


def test_a_maintenance_step_keeps_new_players_out_until_it_is_done(tmp_path: Path) -> None:
    db = tmp_path / "data" / "player_memory.db"
    _seeded(db)
    maintenance = FileUse.take(db, "exclusive", "vacuum")
    try:
        refused = _run("--db", str(db), "players")
        assert refused.exit_code == 1 and "being vacuumed or restored" in refused.output
    finally:
        maintenance.release()
    assert _run("--db", str(db), "players").exit_code == 0


def test_import_legacy_brings_the_earlier_file_over_once(tmp_path: Path) -> None:
    source = build_legacy_db(tmp_path / "old" / "player_memory.db")
    before = source.read_bytes()
    db = tmp_path / "data" / "player_memory.db"
    first = _run("--db", str(db), "import-legacy", str(source))
    assert first.exit_code == 0, first.output
    lines = {line.split()[0]: line for line in first.output.splitlines()[1:] if line.strip()}
    assert "3 imported" in lines["players"]
    assert "6 imported" in lines["scene_attempts"]  # 8 rows: one logged twice, one of a player not in the file
    assert "2 imported" in lines["personality_profiles"]  # the all-encrypted profile is skipped
    assert "2 imported" in lines["relationships"]  # the all-encrypted one and the orphan are skipped
    assert "duplicate attempts         1" in first.output and "orphaned rows              2" in first.output
    # unreadable: 1 enveloped trait + 4 fernet traits + 'a lot' + 2 fernet relationship values + 2 attempt data blobs
    assert "unreadable values         10" in first.output
    assert "crown_court (1)" in first.output
    assert source.read_bytes() == before  # the legacy file is only read

    async def check() -> None:
        async with SqliteMemoryStore.open(db) as store:
            alice = await store.export(legacy.player_id_for(ALICE))
            attempts = sorted((a["scene_id"], a["outcome"], a["ending_id"] or "") for a in alice["scene_attempts"])
            assert attempts == [("merlins_workshop", "success", ""), ("pressure_point", "failure", ""),
                                ("pressure_point", "success", "surfaced_together")]
            assert alice["player"]["kind"] == "web" and alice["player"]["name"] == f"legacy-{ALICE}"[:40]
            assert alice["personality"]["impulsiveness"] == 70 and alice["personality"]["patience"] == 55
            rel = {r["character_id"]: r for r in alice["relationships"]}
            assert rel["engineer"]["trust"] == 55  # legacy trust 10 around 0 -> 50 + 10/2
            assert math.isclose(rel["engineer"]["familiarity"], 100 * (1 - 0.85 ** 3))
            assert rel["wizard"]["trust"] == 50 and math.isclose(rel["wizard"]["familiarity"], 15)  # trust unreadable
            snap = await store.recollection(legacy.player_id_for(ALICE), "pressure_point", "engineer")
            assert (snap.attempts, snap.successes) == (2, 1)
            conn = await store.export(legacy.player_id_for(CONN))
            assert sorted(a["scene_id"] for a in conn["scene_attempts"]) == ["crown_court", "pressure_point"]
            assert conn["personality"]["cooperation"] == 50 and conn["personality"]["patience"] == 100
            assert {a["outcome"] for a in conn["scene_attempts"]} == {"failure", "abandoned"}
            assert (await store.export(legacy.player_id_for(ENCRYPTED)))["personality"] is None
            assert (await store.integrity()).ok

    asyncio.run(check())
    second = _run("--db", str(db), "import-legacy", str(source))
    assert second.exit_code == 0
    assert second.output.count(" 0 imported") == 4  # nothing new the second time
    assert "6 already there" in second.output and "3 already there" in second.output


def test_import_legacy_refuses_a_file_of_another_layout(tmp_path: Path) -> None:
    ours = tmp_path / "ours.db"
    _seeded(ours)
    refused = _run("--db", str(tmp_path / "new.db"), "import-legacy", str(ours))
    assert refused.exit_code == 1 and "not the earlier project's player_memory.db" in refused.output
    assert "memory restore" in refused.output
