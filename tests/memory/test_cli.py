"""`digital-actors memory ...` through click's CliRunner: output, exit codes, confirmations."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from digital_actors.memory.cli import memory
from digital_actors.memory.records import MemoryNote
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.stores import open_store
from tests.memory.conftest import play

pytestmark = pytest.mark.usefixtures("restore_logging")


def _seed(db: Path | str) -> dict[str, str]:
    async def go() -> dict[str, str]:
        async with open_store(db) as store:
            alex = await store.player("Alex")
            sam = await store.player("Sam")
            await play(store, alex, "failure", stats=AttemptStats(interruptions=2),
                       notes=[MemoryNote("They told me their name is Alex.", 1.0)])
            await play(store, alex, "success", character="jonas", notes=[MemoryNote("jonas remembers")])
            await play(store, sam, "success", notes=[MemoryNote("They told me their name is Sam.", 1.0)])
            await store.player("Alex")  # Alex is the most recent player
            return {"alex": alex.id, "sam": sam.id}

    return asyncio.run(go())


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(memory, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "mem.db"


def test_players_and_show(db: Path) -> None:
    ids = _seed(db)
    listed = _run("--db", str(db), "players")
    assert listed.exit_code == 0 and listed.output.index("Alex") < listed.output.index("Sam")
    shown = _run("--db", str(db), "show")
    assert shown.exit_code == 0
    assert "Alex (terminal profile" in shown.output and ids["alex"] in shown.output
    assert "They told me their name is Alex." in shown.output
    assert "mara: trust" in shown.output and "sub: 2 attempt(s), 1 success(es)" in shown.output
    sam = _run("--db", str(db), "show", "--player", "sam")
    assert "They told me their name is Sam." in sam.output and "Alex." not in sam.output
    missing = _run("--db", str(db), "show", "--player", "Nobody")
    assert missing.exit_code == 1 and "No player called 'Nobody'" in missing.output
    assert "hint:" in missing.output and "Traceback" not in missing.output


def test_db_comes_from_the_setting(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(db)
    monkeypatch.setenv("DIGITAL_ACTORS_DB", f"sqlite:///{db}")
    assert "Alex" in _run("players").output


def test_export_is_valid_json(db: Path, tmp_path: Path) -> None:
    ids = _seed(db)
    out = _run("--db", str(db), "export", "--player", "Alex")
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["player"]["id"] == ids["alex"] and len(data["scene_attempts"]) == 2
    target = tmp_path / "exports" / "alex.json"
    written = _run("--db", str(db), "export", "--output", str(target))
    assert written.exit_code == 0 and json.loads(target.read_text())["player"]["name"] == "Alex"


def test_forget_asks_first(db: Path) -> None:
    ids = _seed(db)
    refused = _run("--db", str(db), "forget", "--all", input="n\n")
    assert refused.exit_code == 1 and "Nothing was forgotten" in refused.output
    assert "Alex" in _run("--db", str(db), "players").output

    memories = json.loads(_run("--db", str(db), "export").stdout)["memories"]
    first = next(m["id"] for m in memories if m["character_id"] == "mara")
    agreed = _run("--db", str(db), "forget", "--memory", str(first), input="y\n")
    assert agreed.exit_code == 0 and "Forgotten: 1 memories" in agreed.output

    character = _run("--db", str(db), "forget", "--character", "jonas", "--yes")
    assert character.exit_code == 0 and "1 relationships" in character.output
    everything = _run("--db", str(db), "forget", "--player", "Alex", "--all", "--yes")
    assert everything.exit_code == 0
    players = _run("--db", str(db), "players").output
    assert "Alex" not in players and "Sam" in players and ids["sam"] in players

    nothing = _run("--db", str(db), "forget", "--player", "Sam", "--memory", "99999", "--yes")
    assert nothing.exit_code == 1 and "nothing was forgotten" in nothing.output


def test_forget_usage_errors_exit_2(db: Path) -> None:
    _seed(db)
    assert _run("--db", str(db), "forget").exit_code == 2
    assert _run("--db", str(db), "forget", "--all", "--character", "mara").exit_code == 2
    assert _run("--db", str(db), "forget", "--memory", "x").exit_code == 2
    assert _run("--db", "mysql://nope", "players").exit_code == 2


def test_backup_prunes_old_copies_by_mtime(db: Path, tmp_path: Path) -> None:
    _seed(db)
    folder = tmp_path / "backups"
    folder.mkdir()
    old, recent, other = (folder / "mem-20200101T000000Z.db.gz", folder / "mem-20260101T000000Z.db.gz",
                          folder / "notes.txt")
    for f in (old, recent, other):
        f.write_bytes(b"x")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old, (ten_days_ago, ten_days_ago))
    os.utime(other, (ten_days_ago, ten_days_ago))
    result = _run("--db", str(db), "backup", str(folder), "--keep-days", "7")
    assert result.exit_code == 0
    made = Path(result.stdout.strip())
    assert made.parent == folder and made.name.startswith("mem-") and made.name.endswith(".db.gz")
    assert not old.exists() and recent.exists() and other.exists()
    assert "Pruned 1 backup" in result.output
    raw = tmp_path / "check.db"
    raw.write_bytes(gzip.decompress(made.read_bytes()))
    with closing(sqlite3.connect(raw)) as conn:
        assert conn.execute("SELECT count(*) FROM players").fetchone() == (2,)


def test_backup_of_a_missing_database_fails_clearly(tmp_path: Path) -> None:
    result = _run("--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "b"))
    assert result.exit_code == 1 and "no database" in result.output and "hint:" in result.output


def test_check_restore_salvage_vacuum(db: Path, tmp_path: Path) -> None:
    _seed(db)
    ok = _run("--db", str(db), "check")
    assert ok.exit_code == 0 and ok.output.strip().endswith(": ok")
    copy = Path(_run("--db", str(db), "backup", str(tmp_path / "b")).stdout.strip())
    _run("--db", str(db), "forget", "--all", "--player", "Sam", "--yes")

    declined = _run("--db", str(db), "restore", str(copy), input="n\n")
    assert declined.exit_code == 1 and "Sam" not in _run("--db", str(db), "players").output
    restored = _run("--db", str(db), "restore", str(copy), "--yes")
    assert restored.exit_code == 0 and "kept as" in restored.output
    assert "Sam" in _run("--db", str(db), "players").output

    vacuum = _run("--db", str(db), "vacuum")
    assert vacuum.exit_code == 0 and "KiB" in vacuum.output
    out = tmp_path / "salvaged.db"
    salvage = _run("--db", str(db), "salvage", "--output", str(out))
    assert salvage.exit_code == 0 and "nothing known lost" in salvage.output and out.is_file()


def test_a_corrupt_database_gives_a_message_and_the_recovery_command(db: Path) -> None:
    db.write_bytes(b"this is not a database at all" * 100)
    for command in ("show", "players", "check"):
        result = _run("--db", str(db), command)
        assert result.exit_code == 1, command
        assert "memory salvage" in result.output and "Traceback" not in result.output
    assert db.read_bytes() == b"this is not a database at all" * 100
