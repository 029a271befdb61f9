"""Session flood: one client (or ``--bots`` clients) POSTs /api/session ``--flood`` times as fast
as it can, then ``--players`` new players, each from its own address, try to get in and start a scene.

    python benchmarks/chaos/session_flood.py                    # a trusted proxy's X-Forwarded-For
    python benchmarks/chaos/session_flood.py --via bind         # clients on their own 127.x addresses, no proxy
    python benchmarks/chaos/session_flood.py --bots 100         # the flood from 100 addresses
    python benchmarks/chaos/session_flood.py --source ../main   # the same against another checkout

``--via proxy`` plays nginx: the server trusts 127.0.0.1 (TRUSTED_PROXIES) and the "proxy" appends
the client's address to whatever X-Forwarded-For the client sent; the bot sends a random spoofed one
each time. ``--via bind`` connects from 127.0.1.x (the bots) and 127.0.0.3+ (players), and the bots
still send a spoofed X-Forwarded-For that an untrusted peer must not get honoured. With ``--bots``
each bot gets its own burst of tokens: 100 of them together reach WEB_MAX_SESSIONS (1000).

Prints one line: ``session flood → new players refused: N`` (target 0) with what the flood got,
the player rows it wrote and what /health said meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from common import common_args, running


def bot_address(index: int, via: str) -> str:
    return f"127.0.1.{1 + index}" if via == "bind" else f"198.51.100.{1 + index}"
GUARD = 20.0  # seconds any one step may take before it counts as refused


def forwarded(client: str, rng: random.Random) -> dict[str, str]:
    spoof = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    return {"X-Forwarded-For": f"{spoof}, {client}"}


async def flood(base: str, n: int, bots: int, via: str, rng: random.Random) -> collections.Counter[int]:
    """``n`` POSTs, spread over ``bots`` client addresses (each bot its own connection pool)."""
    got: collections.Counter[int] = collections.Counter()

    async def bot(index: int, count: int) -> None:
        address = bot_address(index, via)
        local = (address, 0) if via == "bind" else None
        connector = aiohttp.TCPConnector(limit=max(1, 50 // bots), local_addr=local)
        async with aiohttp.ClientSession(connector=connector) as http:
            async def one() -> None:
                try:
                    async with http.post(f"{base}/api/session", headers=forwarded(address, rng)) as r:
                        await r.read()
                        got[r.status] += 1
                except aiohttp.ClientError:
                    got[0] += 1

            await asyncio.gather(*(one() for _ in range(count)))

    await asyncio.gather(*(bot(i, n // bots + (1 if i < n % bots else 0)) for i in range(bots)))
    return got


async def new_player(base: str, index: int, via: str, rng: random.Random) -> str | None:
    """None when the player got in and their scene started; otherwise what stopped them."""
    address = f"127.0.0.{3 + index}" if via == "bind" else f"203.0.113.{1 + index}"
    headers = {} if via == "bind" else forwarded(address, rng)
    connector = aiohttp.TCPConnector(local_addr=(address, 0) if via == "bind" else None)
    async with aiohttp.ClientSession(connector=connector) as http:
        try:
            async with asyncio.timeout(GUARD):
                async with http.post(f"{base}/api/session", headers=headers, json={}) as r:
                    if r.status != 200:
                        return f"POST {r.status}"
                    token = (await r.json())["token"]
                async with http.ws_connect(f"{base}/ws?token={token}", headers=headers) as ws:
                    await ws.send_json({"type": "start", "scene": "chaos"})
                    async for msg in ws:
                        if msg.type is not aiohttp.WSMsgType.TEXT:
                            continue
                        kind = msg.json()["type"]
                        if kind == "SceneStarted":
                            return None
                        if kind == "Error":
                            return "Error frame"
                    return f"socket closed {ws.close_code}"
        except (TimeoutError, aiohttp.ClientError) as e:
            return type(e).__name__


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(parser)
    parser.add_argument("--flood", type=int, default=1000, help="anonymous POSTs from one client")
    parser.add_argument("--players", type=int, default=50, help="new players from other addresses afterwards")
    parser.add_argument("--bots", type=int, default=1, help="addresses the flood comes from (at most 250)")
    parser.add_argument("--via", choices=("proxy", "bind"), default="proxy")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    env = {"TRUSTED_PROXIES": "127.0.0.1/32"} if args.via == "proxy" else {}
    with tempfile.TemporaryDirectory() as home:
        async with running(args.source, Path(home), **env) as server:
            t0 = time.perf_counter()
            got = await flood(server.base, args.flood, args.bots, args.via, rng)
            took = time.perf_counter() - t0
            rows = server.player_rows()
            async with aiohttp.ClientSession() as http, http.get(f"{server.base}/health") as r:
                health = r.status
            stopped = await asyncio.gather(*(new_player(server.base, i, args.via, rng)
                                             for i in range(args.players)))
            alive = server.alive
    refused = [s for s in stopped if s is not None]
    statuses = ", ".join(f"{status or 'error'}×{count}" for status, count in sorted(got.items()))
    why = ", ".join(f"{w}×{refused.count(w)}" for w in sorted(set(refused)))
    print(f"session flood → new players refused: {len(refused)}/{args.players}"
          f"{f' ({why})' if why else ''}  [via {args.via}; flood of {args.flood} POSTs from {args.bots} "
          f"address{'es' if args.bots > 1 else ''} in {took:.1f} s: "
          f"{statuses}; player rows written by the flood: {rows}; /health during the flood: {health}; "
          f"server {'alive' if alive else 'DEAD'}]")
    sys.exit(0)


if __name__ == "__main__":
    asyncio.run(main())
