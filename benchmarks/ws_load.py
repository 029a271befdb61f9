"""WebSocket load: N concurrent players against a real server process on 127.0.0.1.

Each player gets a token, opens /ws, starts a scene, waits for the opening line, then says
something ``--turns`` times; we time each turn to the first text of the reply. The server runs in
a subprocess (``web.serve``) whose CPU and memory we sample from /proc. Bounded: every player
gives up after ``--timeout`` seconds, and the run stops by itself. By default every player arrives
at once and answers at once (the worst case: turns come in waves); ``--spread`` spreads the
arrivals and ``--think`` pauses before each line, as players read and type (seeded: the same on
every run).

    python benchmarks/ws_load.py                      # N = 100, 500, 1000, offline (the understudy)
    python benchmarks/ws_load.py -n 200 --fake-model  # with a local fake Anthropic server
    python benchmarks/ws_load.py -n 1000 --fake-model --workers 2 --postgres  # two workers, Redis, PostgreSQL
    python benchmarks/ws_load.py -n 1000 --fake-model --spread 30 --think 5  # arrivals over 30 s, 5 s pauses

``--fake-model`` points the server at a fake Anthropic API (tests/fakes) with a 0.3 s first
token. The actor each session reports is printed, so it is visible whether the engine used it.
``--workers N`` runs ``serve --workers N`` with a redis-server of its own (``--redis`` gives one to a
single worker too): the CPU is every server process's (and Redis's, shown apart), and what the
sessions cost in Redis is printed (snapshot writes per turn, bytes per snapshot, memory per session).
``--postgres`` puts the memory store on a throwaway PostgreSQL server (durable settings, a fresh
database) instead of a SQLite file; the database server's CPU is not in the server CPU figure.
All players come from 127.0.0.1, so the per-client admission limits are lifted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.voice_workers import lag_probe  # noqa: E402  (how late this process's own loop wakes)

# Different words each turn (a judge caches its answer per utterance, as players rarely repeat).
SAYS = ("Hello, who are you? What is going on here?", "What should I do first?", "Is that a ship out there?",
        "How long have you kept this light?", "What happens if the lamp stops?")
FIRST_TOKEN = 0.3  # seconds the fake model takes to its first token (every call)
TOKENS_PER_S = 50.0
SERVER = "from digital_actors.config import Settings; from web import serve; serve(Settings())"
UNLIMITED = {"SESSION_RATE_PER_MINUTE": "1000000", "SESSION_RATE_BURST": "1000000",
             "WEB_MAX_SESSIONS_PER_CLIENT": "1000000"}


@dataclass
class Results:
    first_text: list[float] = field(default_factory=list)
    by_turn: dict[int, list[float]] = field(default_factory=dict)  # the same times, by turn number
    failures: list[str] = field(default_factory=list)
    actors: set[str] = field(default_factory=set)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ProcStats:
    """CPU seconds and resident memory of one process and its children (workers), from /proc (Linux).
    A child that exits takes its CPU seconds with it: the workers live for the whole run here."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")
        self.peak_rss_mb = 0.0

    def pids(self) -> list[int]:
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with contextlib.suppress(OSError):
                todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / self.tick
        return total

    def rss_mb(self) -> float:
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        return total

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.peak_rss_mb = max(self.peak_rss_mb, self.rss_mb())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)


async def player(http: aiohttp.ClientSession, base: str, scene: str, turns: int, out: Results, *,
                 think: Callable[[], float] = lambda: 0.0) -> None:
    issued = await http.post(f"{base}/api/session")
    if issued.status != 200:
        raise RuntimeError(f"POST /api/session answered {issued.status}: {(await issued.text())[:120]}")
    token = (await issued.json())["token"]
    async with http.ws_connect(f"{base}/ws?token={token}", heartbeat=None) as ws:
        await ws.send_json({"type": "start", "scene": scene})
        await _until(ws, out, lambda f: f["type"] == "LineFinished")
        for turn in range(turns):
            await asyncio.sleep(think())  # reading the line, typing the next (0: at once)
            sent = time.perf_counter()
            await ws.send_json({"type": "say", "text": SAYS[turn % len(SAYS)]})
            reply = ReplyWatch()
            await _until(ws, out, reply.first_text)
            out.first_text.append(time.perf_counter() - sent)
            out.by_turn.setdefault(turn + 1, []).append(out.first_text[-1])
            await _until(ws, out, reply.finished)


