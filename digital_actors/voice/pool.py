"""The local voices' worker pool: sentences synthesised on the CPU, first sentences first.

Piper and Kokoro synthesise on the CPU, and one process serves many players, so their
sentences wait here and run in ``workers`` threads (onnxruntime releases the GIL while it
computes; ``benchmarks/voice_workers.py`` compares threads with processes). The rules:

* never more than ``workers`` jobs run at once, and the event loop never blocks on one;
* the first piece of any line (``SentenceRef.first``) goes before every later sentence: a
  player waiting in silence for the reply's first word comes before the next sentence of a
  line that is already playing;
* at equal priority sessions take turns (round-robin), so one long line cannot starve others;
* a job whose caller is cancelled (the line was cut off) is dropped before it runs.

The order is decided when a worker frees up, not when a job arrives, so a late first
sentence still overtakes every queued later one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import os
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from digital_actors.voice.base import SentenceRef
from digital_actors.voice.metrics import TTS_POOL_DROPPED, TTS_POOL_WAIT

T = TypeVar("T")
FIRST, LATER = 0, 1  # priority ranks: lower runs first
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
UNNAMED = SentenceRef()  # a caller that names no line: one shared turn


def usable_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """CPU cores this process may use: its CPU affinity, capped by a container's CPU quota."""
    if sys.version_info >= (3, 13):
        count = os.process_cpu_count() or 1
    elif hasattr(os, "sched_getaffinity"):  # Linux; macOS and Windows have no affinity call
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count() or 1
    with contextlib.suppress(OSError, ValueError):
        quota, period = cpu_max.read_text().split()[:2]  # "max 100000" or "150000 100000" (cgroup v2)
        if quota != "max":
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    return max(1, count)


@dataclass(eq=False)
class _Job(Generic[T]):
    work: Callable[[], T]
    ref: SentenceRef
    result: asyncio.Future[T]
    queued_at: float = field(default_factory=time.perf_counter)
    started: bool = False

    @property
    def rank(self) -> int:
        return FIRST if self.ref.first else LATER


class SynthesisPool:
    """Runs blocking synthesis jobs in ``workers`` threads, by priority and in turns.

    ``workers`` defaults to the usable CPU cores (``usable_cpus``); ``threads_per_job`` is
    how many threads one job's model may use so that all workers together fill the cores
    and no more. ``executor`` is for tests (a stepping executor) and benchmarks.
    """

    def __init__(self, *, workers: int | None = None, executor: Executor | None = None,
                 cpus: int | None = None) -> None:
        self.cpus = cpus or usable_cpus()
        self.workers = workers or self.cpus
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self.threads_per_job = max(1, self.cpus // self.workers)
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(max_workers=self.workers,
                                                        thread_name_prefix="voice-worker")
        self._waiting: tuple[OrderedDict[str, deque[_Job[Any]]], ...] = (OrderedDict(), OrderedDict())
        self.running = 0
        self.peak = 0  # most jobs ever running at once
        self.started = 0  # jobs handed to a worker
        self.dropped = 0  # jobs cancelled before they ran
        self.closed = False

    @property
    def queued(self) -> int:
        return sum(len(jobs) for rank in self._waiting for jobs in rank.values())

    async def run(self, work: Callable[[], T], *, sentence: SentenceRef | None = None) -> T:
        """``work()`` in a worker thread when its turn comes; its result or its exception.

        Cancelling the caller drops the job if it has not started (a started one finishes in
        its thread and the result is thrown away: a sentence takes well under a second).
        """
        if self.closed:
            raise RuntimeError("the synthesis pool is closed")
        result: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        job = _Job(work, sentence or UNNAMED, result)
        self._waiting[job.rank].setdefault(job.ref.session, deque()).append(job)
        job.result.add_done_callback(lambda _f: self._forget(job))
        self._dispatch()
        return await job.result

    async def aclose(self) -> None:
        """Cancel the queued jobs and let the workers go once their current job ends."""
        self.closed = True
        for rank in self._waiting:
            for jobs in list(rank.values()):
                for job in list(jobs):
                    job.result.cancel()
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _next(self) -> _Job[Any] | None:
        """The next job: the best rank, then the session whose turn it is (the longest unserved)."""
        for rank in self._waiting:
            if rank:
                session, jobs = next(iter(rank.items()))
                job = jobs.popleft()
                if jobs:
                    rank.move_to_end(session)  # served: to the back of the round
                else:
                    del rank[session]
                return job
        return None

    def _dispatch(self) -> None:
        while self.running < self.workers and (job := self._next()) is not None:
            job.started = True
            self.running += 1
            self.started += 1
            self.peak = max(self.peak, self.running)
            TTS_POOL_WAIT.labels(priority="first" if job.rank == FIRST else "later").observe(
                time.perf_counter() - job.queued_at)
            done = job.result.get_loop().run_in_executor(self._executor, job.work)
            done.add_done_callback(functools.partial(self._finished, job))

    def _finished(self, job: _Job[Any], done: asyncio.Future[Any]) -> None:
        self.running -= 1
        if done.cancelled():
            job.result.cancel()
        elif (error := done.exception()) is not None:
            if not job.result.done():
                job.result.set_exception(error)
        elif not job.result.done():
            job.result.set_result(done.result())
        if not self.closed:
            self._dispatch()

    def _forget(self, job: _Job[Any]) -> None:
        """A cancelled job that never started leaves the queue (the line was cut off)."""
        if job.started or not job.result.cancelled():
            return
        rank = self._waiting[job.rank]
        jobs = rank.get(job.ref.session)
        if jobs is not None and job in jobs:
            jobs.remove(job)
            if not jobs:
                del rank[job.ref.session]
            self.dropped += 1
            TTS_POOL_DROPPED.inc()
