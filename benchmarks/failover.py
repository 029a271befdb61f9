"""Resume after a kill: N live sessions on server A, A killed with SIGKILL, every player reconnects to
server B (same Redis, same memory file). Prints the share that resumed (the same phase, values and
dialogue, and a turn that works after it) and the time to resume, measured from the kill.

    python benchmarks/failover.py              # N = 100
    python benchmarks/failover.py -n 300 --repeat 2
    python benchmarks/failover.py --postgres   # A and B share a PostgreSQL server instead of a SQLite file

Each player plays one turn on A (the greeting: trust 10 -> 20, phase 1 -> 2), then we wait until A has
written every session's snapshot (it does a moment after each turn; that wait is printed too), kill
A, and reconnect every player to B at once — as the page does when its socket drops (without its
0.5 s first backoff). A resumed player gets a Snapshot frame with phase "Talking", trust 20 and the
greeting's reply in the transcript, and B answers its next line. Runs a redis-server of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.chaos.common import Server  # noqa: E402
from benchmarks.ws_load import percentile  # noqa: E402
from tests.redis_server import running  # noqa: E402
from tests.web.test_failover import SCENE  # noqa: E402
from web.store import token_key  # noqa: E402

GREETED = "Hello, caller. Connecting you."
NAME = "Ann, from the exchange."
GUARD = 120.0


@dataclass
class Player:
    token: str = ""
    resumed_after: float | None = None
    answered_after: float | None = None
    problems: list[str] = field(default_factory=list)


async def until(ws: aiohttp.ClientWebSocketResponse, kind: str, **match: Any) -> dict[str, Any]:
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT:
            frame = json.loads(msg.data)
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return dict(frame)
    raise ConnectionError(f"closed before {kind}")


async def play_on_a(http: aiohttp.ClientSession, a: Server, player: Player, killed: asyncio.Event) -> None:
    async with http.post(f"{a.base}/api/session") as r:
        player.token = (await r.json())["token"]
    async with http.ws_connect(f"{a.base}/ws?token={player.token}", heartbeat=None) as ws:
        await ws.send_json({"type": "start", "scene": "failover"})
        await until(ws, "LineFinished", text="Operator.")
        await ws.send_json({"type": "say", "text": "hello there"})
        await until(ws, "LineFinished", text=GREETED)
        await killed.wait()
        async for _ in ws:  # until the kill closes it
            pass


async def resume_on_b(http: aiohttp.ClientSession, b: Server, player: Player, killed_at: float) -> None:
    try:
        async with http.ws_connect(f"{b.base}/ws?token={player.token}", heartbeat=None) as ws:
            await ws.send_json({"type": "resume"})
            snap = (await until(ws, "Snapshot"))["view"]
            player.resumed_after = time.perf_counter() - killed_at
            texts = [e["text"] for e in snap["transcript"]]
            gauges = {g["id"]: g["value"] for g in snap["gauges"]}
            if snap["phase"] != "Talking" or gauges.get("trust") != 20.0 or GREETED not in texts:
                player.problems.append(f"not where it was: {snap['phase']!r} {gauges} {texts[-2:]}")
                return
            await ws.send_json({"type": "say", "text": "what is your name?"})
            await until(ws, "LineFinished", text=NAME)
            player.answered_after = time.perf_counter() - killed_at
    except Exception as e:  # a failure counts; the others go on
        player.problems.append(f"{type(e).__name__}: {e}")


async def all_saved(redis_url: str, players: list[Player]) -> None:
    """Until A has written every session's snapshot with the greeting's reply in it."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        waiting = {token_key(p.token) for p in players}
        while waiting:
            for key in list(waiting):
                blob = await client.hget(f"da:s:{key}", "snap")
                if blob is not None and GREETED in [e["text"] for e in json.loads(blob)["view"]["transcript"]]:
                    waiting.discard(key)
            if waiting:
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()


