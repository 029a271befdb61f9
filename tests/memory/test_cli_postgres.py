"""`digital-actors memory ...` against a real PostgreSQL server, and `memory migrate --to` between
SQLite and PostgreSQL (both ways, twice, verified), with the password never in what is printed."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from digital_actors.cli import cli
from digital_actors.memory.cli import memory
from digital_actors.memory.migrations import SCHEMA
from digital_actors.memory.records import MemoryNote
from digital_actors.memory.stores import open_store
from tests.memory.conftest import play
from tests.memory.pg_server import PASSWORD
from tests.memory.test_cli import _seed

pytestmark = pytest.mark.usefixtures("restore_logging")


def _run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(memory, list(args), input=input, catch_exceptions=False)
    assert PASSWORD not in result.output
    return result


def test_player_commands_on_postgres(pg_url: str) -> None:
    ids = _seed(pg_url)
    listed = _run("--db", pg_url, "players")
    assert listed.exit_code == 0 and listed.output.index("Alex") < listed.output.index("Sam")
    shown = _run("--db", pg_url, "show", "--player", "alex")
    assert "They told me their name is Alex." in shown.output and ids["alex"] in shown.output
    assert json.loads(_run("--db", pg_url, "export", "--player", "Sam").stdout)["player"]["id"] == ids["sam"]
    memories = json.loads(_run("--db", pg_url, "export").stdout)["memories"]
    first = next(m["id"] for m in memories if m["character_id"] == "mara")
    assert "Forgotten: 1 memories" in _run("--db", pg_url, "forget", "--memory", str(first), "--yes").output
    assert _run("--db", pg_url, "forget", "--player", "Sam", "--all", "--yes").exit_code == 0
    assert "Sam" not in _run("--db", pg_url, "players").output


def test_the_url_can_come_from_database_url(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert "Alex" in _run("players").output
    shown = CliRunner().invoke(cli, ["config"])
    assert shown.exit_code == 0 and PASSWORD not in shown.output
    assert "DATABASE_URL=postgresql://da:********@127.0.0.1:" in shown.output


def test_backup_restore_check_and_vacuum_on_postgres(pg_url: str, tmp_path: Path) -> None:
    _seed(pg_url)
    folder = tmp_path / "backups"
    folder.mkdir()
    stem = pg_url.rsplit("/", 1)[1]
    old = folder / f"{stem}-20200101T000000Z.jsonl.gz"
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 10 * 86400, time.time() - 10 * 86400))
    made = _run("--db", pg_url, "backup", str(folder), "--keep-days", "7")
    assert made.exit_code == 0 and "Pruned 1 backup" in made.output and not old.exists()
    dump = Path(made.stdout.strip())
    assert dump.name.startswith(f"{stem}-") and dump.name.endswith(".jsonl.gz")
    lines = gzip.decompress(dump.read_bytes()).decode().splitlines()
    assert json.loads(lines[0])["format"] == "digital-actors-memory-dump" and PASSWORD not in lines[0]
    assert json.loads(lines[-1])["end"]["players"]["rows"] == 2

    _run("--db", pg_url, "forget", "--player", "Sam", "--all", "--yes")
    declined = _run("--db", pg_url, "restore", str(dump), input="n\n")
    assert declined.exit_code == 1 and "Sam" not in _run("--db", pg_url, "players").output
    with psycopg.connect(pg_url, application_name="digital-actors/web-1/4242"):  # a server is connected
        refused = _run("--db", pg_url, "restore", str(dump), "--yes")
        assert refused.exit_code == 1 and "in use by a running Digital Actors process" in refused.output
    restored = _run("--db", pg_url, "restore", str(dump), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Sam" in _run("--db", pg_url, "players").output
    _seed(pg_url)  # writing after a restore works (the id sequence moved past the restored rows)

    damaged = tmp_path / "cut.jsonl.gz"
    damaged.write_bytes(gzip.compress("\n".join(lines[:-2]).encode()))
    cut = _run("--db", pg_url, "restore", str(damaged), "--yes")
    assert cut.exit_code == 1 and "incomplete" in cut.output

    ok = _run("--db", pg_url, "check")
    assert ok.exit_code == 0 and ok.output.strip().endswith(": ok")
    vacuum = _run("--db", pg_url, "vacuum")
    assert vacuum.exit_code == 0 and "VACUUM ANALYZE" in vacuum.output
    salvage = _run("--db", pg_url, "salvage")
    assert salvage.exit_code == 1 and "SQLite" in salvage.output and "hint:" in salvage.output


def test_migrate_sqlite_to_postgres_and_back_copies_once_and_verifies(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "mem.db"
    ids = _seed(source)
    first = _run("--db", str(source), "migrate", "--to", pg_url, "--batch", "2")
    assert first.exit_code == 0, first.output
    table = first.stdout.split("only in target\n", 1)[1].split("Verify", 1)[0]
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()}
    assert rows["players"][:2] == ["2", "2"] and rows["memories"][:2] == ["3", "3"]  # source, new
    assert "  memories: 2/3 rows" in first.output  # progress on a table longer than one batch
    assert "both sides agree" in first.output and "DIFFERENT" not in first.output
    assert first.output.count(" ok") >= 7

    again = _run("--db", str(source), "migrate", "--to", pg_url)
    assert again.exit_code == 0 and "Done: 0 new, 0 updated" in again.output

    async def play_on() -> None:  # play goes on on PostgreSQL: a new memory gets an id past the copied ones
        async with open_store(pg_url) as store:
            alex = await store.player("Alex")
            await play(store, alex, "success", notes=[MemoryNote("remembered on postgres")])

    asyncio.run(play_on())
    with psycopg.connect(pg_url) as conn:
        memory_ids = [r[0] for r in conn.execute(f"SELECT id FROM {SCHEMA}.memories ORDER BY id")]
    assert len(memory_ids) == 4 and memory_ids[-1] > memory_ids[-2]

    back = tmp_path / "back.db"
    home = _run("--db", pg_url, "migrate", "--to", str(back))
    assert home.exit_code == 0 and "both sides agree" in home.output, home.output
    shown = _run("--db", str(back), "show", "--player", ids["alex"])
    assert "They told me their name is Alex." in shown.output
    assert _run("--db", str(back), "check").exit_code == 0

    _run("--db", str(source), "forget", "--player", "Sam", "--all", "--yes")
    _run("--db", str(source), "players")
    changed = _run("--db", str(source), "migrate", "--to", pg_url)
    assert changed.exit_code == 1 and "DIFFERENT" in changed.output  # rows only in the target: said, not hidden
    assert "do not agree" in changed.output and "hint:" in changed.output


def test_migrate_refuses_the_same_database_and_a_bad_url(tmp_path: Path) -> None:
    source = tmp_path / "mem.db"
    _seed(source)
    same = _run("--db", str(source), "migrate", "--to", str(source))
    assert same.exit_code == 1 and "same database" in same.output
    bad = _run("--db", str(source), "migrate", "--to", "mysql://u:p@h/d")
    assert bad.exit_code == 2 and "only SQLite and PostgreSQL" in bad.output
