"""``digital-actors memory ...``: players see, export and forget what is remembered; hosts back up,
check, and move the memory between SQLite and PostgreSQL (``migrate --to URL``).

Every command works on either store (``--db`` takes a path or a URL; by default DIGITAL_ACTORS_DB,
else DATABASE_URL, else the default file); the few that only make sense for one say so and exit 1.
Exit codes: 0 ok, 1 failure (including a declined confirmation), 2 usage. Errors are printed
as a message and a hint, never a traceback. Register with ``cli.add_command(memory)``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import click
import structlog

from digital_actors.config import Settings
from digital_actors.errors import DigitalActorsError, MemoryStoreError
from digital_actors.logging import configure_logging
from digital_actors.memory import location, maintenance
from digital_actors.memory.location import PgLocation
from digital_actors.memory.migrate_cli import migrate
from digital_actors.memory.occupancy import FileUse
from digital_actors.memory.records import IntegrityReport, PlayerRecord, utc_now
from digital_actors.memory.salvage import salvage_database
from digital_actors.memory.show import describe_player, describe_salvage
from digital_actors.memory.store import MemoryStore
from digital_actors.memory.stores import PoolOptions, open_store

P = ParamSpec("P")
R = TypeVar("R")


COMMAND_POOL = PoolOptions(0, 2)  # a command needs a connection or two, opened on demand


@dataclass(frozen=True)
class MemoryCli:
    db: Path | str | PgLocation
    pool: PoolOptions = COMMAND_POOL


def _fail(error: DigitalActorsError, code: int = 1) -> NoReturn:
    click.echo(f"error: {error.message}", err=True)
    if error.hint:
        click.echo(f"  hint: {error.hint}", err=True)
    sys.exit(code)


def _guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn every expected failure into a message, a hint and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DigitalActorsError as e:
            _fail(e)
        except sqlite3.Error as e:
            _fail(MemoryStoreError(f"database error: {e}", "Run `digital-actors memory check`."))
        except OSError as e:
            _fail(MemoryStoreError(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "),
                                   "Check the path and its permissions."))

    return wrapper


def _run(coro: Coroutine[Any, Any, R]) -> R:
    return asyncio.run(coro)


def _file(app: MemoryCli) -> Path:
    if not isinstance(app.db, Path):
        _fail(MemoryStoreError("This command needs a database file, not :memory:.",
                               "Pass --db PATH or set DIGITAL_ACTORS_DB."), 2)
    return app.db


def _where(db: Path | str | PgLocation) -> str:
    """What to pass to open_store: a path, or the URL (with its password: never printed)."""
    return db.url if isinstance(db, PgLocation) else str(db)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", metavar="PATH|URL", default=None,
              help="The memory database: a path, a sqlite:/// URL or a postgresql:// URL. Default: "
                   "DIGITAL_ACTORS_DB, else DATABASE_URL, else player_memory.db in the data dir.")
@click.pass_context
def memory(ctx: click.Context, db: str | None) -> None:
    """See, export and forget what characters remember; back up and repair the database."""
    settings = getattr(ctx.obj, "settings", None)
    if not isinstance(settings, Settings):
        try:
            settings = Settings()
        except Exception as e:  # pydantic's ValidationError: a malformed setting
            _fail(MemoryStoreError(f"invalid setting: {e}", "See .env.example."), 2)
    if db is None:
        db = settings.memory_database()
    pool = PoolOptions(0, 2, settings.memory_db_acquire_timeout_seconds, settings.memory_db_statement_timeout_seconds)
    if not structlog.is_configured():
        configure_logging(level="WARNING")  # keep stdout clean for JSON output
    try:
        ctx.obj = MemoryCli(location.resolve(db), pool)
    except MemoryStoreError as e:
        _fail(e, 2)


async def _pick(store: MemoryStore, name: str | None) -> PlayerRecord:
    if name:
        found = await store.get_player(name) or await store.find_player(name)
        if found is None:
            raise MemoryStoreError(f"No player called {name!r}.",
                                   "See `digital-actors memory players` for the profiles.")
        return found
    players = await store.list_players()
    if not players:
        raise MemoryStoreError("Nothing is remembered yet: there are no players.",
                               "Play a scene first.")
    return players[0]


_player_option = click.option("--player", "player_name", metavar="NAME",
                              help="Profile name or player id (default: the most recent player).")


@memory.command()
@click.pass_obj
@_guarded
def players(app: MemoryCli) -> None:
    """List the player profiles, most recent first."""

    async def go() -> list[PlayerRecord]:
        async with open_store(_where(app.db), pool=app.pool) as store:
            return await store.list_players()

    rows = _run(go())
    if not rows:
        click.echo("No players yet.")
    for p in rows:
        click.echo(f"{p.name:<24} {p.kind:<9} last seen {p.last_seen_at}  id {p.id}")


@memory.command()
@_player_option
@click.pass_obj
@_guarded
def show(app: MemoryCli, player_name: str | None) -> None:
    """Show what the characters remember about a player."""

    async def go() -> dict[str, Any]:
        async with open_store(_where(app.db), pool=app.pool) as store:
            return await store.export((await _pick(store, player_name)).id)

    click.echo(describe_player(_run(go())))


@memory.command()
@_player_option
@click.option("--memory", "memory_id", type=int, metavar="ID", help="Forget one memory (ids: `show`).")
@click.option("--character", "character_id", metavar="ID", help="Forget everything one character knows.")
@click.option("--all", "everything", is_flag=True, help="Forget the player entirely (profile included).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
@_guarded
def forget(app: MemoryCli, player_name: str | None, memory_id: int | None, character_id: str | None,
           everything: bool, yes: bool) -> None:
    """Forget one memory, one character's memories, or everything about a player."""
    if sum((memory_id is not None, character_id is not None, everything)) != 1:
        raise click.UsageError("Choose exactly one of --memory ID, --character ID or --all.")

    async def go() -> dict[str, int] | None:
        async with open_store(_where(app.db), pool=app.pool) as store:
            who = await _pick(store, player_name)
            what = (f"memory {memory_id}" if memory_id is not None
                    else f"everything {character_id} remembers" if character_id
                    else "the whole profile and everything remembered")
            if not yes and not click.confirm(f"Forget {what} for {who.name}?", default=False):
                return None
            return await store.forget(who.id, memory_id=memory_id, character_id=character_id,
                                      everything=everything)

    counts = _run(go())
    if counts is None:
        click.echo("Nothing was forgotten.", err=True)
        sys.exit(1)
    if not any(counts.values()):
        _fail(MemoryStoreError("Nothing matched, so nothing was forgotten.",
                               "See the memory ids with `digital-actors memory show`."))
    click.echo("Forgotten: " + ", ".join(f"{n} {t}" for t, n in counts.items() if n) + ".")