class ReplyWatch:
    """Spots the reply line among the frames (background lines may come first)."""

    def __init__(self) -> None:
        self.line_id: str | None = None

    def first_text(self, f: dict[str, object]) -> bool:
        if f["type"] == "LineStarted" and f.get("cue") in ("reply", "control"):
            self.line_id = str(f["line_id"])
        return f["type"] == "LineDelta" and f["line_id"] == self.line_id

    def finished(self, f: dict[str, object]) -> bool:
        return f["type"] == "LineFinished" and f["line_id"] == self.line_id


async def _until(ws: aiohttp.ClientWebSocketResponse, out: Results, done) -> None:  # type: ignore[no-untyped-def]
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT:
            frame = msg.json()
            if frame["type"] == "SceneStarted":
                out.actors.add(frame["performer"].split(" (")[0])
            if frame["type"] == "Error":
                raise RuntimeError(frame["message"])
            if done(frame):
                return
    raise ConnectionError(f"socket closed ({ws.close_code})")


async def wait_healthy(base: str, http: aiohttp.ClientSession, proc: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        if proc.returncode is not None:
            raise RuntimeError("the server exited at start")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"{base}/health") as r:
                if r.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError("the server never became healthy")


async def run(n: int, args: argparse.Namespace, env: dict[str, str], calls: dict[str, int] | None = None) -> None:
    with contextlib.ExitStack() as stack:
        redis = None
        if args.workers > 1 or args.redis:
            from tests.redis_server import running

            redis = stack.enter_context(running(Path(stack.enter_context(tempfile.TemporaryDirectory()))))
            env = {**env, "REDIS_URL": redis.url}
        if args.postgres:
            from tests.memory.pg_server import running as running_pg

            pg = stack.enter_context(running_pg(fast=False))  # durable defaults (fsync on), as deployed
            env = {**env, "DATABASE_URL": pg.url(pg.database(template="template0"))}
        await _run(n, args, env, calls, redis)


