"""Chaos: another process holds the memory database's write lock while web players finish their scenes.

A real ``digital-actors serve`` subprocess on 127.0.0.1 with a real SQLite file; real WebSocket
players; the lock holder is a separate process (``BEGIN IMMEDIATE`` … ``ROLLBACK``), exactly what
a cron job, a sqlite3 shell or a second server looks like to SQLite. Not part of the test suite.

    python benchmarks/chaos/store_lock.py                          # lock held 4, 8, 12, 30 s; 24 players
    python benchmarks/chaos/store_lock.py --seconds 8 -n 12
    python benchmarks/chaos/store_lock.py --checkout /path/to/other/checkout   # measure another build
    python benchmarks/chaos/store_lock.py --vacuum                 # also: `memory vacuum` while serving

For each duration S: the lock is taken; N players arrive one after another across it (each
joins, starts the scene and finishes it at once); a third as many arrive after it; /health is
polled throughout. Then we wait (at most 60 s) for /health to say "ok", stop the server (SIGINT:
a graceful shutdown), start it once more if it left a spool of writes, and count the endings in
the database. One line per S:

    lock held S s → endings lost L/N; /health during the lock …; after …; notices …
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory_common import (  # a script beside its helper module
    ROOT,
    Player,
    Server,
    join,
    lock_holder,
    notice_counts,
    recorded_endings,
    spool_lines,
)

RECOVERY = 60.0  # seconds we wait after the lock for /health to say ok (a wedged store never does)


async def play_at(http: aiohttp.ClientSession, server: Server, start: float, at: float) -> Player | str:
    """A player who arrives ``at`` seconds after ``start``, starts the scene and finishes it at once
    (or what went wrong: a player who never reached the ending is reported, not counted)."""
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
    try:
        player = await join(http, server)
        await player.finish()
    except (aiohttp.ClientError, RuntimeError, TimeoutError, KeyError) as e:
        return f"{type(e).__name__}: {e}"
    return player


async def poll_health(server: Server, http: aiohttp.ClientSession, seen: Counter[str], stop: asyncio.Event) -> None:
    while not stop.is_set():
        seen[await server.health(http)] += 1
        try:
            async with asyncio.timeout(1.0):
                await stop.wait()
        except TimeoutError:
            pass


async def until_ok(server: Server, http: aiohttp.ClientSession, deadline: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        if await server.health(http) == "ok":
            return time.monotonic() - start
        await asyncio.sleep(0.5)
    return None


async def replay_spool(server: Server) -> None:
    """The next start replays what the last one spooled; wait (bounded) until it is gone."""
    spool = server.db.with_name(f"{server.db.name}.pending.jsonl")
    await server.start()
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        if not spool.exists():
            break
        await asyncio.sleep(0.5)
    server.stop()


async def one_run(seconds: float, n: int, checkout: Path, work: Path) -> str:
    home = work / f"lock-{seconds:g}s"
    server = Server(home, home / "data" / "player_memory.db", checkout)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            health: Counter[str] = Counter()
            stop = asyncio.Event()
            poller = asyncio.create_task(poll_health(server, http, health, stop))
            with lock_holder(server.db, seconds) as holder:
                start = time.monotonic()
                spread = seconds * 0.9 / max(1, n)
                outcomes = list(await asyncio.gather(*(play_at(http, server, start, i * spread) for i in range(n))))
                assert holder.stdout is not None
                await asyncio.to_thread(holder.stdout.readline)  # "released"
            stop.set()
            await poller
            await asyncio.sleep(1.0)
            outcomes += [await play_at(http, server, time.monotonic(), 0) for _ in range(max(1, n // 3))]
            recovered = await until_ok(server, http, RECOVERY)
            players = [p for p in outcomes if isinstance(p, Player)]
            problems = Counter(p for p in outcomes if isinstance(p, str))
            await asyncio.gather(*(p.drain_notices(1.0) for p in players))
            written_live = recorded_endings(server.db)
            for p in players:
                await p.close()
    finally:
        server.stop()
    spooled = spool_lines(server.db)
    if spooled:
        await replay_spool(server)
    endings = sum(p.endings for p in players)
    final = recorded_endings(server.db)
    seen = notice_counts(players)
    during_health = ", ".join(f"{k} ×{v}" for k, v in sorted(health.items()))
    after_health = f"ok {recovered:.1f} s after the lock" if recovered is not None else f"not ok within {RECOVERY:g} s"
    trouble = f"; players who could not play: {dict(problems)}" if problems else ""
    return (f"lock held {seconds:g} s → endings lost {endings - final}/{endings} "
            f"(not yet written while serving: {endings - written_live}; spooled at stop: {spooled}); "
            f"/health during the lock: {during_health}; after: {after_health}; "
            f"notices: not-saved {seen['not_saved']}/{len(players)}, saved-again {seen['saved_again']}/{len(players)}"
            f"{trouble}")


async def vacuum_run(n: int, checkout: Path, work: Path) -> str:
    """`memory vacuum` while the server plays: refused, or how much it cost."""
    home = work / "vacuum"
    server = Server(home, home / "data" / "player_memory.db", checkout)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            players = [await join(http, server) for _ in range(n)]
            vacuum = asyncio.create_task(asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "digital_actors", "memory", "vacuum"],
                env=server.env(), capture_output=True, text=True, timeout=300))
            await asyncio.gather(*(p.finish() for p in players))
            done = await vacuum
            await until_ok(server, http, RECOVERY)
            for p in players:
                await p.close()
    finally:
        server.stop()
    if spool_lines(server.db):
        await replay_spool(server)
    endings = sum(p.endings for p in players)
    said = (done.stdout + done.stderr).strip().splitlines()
    return (f"vacuum while serving → exit {done.returncode} ({said[0] if said else ''}); "
            f"endings lost {endings - recorded_endings(server.db)}/{endings}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, nargs="*", default=[4, 8, 12, 30], help="lock durations")
    parser.add_argument("-n", "--players", type=int, default=24, help="web players per run")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the source tree the server runs from")
    parser.add_argument("--vacuum", action="store_true", help="also run `memory vacuum` while serving")
    parser.add_argument("--workdir", type=Path, default=None, help="where the runs' homes go (default: /tmp)")
    args = parser.parse_args()
    print(f"# {args.checkout}: `digital-actors serve` subprocess, real SQLite, {args.players} web players",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="chaos-lock-", dir=args.workdir) as tmp:
        for seconds in args.seconds:
            print(await one_run(seconds, args.players, args.checkout.resolve(), Path(tmp)), flush=True)
        if args.vacuum:
            print(await vacuum_run(args.players, args.checkout.resolve(), Path(tmp)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
