"""Every command in docs/DEPLOYMENT.md and docs/OPERATIONS.md is either run here — in a temporary
home, production paths and ports moved into it — or listed in REVIEWED with the reason it cannot
run on a developer machine (Docker engine, root, systemd, a package index). A new command in
either page fails ``test_every_command_is_reviewed`` until someone decides which it is."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from digital_actors.memory.records import MemoryNote
from digital_actors.memory.store import SqliteMemoryStore
from tests.deploy.doc_commands import Command, commands, cron_entry
from tests.memory.conftest import play
from tests.memory.legacy_fixture import build_legacy_db
from tests.memory.pg_server import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("docs/DEPLOYMENT.md", "docs/OPERATIONS.md")
UNIT = ROOT / "deploy" / "systemd" / "digital-actors.service"
VENV = Path(sys.prefix)  # plays /opt/digital-actors, the docs' venv
TIMEOUT = 120

RUN = "run"
DOCKER = "needs a Docker engine (this machine and CI have only the docker client)"
ROOT_ONLY = "needs root and changes the system"
SYSTEMD = "needs systemd as the init system"
INDEX = "installs from the package index: the suite's own `pip install -e` stands in"
PG_ADMIN = "needs the database server's superuser (sudo -u postgres)"
PG_DOC_URL = "postgresql://digital_actors:secret@db.internal:5432/digital_actors"
PG_BACKUP = f"digital-actors memory --db {PG_DOC_URL} backup /var/backups/digital-actors --keep-days 14"
PG_RESTORE = (f"digital-actors memory --db {PG_DOC_URL} restore "
              "/var/backups/digital-actors/digital_actors-20260509T031500Z.jsonl.gz")
PG_MIGRATE = f"digital-actors memory migrate --to {PG_DOC_URL}"
PG_MIGRATE_BACK = f"digital-actors memory --db {PG_DOC_URL} migrate --to /var/lib/digital-actors/data/player_memory.db"

# Every command of both pages: RUN (by the test named in the note) or why not. Reviewed by hand.
REVIEWED: dict[str, tuple[str, str]] = {
    # docs/DEPLOYMENT.md
    "docker compose up -d": (DOCKER, "compose is checked by test_compose_env.py instead"),
    "curl -s localhost:8888/health": (RUN, "quick start: against `serve`, port 8888 moved to a free one"),
    "pip install 'digital-actors[sentry]'": (INDEX, ""),
    "PORT=8080 digital-actors serve": (RUN, "quick start: PORT moved to a free port, stopped with SIGTERM"),
    "docker run -d -p 8888:8888 -v da-data:/app/data -v da-voice:/app/cache --read-only --tmpfs /tmp "
    "--env-file .env digital-actors": (DOCKER, "the image's steps are checked by test_deploy.py"),
    "sudo useradd --system --home /var/lib/digital-actors --shell /usr/sbin/nologin digital-actors":
        (ROOT_ONLY, "adds a system user; the runs below use the test's own user"),
    "sudo python3.11 -m venv /opt/digital-actors": (ROOT_ONLY, "the test suite's venv plays /opt/digital-actors"),
    "sudo /opt/digital-actors/bin/pip install 'digital-actors[sentry]'": (INDEX, ""),
    "sudo install -d -m 700 /etc/digital-actors": (RUN, "systemd: into a temporary /etc, without sudo"),
    "sudo install -m 600 /dev/null /etc/digital-actors/env": (RUN, "systemd: into a temporary /etc, without sudo"),
    "sudo install -d -o digital-actors -g digital-actors -m 700 /var/backups/digital-actors":
        (ROOT_ONLY, "chowns to the digital-actors user, which only useradd above creates"),
    "sudo cp deploy/systemd/digital-actors.service /etc/systemd/system/":
        (RUN, "systemd: into a temporary /etc, without sudo; the unit's own command and environment run too"),
    "sudo systemctl daemon-reload && sudo systemctl enable --now digital-actors": (SYSTEMD, ""),
    "journalctl -u digital-actors -f": (SYSTEMD, ""),
    "GRAFANA_ADMIN_PASSWORD='a long secret' docker compose --profile monitoring up -d":
        (DOCKER, "Prometheus rules and config are checked with promtool by test_deploy.py"),
    "docker compose logs app --no-log-prefix | jq -c 'select(.event_type==\"dialogue_generated\") | "
    "{session_id, response_time_ms, llm_response_time_ms}'":
        (RUN, "logs: the jq filter, fed the JSON log of the systemd unit's server after a played turn"),
    "... | jq -c 'select(.event_type==\"http_request\" and .route != \"/ws\" and .response_time_ms > 500)'":
        (RUN, "logs: the same log"),
    "... | jq -c 'select(.session_id==\"3f2a9c1b7d20\")'": (RUN, "logs: the same log"),
    "17 3 * * * digital-actors DIGITAL_ACTORS_DB=/var/lib/digital-actors/data/player_memory.db "
    "/opt/digital-actors/bin/digital-actors memory backup /var/backups/digital-actors --keep-days 14":
        (RUN, "systemd: the exact line's command under cron's bare environment, after the unit's server ran"),
    "docker compose exec app digital-actors memory backup /app/data/backups --keep-days 14": (DOCKER, ""),
    # docs/OPERATIONS.md
    "digital-actors memory players": (RUN, "operations"),
    "digital-actors memory show [--player NAME]": (RUN, "operations: with and without --player Alex"),
    "digital-actors memory export [--player NAME] [-o alex.json]": (RUN, "operations: --player Alex -o alex.json"),
    "digital-actors memory forget --memory 12": (RUN, "operations: answering y"),
    "digital-actors memory forget --character mara": (RUN, "operations: answering y"),
    "digital-actors memory forget --all --player Alex": (RUN, "operations: answering y"),
    "digital-actors memory backup /var/backups/digital-actors --keep-days 14": (RUN, "operations"),
    "15 3 * * * DIGITAL_ACTORS_DB=/var/lib/digital-actors/data/player_memory.db "
    "/opt/digital-actors/bin/digital-actors memory backup /var/backups/digital-actors --keep-days 14 "
    ">> /var/backups/digital-actors/backup.log 2>&1": (RUN, "operations: under cron's bare environment"),
    "15 3 * * * cd /srv/digital-actors && docker compose exec -T app digital-actors memory backup "
    "/app/data/backups --keep-days 14": (DOCKER, ""),
    "digital-actors memory restore /var/backups/digital-actors/player_memory-20260509T031500Z.db.gz":
        (RUN, "operations: a backup made above, under that name; answering y"),
    "digital-actors memory check": (RUN, "operations"),
    "digital-actors memory salvage": (RUN, "operations"),
    "digital-actors memory salvage -o /tmp/rescued.db": (RUN, "operations"),
    "digital-actors memory --db player_memory.salvaged-<time>.db check":
        (RUN, "operations: <time> is the file salvage wrote, in the data folder"),
    "digital-actors memory restore player_memory.salvaged-<time>.db": (RUN, "operations: answering y"),
    "digital-actors memory vacuum": (RUN, "operations"),
    "digital-actors memory import-legacy /old/data/player_memory.db":
        (RUN, "operations: the earlier project's file built by tests/memory/legacy_fixture.py, at that path moved"),
    "sudo -u postgres createuser --pwprompt digital_actors":
        (PG_ADMIN, "tests/memory/pg_server.py makes its own role and database on its own server"),
    "sudo -u postgres createdb -O digital_actors digital_actors":
        (PG_ADMIN, "tests/memory/pg_server.py makes its own role and database on its own server"),
    PG_BACKUP: (RUN, "postgres: against the suite's server, its URL for the doc's"),
    PG_RESTORE: (RUN, "postgres: the dump made above, under that name; answering y"),
    PG_MIGRATE: (RUN, "postgres: the seeded SQLite file into the suite's server; twice"),
    PG_MIGRATE_BACK: (RUN, "postgres: into the doc's path moved, after the file there was moved aside"),
}


def documented() -> dict[str, Command]:
    return {c.text: c for doc in DOCS for c in commands(ROOT / doc, ROOT)}


def doc(text: str) -> Command:
    """The documented command, which must still read exactly so, and must be marked RUN."""
    found = documented()
    assert text in found, f"no longer in the docs: {text}"
    assert REVIEWED[text][0] == RUN
    return found[text]


@dataclass
class Place:
    """A temporary stand-in for the production paths the docs name."""

    tmp: Path

    def rewrite(self, text: str) -> str:
        moves = {"/var/lib/digital-actors": self.tmp / "var/lib/digital-actors",
                 "/var/backups/digital-actors": self.tmp / "var/backups/digital-actors",
                 "/etc/digital-actors": self.tmp / "etc/digital-actors",
                 "/etc/systemd/system": self.tmp / "etc/systemd/system",
                 "/opt/digital-actors": VENV, "/tmp/rescued.db": self.tmp / "rescued.db",
                 "/old/data": self.tmp / "old/data"}
        text = text.removeprefix("sudo ")
        for old, new in moves.items():
            text = text.replace(old, str(new))
        return text


def shell_env(home: Path, **extra: str) -> dict[str, str]:
    """A developer's shell: the venv's `digital-actors` on PATH, a temporary home, no .env."""
    return {"PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "DIGITAL_ACTORS_ENV_FILE": "", "VOICE": "false", **extra}


def cron_env(home: Path, user: str) -> dict[str, str]:
    """What cron gives a job: no PATH beyond /usr/bin:/bin and none of the service's settings."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "SHELL": "/bin/sh", "LOGNAME": user}


