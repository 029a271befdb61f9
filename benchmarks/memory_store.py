"""Memory-store write throughput and latency: SQLite against PostgreSQL, N writers in P processes.

Each writer is one player finishing scene after scene, as fast as the store lets it: an attempt's
begin and its end (the end is the heaviest write play makes: attempt, session, personality,
relationship, memories in one transaction), each timed as one ``store.write``. The writers are
spread over ``--processes`` worker processes, each with its own store (a SQLite connection, or a
PostgreSQL pool), as several server workers would be. A fresh database per run; the PostgreSQL
server is started here with its durable defaults (fsync and synchronous_commit on), unless
``--pg-url`` names one.

    python benchmarks/memory_store.py                         # writers 1, 4, 16, 64 in 2 processes, 5 s each
    python benchmarks/memory_store.py --writers 1,8,32 --processes 4 --seconds 10
    python benchmarks/memory_store.py --stores postgresql --pg-url postgresql://u:pw@host/db
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors.logging import configure_logging
from digital_actors.memory import writes
from digital_actors.memory.records import MemoryNote, iso, utc_now
from digital_actors.memory.rules import AttemptStats
from digital_actors.memory.stores import PoolOptions, open_store

STATS = AttemptStats(correct_actions=3, kind_words=1, lines_said=6, rapid_actions=1)


async def _writers(where: str, players: list[str], seconds: float, start_at: float, pool_max: int
                   ) -> tuple[list[float], int]:
    """Run one writer per player until the deadline; the latency of every write, and the failures."""
    latencies: list[float] = []
    failures = 0
    async with open_store(where, pool=PoolOptions(1, pool_max, 30.0, 30.0)) as store:
        await asyncio.sleep(max(0.0, start_at - time.time()))  # every process starts together
        deadline = time.perf_counter() + seconds

        async def one(player_id: str) -> None:
            nonlocal failures
            n = 0
            while time.perf_counter() < deadline:
                begin = writes.new_attempt(player_id, "pressure_point", "engineer", at=iso(utc_now()))
                finish = writes.FinishAttempt(begin.handle, "success", "surfaced", STATS,
                                              (MemoryNote(f"note {n % 7}", 0.5),), 30.0, iso(utc_now()))
                for write in (begin, finish):
                    started = time.perf_counter()
                    try:
                        await store.write(write)
                    except Exception:
                        failures += 1
                    latencies.append(time.perf_counter() - started)
                n += 1

        await asyncio.gather(*(one(p) for p in players))
    return latencies, failures


def _process(where: str, players: list[str], seconds: float, start_at: float, pool_max: int,
             out: mp.Queue) -> None:  # type: ignore[type-arg]
    configure_logging(level="ERROR")
    out.put(asyncio.run(_writers(where, players, seconds, start_at, pool_max)))


async def _prepare(where: str, count: int) -> list[str]:
    async with open_store(where) as store:
        return [(await store.player(f"bench-{i}")).id for i in range(count)]


def run(where: str, writers: int, processes: int, seconds: float, pool_max: int) -> dict[str, float]:
    players = asyncio.run(_prepare(where, writers))
    procs = max(1, min(processes, writers))
    shares = [players[i::procs] for i in range(procs)]
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 3.0
    workers = [ctx.Process(target=_process, args=(where, share, seconds, start_at, pool_max, out))
               for share in shares]
    for w in workers:
        w.start()
    latencies: list[float] = []
    failures = 0
    for _ in workers:
        got, failed = out.get(timeout=seconds + 120)
        latencies += got
        failures += failed
    for w in workers:
        w.join(timeout=60)
    latencies.sort()
    return {"writes_per_s": len(latencies) / seconds, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))], "failures": failures,
            "processes": procs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--writers", default="1,4,16,64", help="concurrent writers (players), comma-separated")
    parser.add_argument("--processes", type=int, default=2, help="worker processes the writers are spread over")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pool-max", type=int, default=PoolOptions().max_size,
                        help="PostgreSQL connections per process (MEMORY_DB_POOL_MAX_SIZE; default as shipped)")
    parser.add_argument("--pg-url", default=None, help="an existing PostgreSQL database (default: start one)")
    parser.add_argument("--pg-async-commit", action="store_true",
                        help="synchronous_commit=off on the started server: no fsync per commit, SQLite WAL's "
                             "synchronous=NORMAL trade (a crash of the machine can lose the last commits)")
    args = parser.parse_args()
    configure_logging(level="ERROR")
    counts = [int(n) for n in args.writers.split(",")]
    stores = args.stores.split(",")
    print(f"{'store':<11} {'writers':>7} {'procs':>5} {'writes/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'failed':>6}")

    def report(store: str, n: int, r: dict[str, float]) -> None:
        print(f"{store:<11} {n:>7} {r['processes']:>5} {r['writes_per_s']:>9.0f} {r['p50_ms']:>8.2f} "
              f"{r['p99_ms']:>8.2f} {r['failures']:>6}", flush=True)

    with tempfile.TemporaryDirectory(prefix="da-bench-") as tmp:
        if "sqlite" in stores:
            for n in counts:
                report("sqlite", n, run(str(Path(tmp) / f"{uuid.uuid4().hex}.db"), n, args.processes, args.seconds,
                                        args.pool_max))
        if "postgresql" in stores:
            if args.pg_url:
                for n in counts:
                    report("postgresql", n, run(args.pg_url, n, args.processes, args.seconds, args.pool_max))
            else:
                from tests.memory.pg_server import running

                with running(fast=False) as server:
                    if args.pg_async_commit:
                        with server.admin() as admin:
                            admin.execute("ALTER SYSTEM SET synchronous_commit = off")
                            admin.execute("SELECT pg_reload_conf()")
                    label = "pg-async" if args.pg_async_commit else "postgresql"
                    for n in counts:
                        report(label, n, run(server.url(server.database(template="template0")), n,
                                             args.processes, args.seconds, args.pool_max))


if __name__ == "__main__":
    main()
