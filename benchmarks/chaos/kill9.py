"""kill -9 loop: start `serve`, let ``--players`` browsers play the chaos scene to its ending over
and over (each keeps its player id, as the page does in localStorage), SIGKILL the server at a
random moment mid-play, restart it on the same database, and check that every attempt a player
saw end (a GameOver frame) is in the memory store.

    python benchmarks/chaos/kill9.py                      # 20 kills, 4 players
    python benchmarks/chaos/kill9.py --source ../main     # the same against another checkout

Prints one line: ``K kill -9s → attempts lost: N`` (target 0) with how many attempts ended and how
many scenes were cut off mid-play by the kills.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from common import Server, common_args


@dataclass
class Browser:
    player_id: str | None = None
    finished: int = 0  # GameOver frames seen
    cut: int = 0  # scenes in progress when the server died
    ids: set[str] = field(default_factory=set)


async def play(base: str, browser: Browser) -> None:
    """Scene after scene until the server dies under us."""
    async with aiohttp.ClientSession() as http:
        body = {"player_id": browser.player_id} if browser.player_id else {}
        async with http.post(f"{base}/api/session", json=body) as r:
            issued = await r.json()
        browser.player_id = issued["player_id"]
        browser.ids.add(issued["player_id"])
        async with http.ws_connect(f"{base}/ws?token={issued['token']}") as ws:
            await ws.send_json({"type": "start", "scene": "chaos"})
            in_scene, opening = True, None
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    continue
                frame = msg.json()
                if frame["type"] == "LineStarted" and frame.get("cue") == "opening":
                    opening = frame["line_id"]
                elif frame["type"] == "LineFinished" and frame["line_id"] == opening:
                    await ws.send_json({"type": "say", "text": "goodbye"})
                elif frame["type"] == "GameOver":
                    browser.finished += 1
                    in_scene = False
                    await ws.send_json({"type": "restart"})
                elif frame["type"] == "SceneStarted":
                    in_scene = True
            if in_scene:
                browser.cut += 1


def stored_attempts(db: Path) -> dict[str, int]:
    """Finished (success) attempts per player id in the memory store."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT player_id, count(*) FROM scene_attempts WHERE outcome = 'success' "
                            "GROUP BY player_id").fetchall()
    return {str(player): int(count) for player, count in rows}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(parser)
    parser.add_argument("--cycles", type=int, default=20, help="kill -9s")
    parser.add_argument("--players", type=int, default=4)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    browsers = [Browser() for _ in range(args.players)]
    lost_checks: list[int] = []
    with tempfile.TemporaryDirectory() as home:
        server = Server(args.source, Path(home), {})
        try:
            for _ in range(args.cycles):
                server.port = 0
                await server.start()
                players = [asyncio.create_task(play(server.base, b)) for b in browsers]
                await asyncio.sleep(rng.uniform(0.5, 2.5))
                await server.kill9()
                await asyncio.gather(*players, return_exceptions=True)
                server.port = 0
                await server.start()  # restart on the same database, then look for every ending seen
                stored = stored_attempts(server.db)
                lost_checks.append(sum(max(0, b.finished - sum(stored.get(i, 0) for i in b.ids)) for b in browsers))
                await server.stop()
        finally:
            await server.stop()
    finished = sum(b.finished for b in browsers)
    cut = sum(b.cut for b in browsers)
    ids = sum(len(b.ids) for b in browsers)
    print(f"{args.cycles} kill -9s → attempts lost: {lost_checks[-1] if lost_checks else 'n/a'}  "
          f"[{finished} attempts ended and seen by {args.players} players, {cut} scenes cut off mid-play; "
          f"lost after each restart: max {max(lost_checks, default=0)}; player ids held: {ids}"
          f" ({'each kept its id' if ids == args.players else 'some were given new ids'})]")


if __name__ == "__main__":
    asyncio.run(main())
