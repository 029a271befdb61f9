"""Every test gets its own DIGITAL_ACTORS_HOME, no API keys and no developer settings: offline,
isolated, and deaf to a ``.env`` file or a setting exported in the shell that runs the suite."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from digital_actors.config import Settings
from digital_actors.memory.stores import open_store
from tests.memory.pg_server import ENABLE as PG_ENABLE
from tests.memory.pg_server import PgServer, find_bin
from tests.memory.pg_server import running as running_pg
from tests.redis_server import ENABLE as REDIS_ENABLE
from tests.redis_server import RedisServer
from tests.redis_server import binary as redis_binary
from tests.redis_server import running as running_redis

# Read by the engine outside Settings, or by the SDKs themselves.
EXTRA = ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "DIGITAL_ACTORS_SCENES", "DIGITAL_ACTORS_DB", "DATABASE_URL")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "da-home"
    # No .env: a developer's file in the working directory must not reach a test (a real key in it would
    # be used), in this process or in a command a test runs.
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    monkeypatch.setenv("DIGITAL_ACTORS_ENV_FILE", "")
    for name in {*(field.upper() for field in Settings.model_fields), *EXTRA}:
        monkeypatch.delenv(name, raising=False)
    for name in [k for k in os.environ if k.startswith("ELEVENLABS_VOICE_")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGITAL_ACTORS_HOME", str(home))
    # No synthesis unless a test asks for it (Piper is installed in CI and would speak every line).
    monkeypatch.setenv("VOICE", "false")
    return home


@pytest.fixture(autouse=True)
def fresh_logging() -> Iterator[None]:
    """A command a test runs configures logging for its process (``check`` sets ERROR): the next
    test starts from structlog's defaults again, so ``capture_logs`` sees every level."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real Redis for the whole run (skipped, saying how to enable it, only when redis-server is absent)."""
    if redis_binary() is None:
        pytest.skip(REDIS_ENABLE)
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The shared Redis, emptied for this test."""
    assert redis_server.command("FLUSHALL").startswith(b"+OK")
    return redis_server.url


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the whole session, with a migrated template database."""
    if find_bin() is None:
        pytest.skip(PG_ENABLE)
    with running_pg() as server:
        async def migrate() -> None:
            async with open_store(server.url(server.template)):
                pass

        asyncio.run(migrate())
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, migrated database of its own for this test (password in the URL)."""
    name = pg_server.database()
    yield pg_server.url(name)
    pg_server.drop(name)


@pytest.fixture
def pg_empty_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh database with nothing in it (for migration tests)."""
    name = pg_server.database(template="template0")
    yield pg_server.url(name)
    pg_server.drop(name)