@memory.command()
@_player_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of standard output.")
@click.pass_obj
@_guarded
def export(app: MemoryCli, player_name: str | None, output: Path | None) -> None:
    """Export everything stored about a player as JSON."""

    async def go() -> dict[str, Any]:
        async with open_store(_where(app.db), pool=app.pool) as store:
            return await store.export((await _pick(store, player_name)).id)

    text = json.dumps(_run(go()), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, output)
    click.echo(f"Exported to {output}", err=True)


@memory.command()
@click.argument("dest_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep-days", type=click.FloatRange(min=0), default=None, metavar="N",
              help="Delete backups in DIR older than N days (after this one is written).")
@click.pass_obj
@_guarded
def backup(app: MemoryCli, dest_dir: Path, keep_days: float | None) -> None:
    """Write a consistent, compressed, timestamped copy into DIR (safe while a server runs).

    SQLite: the file itself (.db.gz). PostgreSQL: a logical dump of every table (.jsonl.gz)."""
    if isinstance(app.db, PgLocation):
        async def dump() -> tuple[Path, list[Path]]:
            from digital_actors.memory.postgres import PostgresMemoryStore

            async with open_store(_where(app.db), pool=app.pool) as store:
                assert isinstance(store, PostgresMemoryStore)
                return await store.dump(dest_dir, keep_days)

        final, pruned = _run(dump())
    else:
        final, pruned = _run(asyncio.to_thread(maintenance.backup_database, _file(app), dest_dir, utc_now(),
                                               keep_days))
    click.echo(str(final))
    if pruned:
        click.echo(f"Pruned {len(pruned)} backup(s) older than {keep_days:g} days.", err=True)


