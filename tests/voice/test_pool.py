"""SynthesisPool: the bound, first sentences first, sessions in turn, cancellation, errors, cores."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from digital_actors.voice.base import SentenceRef
from digital_actors.voice.pool import SynthesisPool, usable_cpus
from tests.voice.stepping import StepExecutor, eventually


def ref(session: str, index: int, part: int = 0) -> SentenceRef:
    return SentenceRef(session=session, line=f"{session}-line", index=index, part=part)


class Jobs:
    """Labelled jobs; ``ran`` is the order the workers ran them in."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def __call__(self, label: str) -> Callable[[], str]:
        def work() -> str:
            self.ran.append(label)
            return label
        return work


async def submit(pool: SynthesisPool, jobs: Jobs, *queued: tuple[str, SentenceRef]) -> list[asyncio.Task[str]]:
    """Start ``pool.run`` for each job, in this order, and let each reach the queue."""
    tasks = [asyncio.create_task(pool.run(jobs(label), sentence=r)) for label, r in queued]
    await asyncio.sleep(0)  # one turn: every new task runs up to its first await, in order
    return tasks


async def run_all(executor: StepExecutor, tasks: list[asyncio.Task[str]]) -> None:
    while not all(task.done() for task in tasks):
        await executor.step()
        await eventually(lambda: bool(executor.pending) or all(task.done() for task in tasks))


async def test_never_more_jobs_at_once_than_workers() -> None:
    executor, jobs = StepExecutor(), Jobs()
    pool = SynthesisPool(workers=2, executor=executor)
    tasks = await submit(pool, jobs, *[(f"j{i}", ref(f"s{i}", 0)) for i in range(5)])
    assert len(executor.pending) == 2 and pool.running == 2 and pool.queued == 3
    while pool.running:
        await executor.step()
        await eventually(lambda: len(executor.pending) == pool.running == min(2, pool.running + pool.queued))
        assert len(executor.pending) <= 2
    assert await asyncio.gather(*tasks) == [f"j{i}" for i in range(5)]
    assert pool.peak == 2 and pool.started == 5 and pool.running == 0 and pool.queued == 0


async def test_first_sentences_of_other_lines_jump_ahead_of_later_sentences() -> None:
    executor, jobs = StepExecutor(), Jobs()
    pool = SynthesisPool(workers=1, executor=executor)
    tasks = await submit(pool, jobs, ("long-0", ref("long", 0)), ("long-1", ref("long", 1)),
                         ("long-2", ref("long", 2)), ("b-0", ref("b", 0)), ("long-3", ref("long", 3)),
                         ("c-0", ref("c", 0)), ("b-0-part-1", ref("b", 0, part=1)))
    await run_all(executor, tasks)
    # long-0 was running before anyone else asked; then every line's first piece, in arrival
    # order; then the later pieces, the sessions taking turns.
    assert jobs.ran == ["long-0", "b-0", "c-0", "long-1", "b-0-part-1", "long-2", "long-3"]


async def test_sessions_take_turns_so_one_long_line_cannot_starve_others() -> None:
    executor, jobs = StepExecutor(), Jobs()
    pool = SynthesisPool(workers=1, executor=executor)
    tasks = await submit(pool, jobs, ("busy", ref("x", 0)),
                         *[(f"a{i}", ref("a", i)) for i in range(1, 5)],
                         *[(f"b{i}", ref("b", i)) for i in range(1, 3)], ("c1", ref("c", 1)))
    await run_all(executor, tasks)
    assert jobs.ran == ["busy", "a1", "b1", "c1", "a2", "b2", "a3", "a4"]


async def test_a_cut_off_line_loses_its_queued_jobs_before_they_run() -> None:
    executor, jobs = StepExecutor(), Jobs()
    pool = SynthesisPool(workers=1, executor=executor)
    tasks = await submit(pool, jobs, ("busy", ref("x", 0)), ("a1", ref("a", 1)), ("a2", ref("a", 2)),
                         ("b1", ref("b", 1)))
    for task in tasks[1:3]:
        task.cancel()
    await asyncio.gather(*tasks[1:3], return_exceptions=True)
    assert pool.queued == 1 and pool.dropped == 2
    await run_all(executor, [tasks[0], tasks[3]])
    assert jobs.ran == ["busy", "b1"]  # a1 and a2 never ran
    assert all(task.cancelled() for task in tasks[1:3])