async def _run(n: int, args: argparse.Namespace, env: dict[str, str], calls: dict[str, int] | None,
               redis: Any) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    before = dict(calls or {})
    with tempfile.TemporaryDirectory() as home, contextlib.ExitStack() as stack:
        log_file = stack.enter_context(args.server_log.open("ab")) if args.server_log else None
        server_env = {**env, "PORT": str(port), "HOST": "127.0.0.1", "DIGITAL_ACTORS_HOME": home,
                      "WEB_MAX_SESSIONS": str(n + 50), "LOG_LEVEL": "WARNING", "LOG_FORMAT_JSON": "true",
                      "WEB_WORKERS": str(args.workers), **UNLIMITED,
                      # Text only: a local voice would make this a benchmark of CPU speech synthesis.
                      "VOICE": os.environ.get("VOICE", "false")}
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVER, env=server_env, cwd=ROOT,
                                                    stdout=log_file or asyncio.subprocess.DEVNULL,
                                                    stderr=log_file or asyncio.subprocess.DEVNULL)
        stats = ProcStats(proc.pid)
        redis_stats = ProcStats(redis.process.pid) if redis is not None else None
        connector = aiohttp.TCPConnector(limit=0)
        out = Results()
        shared: dict[str, float] = {}
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as http:
                await wait_healthy(base, http, proc)
                if args.workers > 1:
                    await _all_workers_up(stats, args.workers)
                stop = asyncio.Event()
                watcher = asyncio.create_task(stats.watch(stop))
                lags: list[float] = []
                lagger = asyncio.create_task(lag_probe(stop, lags))
                cpu0, t0, own0 = stats.cpu_seconds(), time.perf_counter(), time.process_time()
                redis0 = redis_stats.cpu_seconds() if redis_stats is not None else 0.0
                memory0 = _redis_memory(redis) if redis is not None else 0

                rng = random.Random(1)  # the same arrivals and pauses on every run

                def think() -> float:
                    return rng.uniform(0.5, 1.5) * args.think

                async def one(arrival: float) -> None:
                    await asyncio.sleep(arrival)
                    try:
                        await asyncio.wait_for(player(http, base, args.scene, args.turns, out, think=think),
                                               args.timeout)
                    except Exception as e:
                        out.failures.append(type(e).__name__ + (f": {e}" if str(e) else ""))

                await asyncio.gather(*(one(rng.uniform(0, args.spread)) for _ in range(n)))
                wall, cpu = time.perf_counter() - t0, stats.cpu_seconds() - cpu0
                own = time.process_time() - own0
                stop.set()
                await watcher
                await lagger
                if redis is not None:
                    assert redis_stats is not None
                    shared = await _shared_costs(http, base, redis, redis_stats.cpu_seconds() - redis0, memory0)
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    report(n, out, wall, cpu, stats.peak_rss_mb, workers=args.workers)
    lag = sorted(lags) or [0.0]
    print(f"    this process (clients and the fake model): {own / wall * 100:5.1f}% of a core; its event loop late"
          f" by {statistics.median(lag) * 1000:.0f} ms median, {percentile(lag, 0.99) * 1000:.0f} ms p99"
          " (a delay the first-text times include)")
    if shared:
        turns = max(1, len(out.first_text) + n)  # each player's start counts as a turn of writes too
        print(f"    redis: {shared['cpu'] / wall * 100:4.1f}% of a core; {shared['writes'] / turns:.2f} snapshot "
              f"writes per turn (start included), {shared['bytes']:.0f} bytes per snapshot on average; "
              f"a session's record {shared['record']:.0f} bytes in Redis (MEMORY USAGE), used_memory grew "
              f"{shared['memory'] / n:.0f} bytes a session ({shared['keys']:.0f} keys)")
    if calls is not None and out.first_text:
        turns = len(out.first_text)
        per = {k: (calls.get(k, 0) - before.get(k, 0)) for k in sorted(calls)}
        print("    model calls per spoken turn: " + ", ".join(f"{k} {v / turns:.2f}" for k, v in per.items() if v)
              + "  (the opening, verify and background calls included)")


async def _all_workers_up(stats: ProcStats, workers: int) -> None:
    """Until the supervisor has started every worker (the health check may reach the first alone)."""
    for _ in range(600):
        if len(stats.pids()) >= workers + 1:
            await asyncio.sleep(2.0)  # each worker's own start-up (scenes, the casting): measured apart
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the workers never started")


def _redis_memory(redis: Any) -> int:
    info = redis.command("INFO", "memory").decode()
    return int(next(line.split(":")[1] for line in info.splitlines() if line.startswith("used_memory:")))


