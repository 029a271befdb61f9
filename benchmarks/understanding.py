"""How well the engine understands players: precision and recall per scene on the understanding corpora.

Offline, always: the offline matcher (``offline_fires``, what play uses with no model) and,
for comparison, plain whole-word keywords (the old matcher). With a model configured
(``OPENAI_BASE_URL`` for an OpenAI-compatible server, or ``ANTHROPIC_API_KEY``; read through
``Settings`` and ``select_model`` like the game does), also the model judge alone and keywords
first then the judge (what a session does). The judge is asked about every signal ready in
an entry at once, so its coalescing makes that one call per line.

    python benchmarks/understanding.py                  # every built-in corpus, offline
    python benchmarks/understanding.py --verbose        # ...and every line the matcher got wrong
    OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1 python benchmarks/understanding.py
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors.authoring.corpus import Corpus, Entry, Score, evaluate, load_corpus, plain_keywords, ready_signals
from digital_actors.config import Settings
from digital_actors.llm.base import ChatModel
from digital_actors.llm.judge import LLMJudge
from digital_actors.llm.select import select_model
from digital_actors.logging import configure_logging
from digital_actors.understanding import Context, analyse, offline_fires

SCENES = Path(__file__).resolve().parents[1] / "scenes"


def cell(score: Score) -> str:
    return f"{score.precision:4.2f} {score.recall:4.2f}"


async def judge_entry(judge: LLMJudge, corpus: Corpus, entry: Entry, limit: asyncio.Semaphore,
                      scores: tuple[Score, Score], failures: list[str]) -> None:
    """Ask the judge about one line; count the judge alone and keywords-then-judge."""
    ready = ready_signals(corpus.scene, entry)
    asked = [s for s in ready if s.ask]
    async with limit:
        answers = await asyncio.gather(*(judge.judge(s, entry.text, "") for s in asked), return_exceptions=True)
    judged: dict[str, object] = {}
    for signal, answer in zip(asked, answers, strict=True):
        if isinstance(answer, BaseException):
            failures.append(f"{signal.id}: {type(answer).__name__}")
        elif answer:
            judged[signal.id] = "judge"
    u = analyse(entry.text)
    context = Context(name_asked=entry.asked)
    keywords = {s.id: m for s in ready if (m := offline_fires(s, u, context))}
    scores[0].add(entry, judged)
    scores[1].add(entry, {**judged, **keywords})


async def judge_corpus(model: ChatModel, corpus: Corpus, concurrency: int) -> tuple[Score, Score, int, float]:
    judge = LLMJudge(model, corpus.scene)
    scores = (Score(), Score())
    failures: list[str] = []
    limit = asyncio.Semaphore(concurrency)
    start = time.perf_counter()
    await asyncio.gather(*(judge_entry(judge, corpus, e, limit, scores, failures) for e in corpus.entries))
    return scores[0], scores[1], len(failures), time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=Path, default=SCENES, help="a folder of scenes (default: built-in)")
    parser.add_argument("--verbose", action="store_true", help="print every line the offline matcher got wrong")
    parser.add_argument("--offline", action="store_true", help="skip the model judge even when one is configured")
    parser.add_argument("--concurrency", type=int, default=4, help="lines judged at once")
    args = parser.parse_args()
    configure_logging(level="ERROR")
    selection = select_model(Settings())
    model = None if args.offline else selection.model
    print(f"model: {selection.reason if model else 'none (offline only)'}")
    header = f"{'scene':18} {'lines':>5}  {'offline P R':11}  {'plain P R':11}  names"
    print(header + ("  judge P R    kw+judge P R  fails  seconds" if model else ""))
    files = sorted(args.scenes.glob("*/tests/understanding.toml"))
    try:
        for file in files:
            corpus = load_corpus(file)
            offline, plain = evaluate(corpus), evaluate(corpus, plain_keywords)
            row = (f"{corpus.scene.id:18} {offline.lines:5}  {cell(offline):11}  {cell(plain):11}  "
                   f"{offline.names:4.2f}")
            if model is not None:
                judged, both, fails, seconds = await judge_corpus(model, corpus, args.concurrency)
                row += f"  {cell(judged):11}  {cell(both):12}  {fails:5}  {seconds:7.1f}"
            print(row, flush=True)
            if args.verbose:
                for miss in offline.misses:
                    print(f"    {miss.text!r}: expected {miss.expected}, got {miss.got}")
    finally:
        if model is not None:
            await model.aclose()


if __name__ == "__main__":
    asyncio.run(main())