async def test_a_job_cancelled_while_running_finishes_and_the_next_one_starts() -> None:
    executor, jobs = StepExecutor(), Jobs()
    pool = SynthesisPool(workers=1, executor=executor)
    running, waiting = await submit(pool, jobs, ("running", ref("a", 0)), ("waiting", ref("b", 0)))
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert pool.dropped == 0 and pool.running == 1  # a started job cannot be recalled
    await executor.step()  # it finishes in its worker; the result is thrown away
    await executor.step()  # then the worker is free for the next job
    assert await waiting == "waiting"
    assert jobs.ran == ["running", "waiting"] and pool.running == 0


async def test_errors_reach_the_caller_and_the_pool_goes_on() -> None:
    executor, jobs = StepExecutor(), Jobs()
    pool = SynthesisPool(workers=1, executor=executor)

    def broken() -> str:
        raise RuntimeError("model exploded")

    failing = asyncio.create_task(pool.run(broken, sentence=ref("a", 0)))
    [fine] = await submit(pool, jobs, ("fine", ref("b", 0)))
    await executor.step()
    with pytest.raises(RuntimeError, match="model exploded"):
        await failing
    await executor.step()
    assert await fine == "fine" and pool.running == 0


async def test_closing_cancels_queued_jobs_and_refuses_new_ones() -> None:
    executor, jobs = StepExecutor(), Jobs()
    pool = SynthesisPool(workers=1, executor=executor)
    running, queued = await submit(pool, jobs, ("running", ref("a", 0)), ("queued", ref("b", 0)))
    await pool.aclose()
    await asyncio.gather(queued, return_exceptions=True)
    assert queued.cancelled() and pool.dropped == 1
    with pytest.raises(RuntimeError, match="closed"):
        await pool.run(jobs("late"))
    await executor.step()
    assert await running == "running" and jobs.ran == ["running"]


async def test_real_threads_keep_the_loop_free_and_respect_the_bound() -> None:
    pool = SynthesisPool(workers=2)
    release, inside, peak, lock = threading.Event(), [0], [0], threading.Lock()

    def work() -> int:
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        release.wait(5)
        with lock:
            inside[0] -= 1
        return 1

    tasks = [asyncio.create_task(pool.run(work, sentence=ref(f"s{i}", 0))) for i in range(5)]
    await eventually(lambda: pool.running == 2 and pool.queued == 3)
    release.set()  # the loop ran while both workers were blocked: it is not waiting on them
    assert sum(await asyncio.gather(*tasks)) == 5
    assert peak[0] == 2 and pool.peak == 2
    await pool.aclose()


def test_workers_and_model_threads_fill_the_cores_and_no_more() -> None:
    assert SynthesisPool(cpus=4).workers == 4 and SynthesisPool(cpus=4).threads_per_job == 1
    assert SynthesisPool(workers=1, cpus=4).threads_per_job == 4
    assert SynthesisPool(workers=2, cpus=5).threads_per_job == 2
    assert SynthesisPool(workers=3, cpus=2).threads_per_job == 1
    with pytest.raises(ValueError):
        SynthesisPool(workers=-1, cpus=2)


def test_usable_cpus_honours_a_container_quota(tmp_path: Path) -> None:
    cpu_max = tmp_path / "cpu.max"
    unlimited = usable_cpus(tmp_path / "missing")
    assert unlimited >= 1
    cpu_max.write_text("max 100000\n")
    assert usable_cpus(cpu_max) == unlimited
    cpu_max.write_text("50000 100000\n")
    assert usable_cpus(cpu_max) == 1  # half a core still gets one worker
    cpu_max.write_text(f"{(unlimited + 3) * 100000} 100000\n")
    assert usable_cpus(cpu_max) == unlimited  # a quota above the affinity changes nothing
    cpu_max.write_text("garbage\n")
    assert usable_cpus(cpu_max) == unlimited
