"""WebSocket fuzz: ``-n`` garbage frames (seeded) over ``--sockets`` players' sockets, each batch
followed by a valid ``say`` that must still get its reply line.

    python benchmarks/chaos/ws_fuzz.py                      # 20,000 frames over 20 sockets
    python benchmarks/chaos/ws_fuzz.py --source ../main     # the same against another checkout

A crash is the server dying, /health failing, an ``internal`` Error frame, a traceback in the log or
a socket the server closed; a soft-lock is a session that no longer answers a valid ``say``. The
server runs with no message rate limit, so every frame is parsed. Prints one line:
``N garbage frames → crashes C, soft-locks S`` (targets 0, 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import string
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from common import common_args, crash_lines, running

GUARD = 15.0  # seconds a probe may wait for its reply before the session counts as soft-locked
MAX_FRAME = 8000  # below WS_MAX_MESSAGE_BYTES: an oversize frame closes the socket by design (1009)
TYPES = ("start", "say", "press", "settings", "name", "resume", "interrupt", "restart", "pause")
ODD = ["", "\x00", "\ud800", "\u202e", "\U0001f600" * 50, "null", "1e99999", "-0", "NaN", "🎭" * 300,
       "<script>alert(1)</script>", "'; DROP TABLE players; --", "%s%n%x", "\r\n\r\n", "../../etc/passwd"]


def junk_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 3 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, -1, 2**63, -(2**64), 10**300, 1.5, 1e308])
    if pick == 3:
        return rng.choice(ODD)
    if pick == 4:
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 60)))
    if pick == 5:
        return "x" * rng.choice([1001, 2000, 7000])
    if pick == 6:
        return [junk_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["type", "text", "scene", "control", "voice", "name", "__proto__", ""]
    return {rng.choice(keys): junk_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def broken_command(rng: random.Random) -> dict[str, Any]:
    """A known type with fields that make it invalid (never a valid command: those change the scene)."""
    kind = rng.choice(["say", "start", "press", "settings", "name"])
    field = {"say": "text", "start": "scene", "press": "control", "settings": "voice", "name": "name"}[kind]
    bad = rng.choice([None, 0, [], {}, True, "", "x" * 1001]) if kind != "settings" else rng.choice(["yes", 1, []])
    if kind == "name" and bad is True:
        bad = 7
    body: dict[str, Any] = {"type": kind, field: bad}
    if rng.random() < 0.3:
        body["extra"] = junk_value(rng)
    return body


def garbage(rng: random.Random) -> str | bytes:
    pick = rng.randrange(10)
    if pick == 0:
        return rng.randbytes(rng.randrange(1, 500))
    if pick == 1:
        return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 200)))
    if pick == 2:
        return rng.choice(['{"type": "say", "text": "hi"', "{'type': 'say'}", "{", "}", "[" * 3000 + "]" * 3000,
                           '{"type": "say", "text": 1' + "0" * 5000 + "}", '{"type": "\\ud800"}', "\x00", "{}" * 100])
    if pick == 3:
        return json.dumps(junk_value(rng))
    if pick == 4:
        return json.dumps({"type": rng.choice(["SAY", "say ", "Say", "sayy", "", "__proto__", "Welcome", "Error"]),
                           "text": "hello"})
    if pick == 5:
        return json.dumps({"type": junk_value(rng), "text": "hello"})
    if pick == 6:
        return json.dumps([{"type": "say", "text": "hi"}])
    text = json.dumps(broken_command(rng), ensure_ascii=rng.random() < 0.5)
    return text


def _bounded(frame: str | bytes) -> str | bytes:
    data = frame if isinstance(frame, bytes) else frame.encode("utf-8", "surrogatepass")
    return frame if len(data) <= MAX_FRAME else frame[: MAX_FRAME // 4]


class Player:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.internal_errors = 0

    async def next_frame(self) -> dict[str, Any]:
        msg = await self.ws.receive()
        while msg.type is aiohttp.WSMsgType.BINARY:
            msg = await self.ws.receive()
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"closed by the server ({self.ws.close_code})")
        frame: dict[str, Any] = json.loads(msg.data)
        if frame["type"] == "Error" and frame.get("code") == "internal":
            self.internal_errors += 1
        return frame

    async def answers(self) -> bool:
        """Send a valid say; True when its reply line finishes within GUARD seconds."""
        await self.ws.send_json({"type": "say", "text": "what is your name?"})
        line = None
        try:
            async with asyncio.timeout(GUARD):
                while True:
                    frame = await self.next_frame()
                    if frame["type"] == "LineStarted" and frame.get("cue") == "reply":
                        line = frame["line_id"]
                    if frame["type"] == "LineFinished" and frame["line_id"] == line:
                        return True
        except TimeoutError:
            return False


async def fuzz(base: str, frames: int, rng: random.Random, batch: int, address: str) -> tuple[int, int, int]:
    """(soft-locks, sockets closed by the server, internal errors) for one player at ``address``."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0))) as http:
        async with http.post(f"{base}/api/session") as r:
            token = (await r.json())["token"]
        async with http.ws_connect(f"{base}/ws?token={token}", max_msg_size=0) as ws:
            player = Player(ws)
            await ws.send_json({"type": "start", "scene": "chaos"})
            while (await player.next_frame())["type"] != "LineFinished":
                pass
            sent = 0
            try:
                while sent < frames:
                    for _ in range(min(batch, frames - sent)):
                        frame = _bounded(garbage(rng))
                        if isinstance(frame, bytes):
                            await ws.send_bytes(frame)
                        else:
                            await ws.send_str(frame.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
                        sent += 1
                    if not await player.answers():
                        return 1, 0, player.internal_errors
            except (ConnectionError, aiohttp.ClientError):
                return 0, 1, player.internal_errors
            return 0, 0, player.internal_errors


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(parser)
    parser.add_argument("-n", type=int, default=20_000, help="garbage frames in all")
    parser.add_argument("--sockets", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100, help="garbage frames between two probes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    share = args.n // args.sockets
    with tempfile.TemporaryDirectory() as home:
        async with running(args.source, Path(home), ws_rate_burst="1000000", ws_rate_abuse_limit="1000000") as server:
            results = await asyncio.gather(*(fuzz(server.base, share, random.Random(args.seed * 1000 + i), args.batch,
                                                  f"127.0.2.{1 + i}")  # each player its own address
                                             for i in range(args.sockets)), return_exceptions=True)
            async with aiohttp.ClientSession() as http, http.get(f"{server.base}/health") as r:
                health = r.status
            await asyncio.sleep(0.5)
            logged = crash_lines(server.log_lines())
            alive = server.alive
    failed = [r for r in results if isinstance(r, BaseException)]
    done = [r for r in results if not isinstance(r, BaseException)]
    locks = sum(r[0] for r in done)
    closed = sum(r[1] for r in done)
    internal = sum(r[2] for r in done)
    crashes = closed + internal + len(logged) + len(failed) + (0 if alive else 1) + (0 if health == 200 else 1)
    print(f"{share * args.sockets} garbage frames → crashes {crashes}, soft-locks {locks}  "
          f"[{args.sockets} sockets, a probe every {args.batch} frames; closed by the server {closed}, "
          f"internal errors {internal}, crash log lines {len(logged)}, client failures {len(failed)}"
          f"{' (' + repr(failed[0]) + ')' if failed else ''}; /health {health}; server {'alive' if alive else 'DEAD'}]")


if __name__ == "__main__":
    asyncio.run(main())