def sh(command: str, env: dict[str, str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", command], env=env, cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=TIMEOUT)


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    lines: list[str]


@contextmanager
def server(command: str, env: dict[str, str], cwd: Path, port: int) -> Iterator[Server]:
    """Start a documented `serve` command, hand it over once it logs server_started, then SIGTERM it
    and require a clean exit (code 0, server_stopped)."""
    # bash runs a lone command in its own process (no shell left between SIGTERM and the server)
    proc = subprocess.Popen(["bash", "-c", command], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    watchdog = threading.Timer(TIMEOUT, proc.kill)  # a guard against a hung server, never a wait
    watchdog.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "server_started" in line:
                break
        assert any("server_started" in x for x in lines), "".join(lines)
        yield Server(port, lines)
        os.killpg(proc.pid, signal.SIGTERM)
        lines.extend(proc.stdout)
        assert proc.wait() == 0, "".join(lines)
        assert "server_stopped" in lines[-1]
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


async def play_a_turn(port: int) -> str:
    """A browser's session: a token, the socket, a scene, one line said. Returns the player id."""
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        session = await (await http.post(f"{base}/api/session", json={})).json()
        scene = (await (await http.get(f"{base}/api/scenes")).json())["scenes"][0]["id"]
        async with http.ws_connect(f"{base}/ws?token={session['token']}", headers={"Origin": base}) as ws:
            await ws.send_json({"type": "settings", "voice": False})  # text only: no speech to wait for
            await ws.send_json({"type": "start", "scene": scene})
            await ws.send_json({"type": "say", "text": "Hello, who are you?"})
            reply = None
            while True:  # until the reply to the turn is done (its Timing comes just before the turn's log line)
                message = await ws.receive(timeout=30)
                assert message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), message
                if message.type is aiohttp.WSMsgType.BINARY:
                    continue
                frame = json.loads(message.data)
                if frame["type"] == "LineStarted" and frame["cue"] == "reply":
                    reply = frame["line_id"]
                elif frame["type"] == "Timing" and frame["line_id"] == reply:
                    break
    return str(session["player_id"])


def unit_service() -> dict[str, str | dict[str, str]]:
    """[Service] of the unit file: User, ExecStart, EnvironmentFile and every Environment= assignment."""
    out: dict[str, str | dict[str, str]] = {}
    env: dict[str, str] = {}
    for line in UNIT.read_text().splitlines():
        key, sep, value = line.partition("=")
        if not sep or line.startswith("#"):
            continue
        if key == "Environment":
            for word in shlex.split(value):
                name, _, setting = word.partition("=")
                env[name] = setting
        else:
            out[key] = value
    out["Environment"] = env
    return out


def backed_up_players(backup: Path) -> set[str]:
    raw = backup.with_suffix("")
    raw.write_bytes(gzip.decompress(backup.read_bytes()))
    with closing(sqlite3.connect(raw)) as db:
        return {row[0] for row in db.execute("SELECT id FROM players")}


# --- tests ---------------------------------------------------------------------------------------


def test_every_command_is_reviewed() -> None:
    found = documented()
    assert set(found) == set(REVIEWED), {"new in the docs": set(found) - set(REVIEWED),
                                         "gone from the docs": set(REVIEWED) - set(found)}
    assert all(why for verdict, why in REVIEWED.values() if verdict == RUN)


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl: `apt-get install curl` to run the quick start's")
def test_quick_start_serve_and_health(tmp_path: Path) -> None:
    port = free_port()
    start = doc("PORT=8080 digital-actors serve").text.replace("PORT=8080", f"PORT={port}")
    health = doc("curl -s localhost:8888/health")
    home = tmp_path / "home"
    with server(start, shell_env(home, DIGITAL_ACTORS_HOME=str(tmp_path / "da")), tmp_path, port) as s:
        answer = sh(health.text.replace(":8888", f":{s.port}"), shell_env(home), tmp_path)
        assert answer.returncode == 0 and json.loads(answer.stdout) == json.loads(health.comment)


@pytest.mark.skipif(shutil.which("jq") is None, reason="no jq: `apt-get install jq` to run the Logs section's filters")
def test_systemd_unit_logs_and_the_nightly_backup_carry_the_services_database(tmp_path: Path) -> None:
    place, work = Place(tmp_path), tmp_path / "work"
    work.mkdir()
    (tmp_path / "etc/systemd/system").mkdir(parents=True)  # there on any systemd host
    for text in ("sudo install -d -m 700 /etc/digital-actors", "sudo install -m 600 /dev/null /etc/digital-actors/env",
                 "sudo cp deploy/systemd/digital-actors.service /etc/systemd/system/"):
        done = sh(place.rewrite(doc(text).text), shell_env(tmp_path), ROOT)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "etc/digital-actors").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "etc/digital-actors/env").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "etc/systemd/system/digital-actors.service").read_text() == UNIT.read_text()

    # The unit's command with the unit's environment (its state folder moved, its port a free one).
    unit = unit_service()
    environment = unit["Environment"]
    assert isinstance(environment, dict)
    assert unit["EnvironmentFile"] == "-/etc/digital-actors/env" and unit["User"] == "digital-actors"
    port = free_port()
    service_env = {k: place.rewrite(v) for k, v in environment.items()} | {"PORT": str(port)}
    home = tmp_path / "var/lib/digital-actors"  # the user's home (useradd --home)
    start = place.rewrite(str(unit["ExecStart"]))
    with server(start, {**cron_env(home, "digital-actors"), **service_env}, work, port) as s:
        player = asyncio.run(play_a_turn(s.port))
    log = work / "server.log"
    log.write_text("".join(s.lines))

    # The Logs section's jq filters, fed that log.
    turns = sh("cat server.log |" + doc(LOG_TURNS).text.split("|", 1)[1], shell_env(tmp_path), work)
    assert turns.returncode == 0, turns.stderr
    [turn] = [json.loads(x) for x in turns.stdout.splitlines()]
    assert set(turn) == {"session_id", "response_time_ms", "llm_response_time_ms"} and turn["response_time_ms"] >= 0
    for text in (LOG_SLOW, LOG_SESSION):
        done = sh("cat server.log |" + doc(text).text.removeprefix("... |"), shell_env(tmp_path), work)
        assert (done.returncode, done.stdout) == (0, ""), done.stderr

    # The backup cron line: its user and database are the unit's, and it backs up the unit's players.
    line = doc(CRON_SYSTEM)
    entry = cron_entry(line.text, system=True)
    assert entry.user == unit["User"] and "%" not in entry.command  # cron turns % into newlines
    assert f"DIGITAL_ACTORS_DB={environment['DIGITAL_ACTORS_DB']} " in entry.command
    assert entry.command.split()[1] == str(unit["ExecStart"]).split()[0]  # the unit's program
    (tmp_path / "var/backups/digital-actors").mkdir(parents=True)  # install -d -o digital-actors (root)
    cron = cron_env(home, "digital-actors")
    done = sh(place.rewrite(entry.command), cron, home)
    assert done.returncode == 0, done.stderr
    assert player in backed_up_players(Path(done.stdout.strip()))
    # The line as it was, without the unit's database, backs up nothing and fails every night.
    before = place.rewrite(entry.command.replace(f"DIGITAL_ACTORS_DB={environment['DIGITAL_ACTORS_DB']} ", ""))
    failed = sh(before, cron, home)
    assert failed.returncode == 1 and "There is no database" in failed.stderr


