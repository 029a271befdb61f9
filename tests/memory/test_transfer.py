"""The copy's list of tables and columns is the schema's, on both stores: a column a migration adds
must be added there too, or `memory migrate` and the PostgreSQL backup would leave it behind."""

from __future__ import annotations

from digital_actors.memory.base import SqlStore
from digital_actors.memory.sql import Tx
from digital_actors.memory.transfer import TABLES, Tally, encode


async def columns(tx: Tx) -> dict[str, list[str]]:
    if tx.dialect == "sqlite":
        names = [r[0] for r in await tx.all("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {n: [r[1] for r in await tx.all(f"PRAGMA table_info({n})")] for n in names}
    rows = await tx.all("SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


async def test_the_copied_tables_are_the_schema(store: SqlStore) -> None:
    schema = await store.transaction("schema", columns, mode="read")
    assert set(schema) - {t.name for t in TABLES} == {"_migrations", "_health"}  # each store's own
    for table in TABLES:
        assert list(table.columns) == schema[table.name], table.name


def test_the_checksum_ignores_order_and_sees_every_value() -> None:
    a, b = Tally(), Tally()
    for row in [("p1", 50.0, None), ("p2", 1.5, "x")]:
        a.add(row)
    for row in [("p2", 1.5, "x"), ("p1", 50.0, None)]:
        b.add(row)
    assert (a.rows, a.hex) == (b.rows, b.hex)
    c = Tally()
    c.add(("p1", 50.0, None))
    c.add(("p2", 1.5000001, "x"))
    assert c.hex != a.hex
    assert encode(("x", 50.0, 1)) == '["x",50.0,1]'
