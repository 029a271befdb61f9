"""Chaos: the disk holding the memory database fills up while web players finish their scenes.

A real ``digital-actors serve`` subprocess whose database lives on a small tmpfs mounted for the
run (``mount -t tmpfs -o size=3m``: needs root, as in CI here; without it the script says so and
stops). A ballast file fills the tmpfs to the last byte. Not part of the test suite.

    sudo python benchmarks/chaos/disk_full.py                 # 18 players, a 3 MiB tmpfs
    python benchmarks/chaos/disk_full.py --checkout /path/to/other/checkout

Two runs, one line each:

1. freed while serving: players play while the disk is full, then the ballast is deleted and we
   wait (at most 60 s) for /health to say "ok";
2. stopped while full: players play while the disk is full, the server is stopped (SIGINT) with
   the disk still full, the ballast is deleted, and the server is started again.

    disk full (…) → endings lost L/N, notices shown: not-saved a/N, saved-again b/N; /health …
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory_common import (  # a script beside its helper module
    ROOT,
    Player,
    Server,
    join,
    notice_counts,
    recorded_endings,
    spool_lines,
)

RECOVERY = 60.0


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        raise SystemExit(f"disk full: could not mount a tmpfs ({mounted.stderr.strip()}); run as root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> int:
    """Write a ballast file until the filesystem refuses one more byte; returns its size."""
    ballast = folder / "ballast"
    written = 0
    with ballast.open("wb", buffering=0) as fh:
        for size in (65536, 4096, 512, 1):
            while True:
                try:
                    fh.write(b"\0" * size)
                except OSError:
                    break
                written += size
    return written


def free(folder: Path) -> None:
    (folder / "ballast").unlink(missing_ok=True)


async def play(http: aiohttp.ClientSession, server: Server) -> Player | str:
    try:
        player = await join(http, server)
        await player.finish()
    except (aiohttp.ClientError, RuntimeError, TimeoutError, KeyError) as e:
        return f"{type(e).__name__}: {e}"
    return player


async def health_while(server: Server, http: aiohttp.ClientSession, seen: Counter[str], times: int) -> None:
    for _ in range(times):
        seen[await server.health(http)] += 1
        await asyncio.sleep(0.5)


async def until_ok(server: Server, http: aiohttp.ClientSession) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < RECOVERY:
        if await server.health(http) == "ok":
            return time.monotonic() - start
        await asyncio.sleep(0.5)
    return None


async def full_disk_run(n: int, checkout: Path, work: Path, size: str, *, stop_while_full: bool) -> str:
    label = "server stopped while full, started again after" if stop_while_full else "freed while serving"
    with tmpfs(work / ("mnt-stop" if stop_while_full else "mnt-live"), size) as disk:
        server = Server(work / ("home-stop" if stop_while_full else "home-live"), disk / "player_memory.db",
                        checkout)
        await server.start()
        outcomes: list[Player | str] = []
        health: Counter[str] = Counter()
        recovered: float | None = None
        try:
            async with aiohttp.ClientSession() as http:
                early = [await join(http, server) for _ in range(n // 2)]  # mid-scene when the disk fills
                ballast = fill(disk)
                for p in early:
                    with contextlib.suppress(aiohttp.ClientError, RuntimeError, TimeoutError):
                        await p.finish()
                outcomes += early
                outcomes += [await play(http, server) for _ in range(n - n // 2)]  # arriving on a full disk
                await health_while(server, http, health, 4)
                players = [p for p in outcomes if isinstance(p, Player)]
                if not stop_while_full:
                    free(disk)
                    recovered = await until_ok(server, http)
                await asyncio.gather(*(p.drain_notices(1.0) for p in players))
                for p in players:
                    await p.close()
        finally:
            server.stop()
        spooled = spool_lines(server.db)
        if stop_while_full:
            free(disk)
            await server.start()  # the next start replays the spool
            async with aiohttp.ClientSession() as http:
                recovered = await until_ok(server, http)
            server.stop()
        endings = sum(p.endings for p in players)
        lost = endings - recorded_endings(server.db)
    seen = notice_counts(players)
    problems = Counter(p for p in outcomes if isinstance(p, str))
    trouble = f"; players who could not play: {dict(problems)}" if problems else ""
    after = f"ok {recovered:.1f} s after space came back" if recovered is not None else f"not ok within {RECOVERY:g} s"
    return (f"disk full ({label}; ballast {ballast // 1024} KiB) → endings lost {lost}/{endings}, "
            f"notices shown: not-saved {seen['not_saved']}/{len(players)}, "
            f"saved-again {seen['saved_again']}/{len(players)}; spooled at stop: {spooled}; "
            f"/health while full: {', '.join(f'{k} ×{v}' for k, v in sorted(health.items()))}; after: {after}"
            f"{trouble}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--players", type=int, default=18, help="web players per run")
    parser.add_argument("--size", default="3m", help="the tmpfs size (mount -o size=...)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the source tree the server runs from")
    parser.add_argument("--workdir", type=Path, default=None, help="where the runs' homes go (default: /tmp)")
    args = parser.parse_args()
    print(f"# {args.checkout}: `digital-actors serve` subprocess, database on a {args.size} tmpfs, "
          f"{args.players} web players", flush=True)
    with tempfile.TemporaryDirectory(prefix="chaos-disk-", dir=args.workdir) as tmp:
        for stop_while_full in (False, True):
            print(await full_disk_run(args.players, args.checkout.resolve(), Path(tmp), args.size,
                                      stop_while_full=stop_while_full), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