async def _shared_costs(http: aiohttp.ClientSession, base: str, redis: Any, cpu: float,
                        memory0: int) -> dict[str, float]:
    """What the sessions cost in Redis: writes and bytes per snapshot (the server's metrics), and the
    memory of each session's record (MEMORY USAGE, averaged over every record)."""
    from redis import asyncio as aioredis

    async with http.get(f"{base}/metrics") as r:
        text = await r.text()
    values = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
              if line.startswith("digital_actors_session_snapshot")}
    count = values.get("digital_actors_session_snapshot_bytes_count", 0.0) or 1.0
    client = aioredis.Redis.from_url(redis.url)
    try:
        sizes = [int(await client.memory_usage(key, samples=0) or 0) async for key in client.scan_iter("da:s:*")]
        keys = await client.dbsize()
    finally:
        await client.aclose()
    return {"cpu": cpu, "writes": values.get("digital_actors_session_snapshot_writes_total", 0.0),
            "bytes": values.get("digital_actors_session_snapshot_bytes_sum", 0.0) / count,
            "record": sum(sizes) / max(1, len(sizes)), "memory": float(_redis_memory(redis) - memory0),
            "keys": float(keys)}


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(n: int, out: Results, wall: float, cpu: float, rss: float, *, workers: int = 1) -> None:
    times = sorted(out.first_text)
    if times:
        median, p99 = statistics.median(times) * 1000, percentile(times, 0.99) * 1000
        timing = f"first text median {median:7.1f} ms  p99 {p99:7.1f} ms  ({len(times)} turns)"
    else:
        timing = "no turn completed"
    print(f"N={n:5d} workers={workers}  {timing}  server CPU {cpu / wall * 100:5.1f}% of a core over {wall:5.1f} s"
          f" ({cpu / n * 1000:.0f} ms a player)  peak RSS {rss:6.1f} MiB  failures {len(out.failures)}"
          f"  actor {','.join(sorted(out.actors))}")
    if len(out.by_turn) > 1:
        print("    by turn: " + "; ".join(f"{k}: median {statistics.median(v) * 1000:.0f} ms p99 "
                                        f"{percentile(sorted(v), 0.99) * 1000:.0f} ms"
                                        for k, v in sorted(out.by_turn.items())))
    for failure in sorted(set(out.failures))[:5]:
        print(f"    failure: {failure} (x{out.failures.count(failure)})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, action="append", help="concurrent players (repeatable)")
    parser.add_argument("--scene", default="welcome")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds each player may take")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="players arrive over this many seconds (0: all at once, the worst case)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a player pauses before each line, on average (0: at once)")
    parser.add_argument("--fake-model", action="store_true", help="point the server at a fake Anthropic API")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers N (with a redis-server of its own)")
    parser.add_argument("--redis", action="store_true", help="a redis-server (REDIS_URL) even for one worker")
    parser.add_argument("--server-log", type=Path, help="append the server's log (JSON lines, WARNING and up) here")
    parser.add_argument("--postgres", action="store_true",
                        help="the memory store on a throwaway PostgreSQL server (DATABASE_URL) instead of SQLite")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["PYTHONPATH"] = str(ROOT)
    fake = None
    if args.fake_model:
        import dataclasses

        from tests.llm_actor.helpers import RoutedAnthropic, Router, purpose_of

        class Paced(Router):
            """Every call takes 0.3 s to its first token, then 50 tokens/s: lines stream; judge,
            suggestion and director calls get valid structured answers, whole, when they are done."""

            def __call__(self, body: dict[str, Any]) -> Any:
                reply = super().__call__(body)
                if purpose_of(body) == "line":  # ~1.5 tokens a 6-character chunk: 50 tokens/s
                    return dataclasses.replace(reply, first_delay=FIRST_TOKEN, chunk_delay=1.5 / TOKENS_PER_S)
                tokens = len(json.dumps(reply.tool_input or reply.chunks)) / 4
                return dataclasses.replace(reply, whole_delay=FIRST_TOKEN + tokens / TOKENS_PER_S)

        fake = await RoutedAnthropic(Paced(default_line="I am Lt. Smith. Listen to me.")).start()
        env.update(ANTHROPIC_API_KEY="sk-fake-benchmark", ANTHROPIC_BASE_URL=fake.url, LLM_PROVIDER="anthropic")
    print(f"ws_load: scene={args.scene} turns={args.turns} spread={args.spread:g}s think={args.think:g}s"
          f" model={'fake anthropic' if fake else 'offline'}"
          f" cpus={os.cpu_count()} workers={args.workers} redis={'yes' if args.workers > 1 or args.redis else 'no'}"
          f" memory={'postgresql' if args.postgres else 'sqlite'}")
    try:
        for n in args.n or [100, 500, 1000]:
            await run(n, args, env, fake.router.counts if fake is not None else None)
    finally:
        if fake is not None:
            await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
