"""How to run Piper on this machine's cores: threads or processes, and how many model threads.

Real Piper (the packaged voice), nothing asserted. Three questions, each answered with medians:

1. One sentence at a time (a quiet server): ms per sentence with 1, 2 and onnxruntime's
   default intra-op threads (a thread per core, spinning while idle).
2. A burst of ``--burst`` sentences at once through the ``SynthesisPool``: throughput (ms of
   wall time per sentence), each job's latency, and how late a 10 ms timer on the event loop
   fires meanwhile (the GIL's cost to everything else the server does), for
   * threads (the shipped default): ``workers`` x ``threads`` per job, one shared session;
   * threads with onnxruntime's default session options (oversubscribed, spinning);
   * processes: a ``ProcessPoolExecutor`` whose workers each load the model.
3. Ratios against the shipped default (workers = usable cores, one model thread each).

    python benchmarks/voice_workers.py [--burst 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digital_actors.voice import piper
from digital_actors.voice.base import SentenceRef, VoiceProfile
from digital_actors.voice.pool import SynthesisPool, usable_cpus

SENTENCES = ["The pressure's holding for now.", "Seal the hatch, then get to the pump!",
             "We have ninety seconds before the next surge hits the lower deck.",
             "Move, and don't look back."]
PROFILE = VoiceProfile("bench")
_ENGINE: piper.PiperEngine | None = None  # one per worker process


def engine(threads: int | None) -> piper.PiperEngine:
    """A loaded Piper engine; ``threads=None`` keeps onnxruntime's default session options."""
    loaded = piper.PiperEngine()
    if threads is not None:
        loaded.load(threads=threads)
        return loaded
    import onnxruntime
    from piper import PiperVoice as Model

    loaded.load(threads=1)  # then swap in a session with onnxruntime's defaults
    session = onnxruntime.InferenceSession(str(loaded.model_path), providers=["CPUExecutionProvider"])
    loaded._voice = Model(config=loaded._voice.config, session=session)
    return loaded


def speak(loaded: piper.PiperEngine, text: str) -> bytes:
    """All of ``text`` from one engine, blocking."""
    return b"".join(audio for audio, _last in loaded.render(text, PROFILE))


def render(text: str) -> bytes:
    """One sentence in a worker process (the engine was loaded by ``_init``)."""
    assert _ENGINE is not None
    return speak(_ENGINE, text)


def _init(threads: int) -> None:
    global _ENGINE
    _ENGINE = engine(threads)


def one_at_a_time(threads: int | None, runs: int) -> float:
    loaded = engine(threads)
    speak(loaded, SENTENCES[0])  # warm-up
    times = []
    for i in range(runs):
        start = time.perf_counter()
        speak(loaded, SENTENCES[i % len(SENTENCES)])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def lag_probe(stop: asyncio.Event, lags: list[float]) -> None:
    """How late a 10 ms sleep wakes up while the workers are busy."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - start - 0.01)


async def burst(pool: SynthesisPool, job: Callable[[str], Callable[[], Any]], count: int) -> dict[str, float]:
    stop, lags = asyncio.Event(), []  # type: ignore[var-annotated]
    probe = asyncio.create_task(lag_probe(stop, lags))
    start = time.perf_counter()

    async def one(i: int) -> float:
        ref = SentenceRef(session=f"s{i}", line=f"l{i}", index=0)
        await pool.run(job(SENTENCES[i % len(SENTENCES)]), sentence=ref)
        return time.perf_counter() - start

    done = await asyncio.gather(*(one(i) for i in range(count)))
    wall = time.perf_counter() - start
    stop.set()
    await probe
    lags.sort()
    return {"per_sentence_ms": wall / count * 1000, "job_median_s": statistics.median(done),
            "lag_median_ms": statistics.median(lags) * 1000,
            "lag_p99_ms": lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))] * 1000}


async def threads(workers: int, per_job: int | None, count: int) -> dict[str, float]:
    loaded = engine(per_job)
    pool = SynthesisPool(workers=workers)
    await pool.run(functools.partial(speak, loaded, SENTENCES[0]))  # warm-up
    result = await burst(pool, lambda text: functools.partial(speak, loaded, text), count)
    await pool.aclose()
    return result


async def processes(workers: int, per_job: int, count: int) -> dict[str, float]:
    executor: Executor = ProcessPoolExecutor(workers, initializer=_init, initargs=(per_job,))
    pool = SynthesisPool(workers=workers, executor=executor)
    await asyncio.gather(*(pool.run(functools.partial(render, SENTENCES[0])) for _ in range(workers)))
    result = await burst(pool, lambda text: functools.partial(render, text), count)
    executor.shutdown()
    return result


def row(name: str, result: dict[str, float], base: dict[str, float] | None) -> None:
    ratio = "" if base is None else f"   x{result['per_sentence_ms'] / base['per_sentence_ms']:.2f} of default"
    print(f"  {name:<38} {result['per_sentence_ms']:6.1f} ms/sentence   job median {result['job_median_s']:5.2f} s"
          f"   loop lag median {result['lag_median_ms']:5.1f} ms p99 {result['lag_p99_ms']:6.1f} ms{ratio}")


def median_of(results: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


async def main(args: argparse.Namespace) -> None:
    if not piper.available():
        raise SystemExit("needs the local-voice extra: pip install -e '.[local-voice]'")
    cpus = usable_cpus()
    print(f"voice_workers: piper {piper.PiperEngine().model}, usable cpus {cpus}, burst {args.burst}, "
          f"medians of {args.repeat} runs")
    print("one sentence at a time:")
    for label, per_job in (("1 model thread", 1), ("2 model threads", 2), ("onnxruntime default", None)):
        print(f"  {label:<38} {statistics.median(one_at_a_time(per_job, 12) for _ in range(args.repeat)):6.1f} ms")
    print("cost per sentence (1 model thread, median of 5; what a reply asks of the CPU):")
    loaded, costs = engine(1), []
    speak(loaded, SENTENCES[0])
    for text in SENTENCES:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            audio = speak(loaded, text)
            times.append(time.perf_counter() - start)
        cost, seconds = statistics.median(times), len(audio) / 2 / loaded.sample_rate
        costs.append(cost)
        print(f"  {cost * 1000:6.1f} ms for {seconds:4.2f} s of audio (x{seconds / cost:4.1f} real time)  {text!r}")
    print(f"  the whole {len(SENTENCES)}-sentence reply: {sum(costs) * 1000:.0f} ms of one core")
    print(f"a burst of {args.burst} sentences:")
    configs: list[tuple[str, Callable[[], Any]]] = [
        (f"threads {cpus}x1 (default)", lambda: threads(cpus, 1, args.burst)),
        ("threads 1x1", lambda: threads(1, 1, args.burst)),
        (f"threads 1x{cpus}", lambda: threads(1, cpus, args.burst)),
        (f"threads {cpus}x{cpus} (oversubscribed)", lambda: threads(cpus, cpus, args.burst)),
        (f"threads {cpus}x onnxruntime default", lambda: threads(cpus, None, args.burst)),
        (f"processes {cpus}x1", lambda: processes(cpus, 1, args.burst)),
    ]
    base = None
    for name, run in configs:
        result = median_of([await run() for _ in range(args.repeat)])
        row(name, result, base)
        base = base or result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
