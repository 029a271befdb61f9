"""A real, throwaway PostgreSQL server for tests and benchmarks: ``initdb`` into a temporary folder,
``pg_ctl start`` on a free port of 127.0.0.1, a password-protected role that owns a migrated template
database, and ``CREATE DATABASE ... TEMPLATE`` for each test.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the ``postgres``
user (the Debian package makes it) or, failing that, a system user ``dapg`` made once with
``useradd -r``. Only the server runs as that user; the tests connect over TCP with a password.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROLE, PASSWORD = "da", "pw-Secr3t-4-tests"  # the password the tests look for in logs and output
ADMIN, ADMIN_PASSWORD = "da_admin", "adm-Secr3t-4-tests"
UNPRIVILEGED = ("postgres", "dapg")
ENABLE = ("PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found, so the PostgreSQL half of the "
          "memory tests is skipped. Install them (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew "
          "install postgresql@15`) or set DIGITAL_ACTORS_PG_BIN to the folder that holds them.")


def find_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: DIGITAL_ACTORS_PG_BIN, PATH, or Debian's versioned folders."""
    wanted = os.environ.get("DIGITAL_ACTORS_PG_BIN")
    candidates = [Path(wanted)] if wanted else []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    candidates += sorted(Path("/opt/homebrew/opt").glob("postgresql*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_user() -> str | None:
    """Who runs the server: None (ourselves) unless we are root, who may not."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "dapg"], check=True, capture_output=True)
    return "dapg"


@dataclass
class PgServer:
    """A running server: its port, a role ``da`` (password ``PASSWORD``) and a migrated template."""

    bin: Path
    root: Path
    port: int = 0
    user: str | None = None
    template: str = "da_template"
    made: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr or done.stdout}")

    def start(self, *, fast: bool = True) -> None:
        """initdb and start. ``fast`` turns off fsync (tests); benchmarks keep the durable defaults."""
        self.user = _server_user()
        if self.user:
            info = pwd.getpwnam(self.user)
            os.chown(self.root, info.pw_uid, info.pw_gid)
        self.root.chmod(0o700)
        pwfile = self.root / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        if self.user:
            os.chown(pwfile, pwd.getpwnam(self.user).pw_uid, -1)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", ADMIN, f"--pwfile={pwfile}",
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        pwfile.unlink()
        self.port = _free_port()
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''",
                   "-c max_connections=200"]
        if fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", " ".join(options), "-w", "-t", "60", "start")
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} CREATEDB").format(
                sql.Identifier(ROLE), sql.Literal(PASSWORD)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(self.template),
                                                                       sql.Identifier(ROLE)))

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, *, user: str = ROLE, password: str = PASSWORD) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection in autocommit mode (for CREATE DATABASE, locks, faults)."""
        return psycopg.connect(self.url(database, user=ADMIN, password=ADMIN_PASSWORD), autocommit=True)

    def database(self, *, template: str | None = None) -> str:
        """A fresh database owned by ``da``, copied from ``template`` (default: the migrated one)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        source = template or self.template
        with self.admin() as conn:
            # A pool closed a moment ago may still be leaving the template: its backends go first.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                         "AND pid <> pg_backend_pid()", (source,))
            for attempt in range(100):
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {} STRATEGY FILE_COPY").format(
                        sql.Identifier(name), sql.Identifier(source), sql.Identifier(ROLE)))
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 99:
                        raise
                    time.sleep(0.05)  # the terminated backends exit within milliseconds
        self.made.append(name)
        return name

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def running(*, fast: bool = True) -> Iterator[PgServer]:
    """A started server for the block (raises RuntimeError when the binaries are missing)."""
    folder = find_bin()
    if folder is None:
        raise RuntimeError(ENABLE)
    server = PgServer(folder, Path(tempfile.mkdtemp(prefix="da-pg-")))
    try:
        server.start(fast=fast)
        yield server
    finally:
        server.stop()
