"""Slowloris: sockets that send their headers a line at a time and never finish, sockets whose
POST body stalls (half send nothing more, half trickle a byte now and then), and clients that hang
up in the middle of a body. Counts the sockets the server still holds open ``--after`` seconds on.

    python benchmarks/chaos/slowloris.py                       # 200 + 200 + 20, checked after 20 s
    python benchmarks/chaos/slowloris.py --source ../main      # the same against another checkout

Prints one line: ``slowloris → still open after 20 s: A/200 slow headers, B/200 stalled bodies;
20 aborted bodies → 500s logged: C, tracebacks: D`` (targets all 0), plus /health's time during the attack.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from common import common_args, count_500s, running

BODY = b'{"player_id": "0b1f7a52-4d7e-4a38-9f1e-3c1d2b5e6f70"}'


@dataclass
class Conn:
    closed_at: float | None = None


async def _watch(reader: asyncio.StreamReader, conn: Conn, t0: float) -> None:
    """Read whatever the server sends until it closes the connection."""
    with contextlib.suppress(ConnectionError, OSError):
        while await reader.read(4096):
            pass
    conn.closed_at = time.perf_counter() - t0


async def hold(port: int, head: bytes, trickle: bytes | None, interval: float, conn: Conn, t0: float,
               stop: asyncio.Event) -> None:
    """Open a connection, send ``head``, then ``trickle`` every ``interval`` s until closed or stopped."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        conn.closed_at = 0.0
        return
    watcher = asyncio.create_task(_watch(reader, conn, t0))
    try:
        writer.write(head)
        await writer.drain()
        while conn.closed_at is None and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if trickle is not None and conn.closed_at is None and not stop.is_set():
                writer.write(trickle)
                await writer.drain()
    except (ConnectionError, OSError):
        if conn.closed_at is None:
            conn.closed_at = time.perf_counter() - t0
    finally:
        writer.close()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
            await watcher


async def abort_mid_body(port: int, reset: bool) -> None:
    """Send headers and half a body, then hang up (a reset or a plain close)."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[: len(BODY) // 2])
    await writer.drain()
    await asyncio.sleep(0.2)
    sock = writer.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(parser)
    parser.add_argument("--slow", type=int, default=200, help="sockets sending headers slowly")
    parser.add_argument("--stalled", type=int, default=200, help="sockets whose body stalls")
    parser.add_argument("--aborted", type=int, default=20, help="clients hanging up mid-body")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between trickled bytes")
    parser.add_argument("--after", type=float, default=20.0, help="when to count the open sockets")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        async with running(args.source, Path(home)) as server:
            t0 = time.perf_counter()
            stop = asyncio.Event()
            slow = [Conn() for _ in range(args.slow)]
            stalled = [Conn() for _ in range(args.stalled)]
            tasks = []
            for i, conn in enumerate(slow):
                head = b"GET /health HTTP/1.1\r\nHost: localhost\r\n"
                tasks.append(asyncio.create_task(hold(server.port, head, b"X-Slow-%d: a\r\n" % i, args.interval,
                                                      conn, t0, stop)))
            for i, conn in enumerate(stalled):
                head = (b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[:10])
                trickle = b" " if i % 2 else None  # whitespace keeps the JSON valid if it ever completes
                tasks.append(asyncio.create_task(hold(server.port, head, trickle, args.interval, conn, t0, stop)))
            await asyncio.gather(*(abort_mid_body(server.port, reset=i % 2 == 0) for i in range(args.aborted)))
            await asyncio.sleep(0.5)  # let the server notice and log them
            aborted_500s, aborted_tracebacks = count_500s(server.log_lines())
            async with aiohttp.ClientSession() as http:
                probe = time.perf_counter()
                async with http.get(f"{server.base}/health") as r:
                    health, health_ms = r.status, (time.perf_counter() - probe) * 1000
            await asyncio.sleep(max(0.0, args.after - (time.perf_counter() - t0)))
            open_slow = sum(1 for c in slow if c.closed_at is None)
            open_stalled = sum(1 for c in stalled if c.closed_at is None)
            stop.set()
            await asyncio.gather(*tasks)
            await asyncio.sleep(0.5)  # let the server log the last disconnects
            all_500s, all_tracebacks = count_500s(server.log_lines())
            alive = server.alive
    closed = sorted(c.closed_at for c in slow + stalled if c.closed_at is not None)
    when = f"closed between {closed[0]:.1f} and {closed[-1]:.1f} s" if closed else "none closed"
    print(f"slowloris → still open after {args.after:g} s: {open_slow}/{args.slow} slow headers, "
          f"{open_stalled}/{args.stalled} stalled bodies; {args.aborted} aborted bodies → 500s logged: {aborted_500s}, "
          f"tracebacks: {aborted_tracebacks}  [{when}; when the client hung up the sockets still held: "
          f"{all_500s - aborted_500s} more 500s, {all_tracebacks - aborted_tracebacks} more tracebacks; "
          f"/health {health} in {health_ms:.0f} ms during the attack; "
          f"server {'alive' if alive else 'DEAD'}]")


if __name__ == "__main__":
    asyncio.run(main())