async def once(n: int, work: Path, *, postgres: bool) -> None:
    scenes = work / "scenes" / "failover"
    scenes.mkdir(parents=True)
    (scenes / "scene.toml").write_text(SCENE, encoding="utf-8")
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(running(work))
        database = str(work / "memory.db")
        if postgres:
            from tests.memory.pg_server import running as running_pg

            pg = stack.enter_context(running_pg(fast=False))
            database = pg.url(pg.database(template="template0"))
        shared = {"REDIS_URL": redis.url, "DIGITAL_ACTORS_DB": database,
                  "DIGITAL_ACTORS_SCENES": str(scenes.parent), "LOG_LEVEL": "WARNING", "WEB_MAX_SESSIONS": str(n + 50),
                  "SESSION_RATE_PER_MINUTE": "1000000", "SESSION_RATE_BURST": "1000000",
                  "WEB_MAX_SESSIONS_PER_CLIENT": "1000000"}
        a, b = Server(ROOT, work / "a", shared), Server(ROOT, work / "b", shared)
        for server in (a, b):
            server.home.mkdir()
            await server.start()
        players = [Player() for _ in range(n)]
        killed = asyncio.Event()
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                playing = [asyncio.create_task(play_on_a(http, a, p, killed)) for p in players]
                await asyncio.wait_for(_until_greeted(players, playing), GUARD)
                t0 = time.perf_counter()
                await asyncio.wait_for(all_saved(redis.url, players), GUARD)
                saved_in = time.perf_counter() - t0
                await a.kill9()
                killed_at = time.perf_counter()
                killed.set()
                await asyncio.gather(*playing, return_exceptions=True)
                await asyncio.wait_for(asyncio.gather(*(resume_on_b(http, b, p, killed_at) for p in players)), GUARD)
                async with http.get(f"{b.base}/metrics") as r:
                    moved = [line for line in (await r.text()).splitlines()
                             if line.startswith("digital_actors_sessions_moved_total")]
        finally:
            await a.stop()
            await b.stop()
    report(n, players, saved_in, moved)


async def _until_greeted(players: list[Player], playing: list[asyncio.Task[None]]) -> None:
    """Until every player's greeting has been answered on A (their tasks then wait for the kill)."""
    while True:
        failed = [t for t in playing if t.done()]
        if failed:
            raise RuntimeError(f"{len(failed)} players failed on A: {failed[0].exception()!r}")
        if all(p.token for p in players):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # the last greetings' replies (they stream for a moment)


def report(n: int, players: list[Player], saved_in: float, moved: list[str]) -> None:
    resumed = [p.resumed_after for p in players if p.resumed_after is not None and not p.problems]
    answered = [p.answered_after for p in players if p.answered_after is not None]
    times = sorted(resumed)
    if times:
        p99 = percentile(times, 0.99)
        timing = (f"resume after the kill: median {statistics.median(times) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms,"
                  f" max {times[-1] * 1000:.0f} ms")
    else:
        timing = "no session resumed"
    print(f"N={n:4d}  resumed {len(resumed)}/{n} ({len(resumed) / n * 100:.0f}%), next turn answered "
          f"{len(answered)}/{n}  {timing}  (A had written every snapshot {saved_in * 1000:.0f} ms after the turns)")
    for line in moved:
        print(f"    B: {line}")
    problems = [q for p in players for q in p.problems]
    for problem in sorted(set(problems))[:5]:
        print(f"    problem: {problem} (x{problems.count(problem)})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100, help="live sessions on the server that is killed")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--postgres", action="store_true",
                        help="share a throwaway PostgreSQL server, not a SQLite file")
    args = parser.parse_args()
    memory = "PostgreSQL" if args.postgres else "one SQLite file"
    print(f"failover: {args.n} sessions, kill -9, reconnect to the other server (understudy, shared Redis, {memory})")
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as work:
            await once(args.n, Path(work), postgres=args.postgres)


if __name__ == "__main__":
    asyncio.run(main())