@memory.command()
@click.argument("backup_path", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
@_guarded
def restore(app: MemoryCli, backup_path: Path, yes: bool) -> None:
    """Replace the database with a backup, after checking it. Stop servers using it first."""
    if isinstance(app.db, PgLocation):
        _restore_postgres(app.db, app.pool, backup_path, yes)
        return
    db = _file(app)
    FileUse.take(db, "exclusive", "restore").release()  # refuse before asking, while a server has it open
    if not yes and not click.confirm(f"Replace {db} with {backup_path}? The current file is kept aside.",
                                     default=False):
        click.echo("Nothing was restored.", err=True)
        sys.exit(1)
    use = FileUse.take(db, "exclusive", "restore")  # refused while a server or a game has the file open
    try:
        aside = _run(asyncio.to_thread(maintenance.restore_database, db, backup_path, utc_now()))
    finally:
        use.release()
    click.echo(f"Restored {db} from {backup_path}.")
    if aside:
        click.echo(f"The previous file is kept as {aside}.")


def _restore_postgres(db: PgLocation, pool: PoolOptions, backup_path: Path, yes: bool) -> None:
    async def go() -> None:
        async with open_store(db.url, pool=pool, use="exclusive") as store:  # refused while a server is connected
            if not yes and not click.confirm(f"Replace every row in {db} with {backup_path}?", default=False):
                click.echo("Nothing was restored.", err=True)
                sys.exit(1)
            await store.restore(backup_path)

    _run(go())
    click.echo(f"Restored {db} from {backup_path}.")


@memory.command()
@click.pass_obj
@_guarded
def check(app: MemoryCli) -> None:
    """Check the database's integrity and foreign keys (read-only).

    PostgreSQL: the schema, unvalidated constraints, and the indexes when amcheck is installed."""
    db = app.db
    if isinstance(db, PgLocation):
        url = db.url

        async def go() -> IntegrityReport:
            async with open_store(url, pool=app.pool) as store:
                return await store.integrity()

        report = _run(go())
    else:
        db = _file(app)
        report = _run(asyncio.to_thread(maintenance.check_file, db, require_memory_schema=True))
    if report.ok:
        click.echo(f"{db}: ok")
        return
    click.echo(f"{db}: problems found", err=True)
    for line in [*report.problems, *report.foreign_key_violations]:
        click.echo(f"  {line}", err=True)
    click.echo(f"  hint: {location.RECOVERY}", err=True)
    sys.exit(1)


@memory.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="The new database (default: <db>.salvaged-<time>.db next to it).")
@click.pass_obj
@_guarded
def salvage(app: MemoryCli, output: Path | None) -> None:
    """Copy whatever can still be read from a damaged SQLite file into a new one."""
    if isinstance(app.db, PgLocation):
        raise MemoryStoreError(
            "salvage repairs a damaged SQLite file; PostgreSQL keeps its own write-ahead log and checksums.",
            "Restore a `memory backup` dump, or use the server's own recovery (docs/OPERATIONS.md).")
    db = _file(app)
    dest = output or db.with_name(f"{db.stem}.salvaged-{maintenance.stamp(utc_now())}.db")
    report = _run(asyncio.to_thread(salvage_database, db, dest))
    click.echo(describe_salvage(report))
    click.echo(f"Next: `digital-actors memory --db {dest} check`, then "
               f"`digital-actors memory restore {dest}` to use it.")


@memory.command()
@click.pass_obj
@_guarded
def vacuum(app: MemoryCli) -> None:
    """Reclaim space left by forgotten data. SQLite: rebuilds the file (stop servers using it first).
    PostgreSQL: VACUUM (ANALYZE) of each table, fine while servers run."""

    async def go() -> tuple[int, int]:
        async with open_store(_where(app.db), pool=app.pool) as store:
            return await store.vacuum()

    before, after = _run(go())
    how = " (VACUUM ANALYZE)" if isinstance(app.db, PgLocation) else ""
    click.echo(f"Vacuumed{how}: {before / 1024:.0f} KiB -> {after / 1024:.0f} KiB")


@memory.command("import-legacy")
@click.argument("legacy_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@_guarded
def import_legacy(app: MemoryCli, legacy_file: Path) -> None:
    """Bring players, attempts, personality and relationships over from the earlier project's
    player_memory.db. Safe to run again: what was imported once is not imported twice."""

    async def go() -> list[str]:
        async with open_store(_where(app.db), pool=app.pool) as store:
            return (await store.import_legacy(legacy_file)).lines()

    for line in _run(go()):
        click.echo(line)


memory.add_command(migrate)
