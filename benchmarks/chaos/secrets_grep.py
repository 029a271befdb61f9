"""Do secrets leak? Run the real server with recognisable fake secrets, make the provider quote
them back in its errors, play, then grep every log line, every frame sent to players and every
envelope sent to Sentry for any of them (its items; an envelope's header carries the DSN by
design).

The server is ``digital-actors serve`` in a subprocess (its own entry point: logging, Sentry,
settings from the environment) with JSON logs at DEBUG. Every secret setting is set to a value
with no known key shape (so only value redaction can catch it): the four API keys, the metrics
token and the Sentry DSN (a local Sentry endpoint, ``tests/fakes/sentry_inbox.py``). The model
provider is the fault fake (``tests/fakes/faults.py``) answering with errors that quote the key
it was sent (401, 400, an HTML 500, an error event mid-stream, 529, 429) and clean lines. The
players' session tokens count as secrets too (they must never be logged: ``/ws?token=...``).
Besides playing, the run sends a request aiohttp cannot parse with a token in its query, a
socket with a bad token, and /metrics with the right and a wrong bearer token.

    python benchmarks/chaos/secrets_grep.py --players 3 --turns 8

Prints the number of secret values found (target 0) and where.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.fakes.faults import FaultPlan, FaultyAnthropic  # noqa: E402
from tests.fakes.sentry_inbox import SentryInbox  # noqa: E402

SECRETS = {
    "ANTHROPIC_API_KEY": "chaos-anthropic-Zq7mQ4vW",
    "OPENAI_API_KEY": "chaos-openai-K2pW9xTe",
    "GOOGLE_API_KEY": "chaos-google-R5tY8uLo",
    "ELEVENLABS_API_KEY": "chaos-eleven-M3nB6cXa",
    "METRICS_TOKEN": "chaos-metrics-J8kL1qPd",
}
SENTRY_KEY = "chaossentryP4q9Rw"
QUOTING = ("auth_quoting_key", "bad_request_quoting_key", "http_500_html", "error_event",
           "overloaded", "rate_limited_long", "junk_meta")
LINES = ["Hello? Who is this?", "What do I do?", "I'm cranking.", "My name is Sam.",
         "Should I seal the vent?", "How long do we have?", "Tell me about Adrian.", "Okay."]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for_port(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise SystemExit(f"the server did not listen on {port} within {seconds:g} s")


async def play(base: str, turns: int, frames: list[str], tokens: list[str]) -> None:
    """One player: a token, a socket, a scene, ``turns`` lines (each waiting for its reply)."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/session", json={}) as response:
            token = (await response.json())["token"]
        tokens.append(token)
        async with http.ws_connect(f"{base}/ws?token={token}") as ws:
            async def until(kind: str, seconds: float = 60.0) -> None:
                async with asyncio.timeout(seconds):
                    async for msg in ws:
                        if msg.type is aiohttp.WSMsgType.TEXT:
                            frames.append(msg.data)
                            if json.loads(msg.data).get("type") == kind:
                                return

            await until("Welcome")
            await ws.send_json({"type": "start", "scene": "pressure_point"})
            await until("LineFinished")
            for index in range(turns):
                await ws.send_json({"type": "say", "text": LINES[index % len(LINES)]})
                await until("LineFinished")
            await ws.send_str("{not json")
            try:
                await until("Suggestions", 3.0)  # let background calls land (and fail)
            except TimeoutError:
                pass


