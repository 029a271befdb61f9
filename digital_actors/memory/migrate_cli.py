"""``digital-actors memory migrate --to URL``: copy player memory between stores (SQLite <-> PostgreSQL).

The source is ``--db`` (or the configured database), the target ``--to``. Counts are printed per
table, progress on long tables, then the verify step: every table's row count and checksum on
both sides. Running it again copies nothing new. Exit 1 when the two sides do not agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from digital_actors.errors import MemoryStoreError
from digital_actors.memory import location, transfer
from digital_actors.memory.stores import open_store

if TYPE_CHECKING:
    from digital_actors.memory.cli import MemoryCli

PROGRESS_EVERY = 1.0  # seconds between two progress lines of one table


class Progress:
    """``  memories: 40000/100000 rows`` on stderr for a table longer than one batch: after its first
    batch, then at most once a second, and at its end."""

    def __init__(self, batch: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._batch, self._clock = batch, clock
        self._table, self._last = "", 0.0

    def __call__(self, table: str, done: int, total: int) -> None:
        if total <= self._batch:
            return
        now = self._clock()
        if table != self._table or done >= total or now - self._last >= PROGRESS_EVERY:
            self._table, self._last = table, now
            click.echo(f"  {table}: {done}/{total} rows", err=True)


@click.command()
@click.option("--to", "target", metavar="PATH|URL", required=True,
              help="Where to copy to: a postgresql:// URL, a SQLite path or a sqlite:/// URL.")
@click.option("--batch", type=click.IntRange(min=1), default=transfer.BATCH, show_default=True,
              help="Rows read and written per step.")
@click.pass_obj
def migrate(app: MemoryCli, target: str, batch: int) -> None:
    """Copy every row to another database (SQLite -> PostgreSQL or back), then verify both sides agree.

    Safe to run again: rows already there are left alone, changed ones updated, missing ones added.
    Stop the servers first for an exact copy (or run it once live and once after stopping them)."""
    from digital_actors.memory.cli import _fail, _run, _where

    try:
        dest = location.resolve(target)
    except MemoryStoreError as e:
        _fail(e, 2)
    click.echo(f"Copying {app.db} -> {dest}")

    async def go() -> tuple[list[transfer.TableCopy], transfer.Verification]:
        async with open_store(_where(app.db), pool=app.pool) as src, \
                open_store(_where(dest), pool=app.pool) as dst:
            copied = await transfer.copy_all(src, dst, progress=Progress(batch), batch=batch)
            return copied, await transfer.verify(src, dst)

    try:
        copied, checked = _run(go())
    except MemoryStoreError as e:
        _fail(e)
    click.echo(f"  {'table':<21} {'source':>8} {'new':>8} {'updated':>8} {'same':>8} {'only in target':>15}")
    for c in copied:
        click.echo(f"  {c.table:<21} {c.source:>8} {c.inserted:>8} {c.updated:>8} {c.unchanged:>8} "
                   f"{c.only_in_target:>15}")
    click.echo(f"Verify ({app.db} | {dest}):")
    for line in checked.lines():
        click.echo(line)
    if not checked.ok:
        _fail(MemoryStoreError(
            "The two databases do not agree (see DIFFERENT above).",
            "Rows only in the target stay there; a server still writing to the source changes it: stop it "
            "and run the command again."))
    click.echo(f"Done: {sum(c.inserted for c in copied)} new, {sum(c.updated for c in copied)} updated; "
               "both sides agree.")


__all__ = ["migrate"]