LOG_TURNS = ("docker compose logs app --no-log-prefix | jq -c 'select(.event_type==\"dialogue_generated\") | "
             "{session_id, response_time_ms, llm_response_time_ms}'")
LOG_SLOW = "... | jq -c 'select(.event_type==\"http_request\" and .route != \"/ws\" and .response_time_ms > 500)'"
LOG_SESSION = "... | jq -c 'select(.session_id==\"3f2a9c1b7d20\")'"
CRON_SYSTEM = ("17 3 * * * digital-actors DIGITAL_ACTORS_DB=/var/lib/digital-actors/data/player_memory.db "
               "/opt/digital-actors/bin/digital-actors memory backup /var/backups/digital-actors --keep-days 14")
CRON_USER = ("15 3 * * * DIGITAL_ACTORS_DB=/var/lib/digital-actors/data/player_memory.db "
             "/opt/digital-actors/bin/digital-actors memory backup /var/backups/digital-actors --keep-days 14 "
             ">> /var/backups/digital-actors/backup.log 2>&1")


def names(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM players")}


def _seed(db: Path) -> None:
    async def go() -> None:
        async with SqliteMemoryStore.open(db) as store:
            sam = await store.player("Sam")
            await play(store, sam, "success", notes=[MemoryNote("They told me their name is Sam.", 1.0)])
            alex = await store.player("Alex")
            await play(store, alex, "failure", notes=[MemoryNote(f"Alex said thing {i}.", 0.5) for i in range(12)])
            await play(store, alex, "success", character="jonas", notes=[MemoryNote("jonas remembers")])

    asyncio.run(go())


def test_operations_commands(tmp_path: Path) -> None:
    place, work = Place(tmp_path), tmp_path / "work"
    work.mkdir()
    state = tmp_path / "var/lib/digital-actors"
    data = state / "data"
    _seed(data / "player_memory.db")
    env = shell_env(tmp_path, DIGITAL_ACTORS_HOME=str(state))  # its database is the cron line's, moved

    def run(text: str, *, as_run: str | None = None, answer: str | None = None, cwd: Path = work) -> str:
        command = place.rewrite(as_run or doc(text).text)
        done = sh(command, env, cwd, stdin=answer)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        return done.stdout

    assert {"Alex", "Sam"} <= set(run("digital-actors memory players").split())
    show = "digital-actors memory show [--player NAME]"
    assert "Alex said thing 11." in run(show, as_run="digital-actors memory show")
    assert "Sam" in run(show, as_run="digital-actors memory show --player Sam")
    export = "digital-actors memory export [--player NAME] [-o alex.json]"
    run(export, as_run="digital-actors memory export --player Alex -o alex.json")
    assert "Alex said thing 0." in (work / "alex.json").read_text()
    json.loads((work / "alex.json").read_text())
    run("digital-actors memory forget --memory 12", answer="y\n")
    run("digital-actors memory forget --character mara", answer="y\n")

    assert run("digital-actors memory backup /var/backups/digital-actors --keep-days 14").strip().endswith(".db.gz")
    entry = cron_entry(doc(CRON_USER).text, system=False)
    cron = sh(place.rewrite(entry.command), cron_env(tmp_path, "operator"), tmp_path)
    assert cron.returncode == 0, cron.stderr
    made_by_cron = Path((tmp_path / "var/backups/digital-actors/backup.log").read_text().strip())
    assert made_by_cron.parent == tmp_path / "var/backups/digital-actors" and made_by_cron.is_file()

    run("digital-actors memory forget --all --player Alex", answer="y\n")
    assert names(data / "player_memory.db") == {"Sam"}
    made_by_cron.rename(made_by_cron.with_name("player_memory-20260509T031500Z.db.gz"))
    run("digital-actors memory restore /var/backups/digital-actors/player_memory-20260509T031500Z.db.gz",
        answer="y\n")
    assert names(data / "player_memory.db") == {"Alex", "Sam"}  # the backup brought the profile back

    assert run("digital-actors memory check").strip().endswith("ok")
    run("digital-actors memory salvage")
    run("digital-actors memory salvage -o /tmp/rescued.db")
    assert (tmp_path / "rescued.db").is_file()
    [salvaged] = data.glob("player_memory.salvaged-*.db")
    run("digital-actors memory --db player_memory.salvaged-<time>.db check",
        as_run=f"digital-actors memory --db {salvaged.name} check", cwd=data)
    run("digital-actors memory restore player_memory.salvaged-<time>.db",
        as_run=f"digital-actors memory restore {salvaged.name}", answer="y\n", cwd=data)
    run("digital-actors memory vacuum")
    assert names(data / "player_memory.db") == {"Alex", "Sam"}
    build_legacy_db(tmp_path / "old/data/player_memory.db")
    imported = run("digital-actors memory import-legacy /old/data/player_memory.db")
    assert "3 imported" in imported and len(names(data / "player_memory.db")) == 5


def test_postgres_operations_commands(tmp_path: Path, pg_url: str) -> None:
    place, work = Place(tmp_path), tmp_path / "work"
    work.mkdir()
    state = tmp_path / "var/lib/digital-actors"
    db = state / "data" / "player_memory.db"
    _seed(db)
    env = shell_env(tmp_path, DIGITAL_ACTORS_HOME=str(state))

    def run(text: str, *, answer: str | None = None) -> str:
        command = place.rewrite(doc(text).text).replace(PG_DOC_URL, pg_url)
        done = sh(command, env, work, stdin=answer)
        assert done.returncode == 0, f"{text}\n{done.stdout}{done.stderr}"
        assert PASSWORD not in done.stdout + done.stderr
        return done.stdout

    assert "both sides agree" in run(PG_MIGRATE)
    assert "Done: 0 new, 0 updated" in run(PG_MIGRATE)  # the second run: the server stopped, nothing new
    made = Path(run(PG_BACKUP).strip())
    assert made.name.endswith(".jsonl.gz") and made.parent == tmp_path / "var/backups/digital-actors"
    made.rename(made.with_name("digital_actors-20260509T031500Z.jsonl.gz"))
    run(PG_RESTORE, answer="y\n")
    db.rename(db.with_name("player_memory.db.before"))
    assert "both sides agree" in run(PG_MIGRATE_BACK)
    assert names(db) == {"Alex", "Sam"}


def test_every_runnable_command_is_run() -> None:
    ran = {"curl -s localhost:8888/health", "PORT=8080 digital-actors serve",
           "sudo install -d -m 700 /etc/digital-actors", "sudo install -m 600 /dev/null /etc/digital-actors/env",
           "sudo cp deploy/systemd/digital-actors.service /etc/systemd/system/",
           LOG_TURNS, LOG_SLOW, LOG_SESSION, CRON_SYSTEM, CRON_USER, PG_BACKUP, PG_RESTORE, PG_MIGRATE,
           PG_MIGRATE_BACK,
           *(text for text in REVIEWED if text.startswith("digital-actors memory"))}
    assert ran == {text for text, (verdict, _) in REVIEWED.items() if verdict == RUN}