async def unparseable(port: int, token: str) -> None:
    """A request aiohttp cannot parse, with a session token in its query."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /ws?token={token} HTTP/9.9\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    await reader.read()
    writer.close()


async def campaign(players: int, turns: int, seed: int) -> dict[str, Any]:
    port = free_port()
    frames: list[str] = []
    tokens: list[str] = []
    with SentryInbox(public_key=SENTRY_KEY) as inbox, tempfile.TemporaryDirectory() as home:
        plan = FaultPlan(seed=seed, modes=QUOTING, clean_share=0.3)
        async with FaultyAnthropic(plan, speaker="James") as provider:
            env = {**{k: v for k, v in os.environ.items() if not k.startswith(
                       ("ANTHROPIC", "OPENAI", "GOOGLE", "ELEVENLABS", "SENTRY", "LLM_", "LOG_"))},
                   **SECRETS, "SENTRY_DSN": inbox.dsn, "ANTHROPIC_BASE_URL": provider.url,
                   "LLM_PROVIDER": "anthropic", "LOG_FORMAT_JSON": "true", "LOG_LEVEL": "DEBUG",
                   "DIGITAL_ACTORS_HOME": home, "DIGITAL_ACTORS_ENV_FILE": "", "VOICE": "false",
                   "LLM_FIRST_TOKEN_TIMEOUT_SECONDS": "1", "LLM_TIMEOUT_SECONDS": "3",
                   "LLM_BREAKER_FAILURE_THRESHOLD": "1000", "DIRECTOR_LLM": "true",
                   "DIRECTOR_LLM_COOLDOWN_SECONDS": "5", "PYTHONPATH": str(ROOT)}
            log_path = Path(home) / "server.log"  # a file: a full pipe would freeze the server
            log_file = log_path.open("wb")
            server = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "digital_actors", "serve", "--port", str(port), env=env,
                stdout=log_file, stderr=subprocess.STDOUT, cwd=home)
            try:
                await wait_for_port(port)
                base = f"http://127.0.0.1:{port}"
                await asyncio.gather(*(play(base, turns, frames, tokens) for _ in range(players)))
                await unparseable(port, tokens[0])
                async with aiohttp.ClientSession() as http:
                    for bearer in (SECRETS["METRICS_TOKEN"], "wrong-metrics-token"):
                        async with http.get(f"{base}/metrics",
                                            headers={"Authorization": f"Bearer {bearer}"}) as r:
                            await r.read()
                    async with http.ws_connect(f"{base}/ws?token=not-a-real-token-77") as ws:
                        await ws.receive()
            finally:
                server.send_signal(signal.SIGINT)
                await asyncio.wait_for(server.wait(), 30)
                log_file.close()
        await asyncio.sleep(2)  # the server's Sentry transport flushes on exit
        logs = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    secrets = {**SECRETS, "SENTRY_DSN": inbox.dsn, "SENTRY_KEY": SENTRY_KEY}
    # What Sentry receives, less each envelope's header (which names the DSN by design).
    sentry = [payload.decode("utf-8", "replace") for _, payload in inbox.items]
    found: dict[str, list[str]] = {}
    for name, value in secrets.items():
        for where, texts in (("log", logs), ("frame", frames), ("sentry", sentry)):
            hits = sum(text.count(value) for text in texts)
            if hits:
                found.setdefault(name, []).append(f"{hits} in {where}s")
    token_hits = sum(line.count(token) for token in tokens for line in logs)
    if token_hits:
        found["player tokens"] = [f"{token_hits} in logs"]
    not_json = [line for line in logs if not line.startswith("{")]
    return {"found": found, "logs": len(logs), "frames": len(frames), "sentry": len(inbox.events()),
            "not_json": not_json, "faults": len(plan.drawn), "exit": server.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--players", type=int, default=3)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(campaign(args.players, args.turns, args.seed))
    count = sum(int(hit.split()[0]) for hits in result["found"].values() for hit in hits)
    print(f"{count} secret values found in {result['logs']} log lines, {result['frames']} frames "
          f"to players and {result['sentry']} Sentry events ({result['faults']} provider faults)")
    for name, hits in result["found"].items():
        print(f"   {name}: {', '.join(hits)}")
    print(f"log lines that are not JSON: {len(result['not_json'])}")
    for line in result["not_json"][:5]:
        print("   ", line[:160])


if __name__ == "__main__":
    main()
