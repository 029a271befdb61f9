"""Ordered, named, idempotent schema migrations, recorded in ``_migrations`` (after simonw/llm).

Append new migrations at the end; never edit or reorder one that has shipped. Each has its SQLite
statements and, where PostgreSQL needs other SQL, a PostgreSQL form: the same tables, columns,
checks and names, recorded under the same name in the same ``_migrations`` table. What differs:
SQLite's 8-byte ``REAL`` is PostgreSQL's ``DOUBLE PRECISION`` (its ``REAL`` has 4 bytes);
``COLLATE NOCASE`` is a case-insensitive ICU collation ``nocase``; ``AUTOINCREMENT`` is an identity;
``json_valid(stats)`` is a cast to ``jsonb``. On PostgreSQL the tables live in their own schema,
``digital_actors``, so a database shared with another application (DATABASE_URL on a hosting
platform) keeps its own ``players`` or ``sessions`` apart.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiosqlite
import structlog

from digital_actors.memory.records import iso, utc_now

if TYPE_CHECKING:
    import psycopg

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    statements: tuple[str, ...]  # SQLite
    postgres: tuple[str, ...] | None = None  # PostgreSQL, where its SQL differs (None: the same statements)

    def for_postgres(self) -> tuple[str, ...]:
        return self.postgres if self.postgres is not None else self.statements


SCHEMA = "digital_actors"  # PostgreSQL: the schema our tables live in (the connections' search_path)
MIGRATE_LOCK = (0x64610000, 1)  # PostgreSQL: the advisory lock two processes migrating at once take turns on


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "m001_players_sessions_attempts",
        (
            """CREATE TABLE players (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL COLLATE NOCASE,
            kind TEXT NOT NULL CHECK (kind IN ('terminal', 'web')),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            UNIQUE (kind, name)
        )""",
            """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            scene_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            playtime_seconds REAL NOT NULL DEFAULT 0 CHECK (playtime_seconds >= 0)
        )""",
            """CREATE TABLE scene_attempts (
            id TEXT PRIMARY KEY,
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            scene_id TEXT NOT NULL,
            character_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT NOT NULL DEFAULT 'in_progress'
                CHECK (outcome IN ('in_progress', 'success', 'failure', 'abandoned', 'quit')),
            ending_id TEXT,
            stats TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(stats))
        )""",
        ),
        (
            "CREATE COLLATION IF NOT EXISTS nocase "
            "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
            """CREATE TABLE players (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL COLLATE nocase,
            kind TEXT NOT NULL CHECK (kind IN ('terminal', 'web')),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            UNIQUE (kind, name)
        )""",
            """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            scene_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            playtime_seconds DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (playtime_seconds >= 0)
        )""",
            """CREATE TABLE scene_attempts (
            id TEXT PRIMARY KEY,
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            scene_id TEXT NOT NULL,
            character_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT NOT NULL DEFAULT 'in_progress'
                CHECK (outcome IN ('in_progress', 'success', 'failure', 'abandoned', 'quit')),
            ending_id TEXT,
            stats TEXT NOT NULL DEFAULT '{}' CHECK ((stats::jsonb) IS NOT NULL)
        )""",
        ),
    ),
    Migration(
        "m002_personality_relationships",
        (
            """CREATE TABLE personality_profiles (
            player_id TEXT PRIMARY KEY REFERENCES players(id) ON DELETE CASCADE,
            impulsiveness REAL NOT NULL DEFAULT 50 CHECK (impulsiveness BETWEEN 0 AND 100),
            cooperation REAL NOT NULL DEFAULT 50 CHECK (cooperation BETWEEN 0 AND 100),
            problem_solving REAL NOT NULL DEFAULT 50 CHECK (problem_solving BETWEEN 0 AND 100),
            patience REAL NOT NULL DEFAULT 50 CHECK (patience BETWEEN 0 AND 100),
            updated_at TEXT NOT NULL
        )""",
            """CREATE TABLE relationships (
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            character_id TEXT NOT NULL,
            trust REAL NOT NULL DEFAULT 50 CHECK (trust BETWEEN 0 AND 100),
            familiarity REAL NOT NULL DEFAULT 0 CHECK (familiarity BETWEEN 0 AND 100),
            last_interaction_at TEXT NOT NULL,
            PRIMARY KEY (player_id, character_id)
        )""",
        ),
        (
            """CREATE TABLE personality_profiles (
            player_id TEXT PRIMARY KEY REFERENCES players(id) ON DELETE CASCADE,
            impulsiveness DOUBLE PRECISION NOT NULL DEFAULT 50 CHECK (impulsiveness BETWEEN 0 AND 100),
            cooperation DOUBLE PRECISION NOT NULL DEFAULT 50 CHECK (cooperation BETWEEN 0 AND 100),
            problem_solving DOUBLE PRECISION NOT NULL DEFAULT 50 CHECK (problem_solving BETWEEN 0 AND 100),
            patience DOUBLE PRECISION NOT NULL DEFAULT 50 CHECK (patience BETWEEN 0 AND 100),
            updated_at TEXT NOT NULL
        )""",
            """CREATE TABLE relationships (
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            character_id TEXT NOT NULL,
            trust DOUBLE PRECISION NOT NULL DEFAULT 50 CHECK (trust BETWEEN 0 AND 100),
            familiarity DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (familiarity BETWEEN 0 AND 100),
            last_interaction_at TEXT NOT NULL,
            PRIMARY KEY (player_id, character_id)
        )""",
        ),
    ),
    Migration(
        "m003_memories",
        (
            """CREATE TABLE memories (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            character_id TEXT NOT NULL,
            text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
            scene_id TEXT,
            attempt_id TEXT REFERENCES scene_attempts(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            weight REAL NOT NULL DEFAULT 0.5 CHECK (weight BETWEEN 0 AND 1)
        )""",
        ),
        (
            """CREATE TABLE memories (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            player_id TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
            character_id TEXT NOT NULL,
            text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
            scene_id TEXT,
            attempt_id TEXT REFERENCES scene_attempts(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            weight DOUBLE PRECISION NOT NULL DEFAULT 0.5 CHECK (weight BETWEEN 0 AND 1)
        )""",
        ),
    ),
    Migration(
        "m004_indexes",
        (
            "CREATE INDEX IF NOT EXISTS idx_scene_attempts_player ON scene_attempts(player_id)",
            "CREATE INDEX IF NOT EXISTS idx_sessions_player_started "
            "ON sessions(player_id, started_at)",
            "CREATE INDEX IF NOT EXISTS idx_scene_attempts_session ON scene_attempts(session_id)",
            "CREATE INDEX IF NOT EXISTS idx_memories_player_character "
            "ON memories(player_id, character_id)",
            "CREATE INDEX IF NOT EXISTS idx_memories_attempt ON memories(attempt_id)",
        ),
    ),
    Migration(
        # The profile name is an id (web-1a2b3c4d, "player"); the name a player gives is stored apart,
        # so a character never speaks an id.
        "m005_players_given_name",
        ("ALTER TABLE players ADD COLUMN given_name TEXT NOT NULL DEFAULT ''",),
    ),
    Migration(
        # One row that /health rewrites to prove a write can land (a lock, a full disk or a read-only
        # file all fail it); memory/store.py probe_write.
        "m006_health_probe",
        ("""CREATE TABLE _health (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            probed_at TEXT NOT NULL
        )""",),
    ),
    Migration(
        # Rows brought over by `memory import-legacy`: the legacy key of each, so a second run adds nothing.
        "m007_legacy_imports",
        ("""CREATE TABLE legacy_imports (
            source_key TEXT PRIMARY KEY,
            target TEXT NOT NULL,
            imported_at TEXT NOT NULL
        )""",),
    ),
)

_TABLE = """CREATE TABLE IF NOT EXISTS _migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)"""


_PG_TABLE = """CREATE TABLE IF NOT EXISTS _migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)"""


def known_names() -> list[str]:
    return [m.name for m in MIGRATIONS]


async def applied(conn: aiosqlite.Connection) -> list[str]:
    """Names already recorded, in the order they were applied ([] on a fresh file)."""
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ) as cur:
        if await cur.fetchone() is None:
            return []
    async with conn.execute("SELECT name FROM _migrations ORDER BY rowid") as cur:
        return [row[0] for row in await cur.fetchall()]


async def migrate(conn: aiosqlite.Connection) -> list[str]:
    """Apply every pending migration in one IMMEDIATE transaction; return the names applied.

    Safe to run again (nothing pending, nothing written) and safe when two processes race:
    the second one re-reads the record inside the write lock and finds nothing to do.
    """
    if set(known_names()) <= set(await applied(conn)):
        return []
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute(_TABLE)
        done = set(await applied(conn))
        ran: list[str] = []
        for migration in MIGRATIONS:
            if migration.name in done:
                continue
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (migration.name, iso(utc_now())),
            )
            ran.append(migration.name)
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    if ran:
        log.info("memory_migrated", migrations=ran)
    return ran


def migrate_new_file(conn: sqlite3.Connection) -> None:
    """Create the full schema in a brand-new file with plain sqlite3 (salvage, tools).

    Refuses a file that already holds tables, so it can never touch existing data.
    """
    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise ValueError("migrate_new_file needs an empty database")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(_TABLE)
    for migration in MIGRATIONS:
        for statement in migration.statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
            (migration.name, iso(utc_now())),
        )
    conn.execute("COMMIT")


async def applied_postgres(conn: psycopg.AsyncConnection[Any]) -> list[str]:
    """Names already recorded in the schema, in the order they were applied ([] on a new database)."""
    cur = await conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}._migrations",))
    found = await cur.fetchone()
    if found is None or found[0] is None:
        return []
    cur = await conn.execute(f"SELECT name FROM {SCHEMA}._migrations ORDER BY applied_at, name")
    return [str(row[0]) for row in await cur.fetchall()]


async def migrate_postgres(conn: psycopg.AsyncConnection[Any]) -> list[str]:
    """Apply every pending migration's PostgreSQL form in one transaction; the names applied.

    The schema is made first; two processes migrating at once take turns on an advisory lock, and
    the second finds nothing to do. ``conn`` is in autocommit mode with ``search_path`` on SCHEMA.
    """
    if set(known_names()) <= set(await applied_postgres(conn)):
        return []
    ran: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", MIGRATE_LOCK)
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        await conn.execute(_PG_TABLE.replace("_migrations", f"{SCHEMA}._migrations", 1))
        done = set(await applied_postgres(conn))
        for migration in MIGRATIONS:
            if migration.name in done:
                continue
            for statement in migration.for_postgres():
                await conn.execute(statement)
            await conn.execute(f"INSERT INTO {SCHEMA}._migrations (name, applied_at) VALUES (%s, %s)",
                               (migration.name, iso(utc_now())))
            ran.append(migration.name)
    if ran:
        log.info("memory_migrated", migrations=ran, dialect="postgresql")
    return ran
