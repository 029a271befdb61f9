"""A fault campaign: N player turns through the real engine against a provider that misbehaves.

A fake Anthropic (or OpenAI-compatible) server answers every request (lines, judgements,
suggestions, director decisions) with one of 23 fault modes drawn at random from a seed, or
cleanly (``tests/fakes/faults.py``). The real SDK adapters, driver, circuit breaker, LLM actor
and session play ``pressure_point``; the campaign counts, per turn:

* lines without stand-in — the player's reply line showed no text at all (or "lost the line");
* false errors — a TurnFailed after the turn's line was shown;
* junk lines — a line shown with raw JSON, *stage business*, a speaker tag, meta talk, or
  broken characters;
* provider text shown — any event carrying the provider's error text or the API key;
* slow turns — the reply's first text came later than the first-token timeout (+0.5 s).

    python benchmarks/chaos/provider_faults.py --turns 245 --seed 7
    python benchmarks/chaos/provider_faults.py --provider openai --turns 100
    python benchmarks/chaos/provider_faults.py --modes hang --first-token 8 --total 20 --turns 6

Timeouts are shortened (``--first-token`` 1 s, ``--total`` 3 s) so hangs cost seconds, not
minutes; the proportions are what matter. The circuit breaker is kept closed
(``--breaker-threshold`` 1000) so that every turn meets the provider: with the default (3) it
opens within a few turns and the understudy answers most of the campaign without a fault.
Targets: every count 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from digital_actors import events as ev  # noqa: E402
from digital_actors.config import Settings  # noqa: E402
from digital_actors.engine import Engine, SessionRequest  # noqa: E402
from digital_actors.logging import configure_logging  # noqa: E402
from digital_actors.voice.tags import is_stage_direction  # noqa: E402
from tests.fakes.faults import MARKER, FaultPlan, FaultServer, FaultyAnthropic, FaultyOpenAI  # noqa: E402

KEY = "chaos-key-7Hq2Zx9Lr4Vb"
SCENE = "pressure_point"
LINES = [
    "What's happening?", "I'm cranking the generator.", "How much power do we need?",
    "Should I seal the vent?", "Who else is on board?", "I'm scared.", "Tell me about Adrian.",
    "What if we blow the ballast now?", "Is the med bay flooding?", "My name is Sam.",
    "I can't breathe in here.", "What do I do next?", "Can you hear me?", "Okay, I'm ready.",
]
NAME_TAG = re.compile(r"^\W*(?:\(|\*)?[A-Z][\w.'’ -]{0,40}(?:\([^)]*\))?\W{0,3}:\s")
PARENS = re.compile(r"\(([^()]{1,60})\)")
BROKEN = re.compile("[\ud800-\udfff\ufffd\x00-\x08\x0b-\x1f\x7f]")


def junk_reasons(text: str) -> list[str]:
    """Why a shown line is junk (empty when it is a clean line)."""
    found = []
    if re.search(r"[{}]|```|\"\w+\"\s*:", text):
        found.append("json")
    if "*" in text or any(is_stage_direction(m.group(1)) for m in PARENS.finditer(text)):
        found.append("stage business")
    if NAME_TAG.search(text) or re.search(r"\b(?:James|Smith|Assistant)\s*(?:\([^)]*\))?:\s", text):
        found.append("speaker tag")
    if re.search(r"(?i)\bas an ai\b|here'?s .{0,30}line|\bnote:", text):
        found.append("meta")
    if BROKEN.search(text):
        found.append("broken characters")
    return found


@dataclass
class Tally:
    turns: int = 0
    faults: int = 0
    no_stand_in: int = 0
    false_errors: int = 0
    junk: int = 0
    leaked: int = 0
    slow: int = 0
    slowest: float = 0.0
    cut: int = 0  # replies cut off by the scene itself (an ending), not by a fault
    junk_examples: list[str] = field(default_factory=list)
    lost_examples: list[str] = field(default_factory=list)
    leak_examples: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


def leaks(event: ev.Event) -> bool:
    text = json.dumps(ev.to_dict(event), ensure_ascii=False)
    return MARKER in text or KEY in text


async def turn(session: Any, sub: Any, text: str, tally: Tally, *, first_token: float,
               guard: float) -> None:
    """One player turn: say, then read events until the session is quiet."""
    sub.drain()
    started = time.perf_counter()
    await session.say(text)
    first: float | None = None
    reply_id: str | None = None
    reply_text: str | None = None
    interrupted = False
    failed: list[ev.TurnFailed] = []
    deadline = started + guard
    while True:
        for event in sub.drain():
            if leaks(event):
                tally.leaked += 1
                tally.leak_examples.append(repr(event)[:160])
            if isinstance(event, ev.LineStarted) and event.cue == "reply" and reply_id is None:
                reply_id = event.line_id
            elif isinstance(event, ev.LineDelta) and event.line_id == reply_id and first is None:
                first = time.perf_counter() - started
            elif isinstance(event, ev.LineFinished):
                if event.line_id == reply_id:
                    reply_text, interrupted = event.text, event.interrupted
                reasons = junk_reasons(event.text)
                if reasons:
                    tally.junk += 1
                    tally.junk_examples.append(f"{reasons}: {event.text[:100]!r}")
            elif isinstance(event, ev.TurnFailed):
                failed.append(event)
        if not session.busy or time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.01)  # polling the session from outside, as a front end would wait
    for event in sub.drain():  # the last few, emitted as the session went quiet
        if isinstance(event, ev.TurnFailed):
            failed.append(event)
        elif isinstance(event, ev.LineFinished) and event.line_id == reply_id:
            reply_text, interrupted = event.text, event.interrupted
    tally.turns += 1
    shown = bool(reply_text and reply_text.strip())
    if reply_id is not None and not shown and interrupted and session.ended:
        tally.cut += 1  # an ending cut the reply off before its first word: the ending line plays
    elif reply_id is not None and not shown:
        tally.lost_examples.append(f"{text!r}: finished={reply_text is not None} "
                                   f"interrupted={interrupted} ended={session.ended}")
        tally.no_stand_in += 1
        tally.failures["no text"] += 1
    elif shown:
        tally.false_errors += len(failed)
        tally.failures.update(f.message for f in failed)
    else:
        tally.failures.update(f.message for f in failed)
    if reply_id is not None and failed and not shown:
        tally.failures["lost the line"] += 1
    elapsed = first if first is not None else time.perf_counter() - started
    tally.slowest = max(tally.slowest, elapsed)
    if elapsed > first_token + 0.5:
        tally.slow += 1


def settings_for(server: FaultServer, provider: str, first_token: float, total: float,
                 threshold: int) -> Settings:
    values: dict[str, Any] = {
        "llm_first_token_timeout_seconds": first_token, "llm_timeout_seconds": total,
        "llm_breaker_failure_threshold": threshold,
        "suggestions": True, "director_llm": True, "director_llm_cooldown_seconds": 5.0,
        "voice": False, "llm_provider": provider,
    }
    if provider == "anthropic":
        values |= {"anthropic_api_key": KEY, "anthropic_base_url": server.url,
                   "anthropic_model": "claude-chaos"}
    else:
        values |= {"openai_api_key": KEY, "openai_base_url": f"{server.url}/v1",
                   "openai_model": "gpt-chaos"}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def campaign(turns: int, seed: int, provider: str, first_token: float, total: float,
                   clean_share: float, threshold: int, modes: tuple[str, ...] = ()) -> Tally:
    plan = FaultPlan(seed=seed, clean_share=clean_share, **({"modes": modes} if modes else {}))
    server_type = FaultyAnthropic if provider == "anthropic" else FaultyOpenAI
    tally = Tally()
    async with server_type(plan, speaker="James") as server, \
            Engine.open(settings_for(server, provider, first_token, total, threshold)) as engine:
        casting = await engine.casting()
        if casting.model is None:
            raise SystemExit(f"the model was not chosen: {casting.reason}")
        session = None
        for index in range(turns):
            if session is None or session.ended:
                if session is not None:
                    await session.close()
                session = await engine.new_session(SessionRequest(SCENE, seed=seed + index, pace=0))
                sub = session.events()
                await session.start()
                async with asyncio.timeout(total * 4):
                    await session.settle()
            await turn(session, sub, LINES[index % len(LINES)], tally, first_token=first_token,
                       guard=total * 4)
        if session is not None:
            await session.close()
    tally.faults = sum(1 for purpose, mode in plan.drawn if mode != "clean")
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=245)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--provider", choices=("anthropic", "openai"), default="anthropic")
    parser.add_argument("--first-token", type=float, default=1.0, help="LLM_FIRST_TOKEN_TIMEOUT_SECONDS")
    parser.add_argument("--total", type=float, default=3.0, help="LLM_TIMEOUT_SECONDS")
    parser.add_argument("--clean-share", type=float, default=0.2, help="share of clean answers")
    parser.add_argument("--breaker-threshold", type=int, default=1000,
                        help="LLM_BREAKER_FAILURE_THRESHOLD (3 in production)")
    parser.add_argument("--modes", default="", help="only these fault modes (comma-separated)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    configure_logging(level="CRITICAL")
    started = time.perf_counter()
    tally = asyncio.run(campaign(args.turns, args.seed, args.provider, args.first_token,
                                 args.total, args.clean_share, args.breaker_threshold,
                                 tuple(m for m in args.modes.split(",") if m)))
    print(f"{tally.turns} turns, {tally.faults} provider faults → {tally.no_stand_in} lines without "
          f"stand-in, {tally.false_errors} false errors, {tally.junk} junk lines")
    print(f"provider text shown to players: {tally.leaked}; turns slower than the first-token "
          f"timeout ({args.first_token:g} s): {tally.slow}; slowest first text {tally.slowest:.2f} s; "
          f"{time.perf_counter() - started:.0f} s in all")
    if tally.cut:
        print(f"replies cut off by an ending before their first word (not faults): {tally.cut}")
    if args.verbose or tally.junk or tally.leaked or tally.no_stand_in:
        for example in (tally.junk_examples + tally.leak_examples + tally.lost_examples)[:12]:
            print("  ", example)
    if tally.failures:
        print("  failures:", dict(tally.failures))


if __name__ == "__main__":
    main()
