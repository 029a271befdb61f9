"""``serve --workers N``: N server processes on one port, and the small supervisor that keeps them.

Each worker is an ordinary ``serve`` (web/worker.py) on a listening socket of its own, every one
bound to the same port with SO_REUSEPORT: the kernel hashes each new connection to one of them, so
long-lived WebSockets spread evenly (with one shared socket, whichever worker wakes first takes the
whole backlog: docs/ARCHITECTURE.md). The supervisor binds them all before any worker starts (a busy
port is one line and exit 2), keeps each socket open while its worker restarts (connections wait
in its backlog rather than being refused), restarts a worker that dies (backing off when one keeps
dying at start), and on SIGTERM or SIGINT asks every worker to shut down gracefully.

A player's reconnect may reach any worker, so workers need the shared session store (REDIS_URL).
Metrics: every worker writes prometheus_client's multiprocess files into one folder, and /metrics
on any worker sums them. Local voices (Piper, Kokoro) get the usable cores divided among workers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import structlog

from digital_actors.config import Settings
from digital_actors.errors import ConfigError
from digital_actors.logging import configure_logging
from web.server import SHUTDOWN_TIMEOUT, listen

log = structlog.get_logger()
HANDOFF = "DIGITAL_ACTORS_WORKER"  # the JSON a worker reads: its socket fds, index, extra scene folders
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable, read when it is imported
QUICK_DEATH = 10.0  # seconds: a worker that dies sooner than this after its start died "at start"
GIVE_UP_AFTER = 5  # deaths at start in a row before the supervisor stops everything
BACKOFF_MAX = 30.0
POLL = 0.2  # seconds between two looks at the workers (a death is noticed within this)
STOP_GRACE = SHUTDOWN_TIMEOUT + 10.0  # a worker's graceful shutdown before it is killed


def cpu_share(workers: int, cpus: int | None = None) -> int:
    """Cores each worker may use for local speech synthesis: the usable cores divided, at least one."""
    usable = cpus or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    return max(1, usable // workers)


def needs_redis(settings: Settings, workers: int) -> ConfigError | None:
    """Why ``workers`` processes cannot run with these settings (None: they can)."""
    if workers > 1 and (settings.redis_url is None or not settings.redis_url.get_secret_value()):
        return ConfigError(
            f"--workers {workers} needs REDIS_URL: a player's reconnect can reach any worker, and only a "
            "shared session store lets that worker go on with the scene",
            hint="set REDIS_URL=redis://127.0.0.1:6379/0 (docs/SCALING.md), or run one worker")
    return None


@dataclass
class Worker:
    """One worker process: its index, its sockets (kept across restarts) and its life so far."""

    index: int
    sockets: list[socket.socket]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None
    exits: list[int | None] = field(default_factory=list)


def serve_workers(settings: Settings, *, workers: int, extra_scenes: Sequence[Path] = (), host: str,
                  port: int) -> int:
    """Run ``workers`` servers on ``host:port`` until SIGTERM/SIGINT; returns the exit code. Raises
    ConfigError (before anything starts) without REDIS_URL or when the port is busy."""
    problem = needs_redis(settings, workers)
    if problem is not None:
        raise problem
    for sock in listen(host, port):  # a plain bind first: refused if anything holds the port, even with SO_REUSEPORT
        sock.close()
    pool = [Worker(i, listen(host, port, reuse_port=True)) for i in range(workers)]
    configure_logging(level=settings.log_level, json=settings.log_format_json, env=settings.env)
    owned_dir = METRICS_DIR not in os.environ
    metrics_dir = Path(os.environ.get(METRICS_DIR) or tempfile.mkdtemp(prefix="digital-actors-metrics-"))
    for stale in metrics_dir.glob("*.db"):  # counters of an earlier run would be summed in
        stale.unlink()
    supervisor = Supervisor(pool, env=_worker_env(settings, workers, metrics_dir), scenes=extra_scenes,
                            metrics_dir=metrics_dir)
    try:
        return supervisor.run()
    finally:
        for worker in pool:
            for sock in worker.sockets:
                sock.close()
        if owned_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _worker_env(settings: Settings, workers: int, metrics_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[METRICS_DIR] = str(metrics_dir)
    env["WEB_WORKERS"] = str(workers)
    if not env.get("VOICE_WORKERS", "").strip() or env["VOICE_WORKERS"].strip() == "0":
        # Hook for the local voices' pool (VOICE_WORKERS: 0 means one per usable core): with N
        # workers on one host each gets its share, so N pools do not oversubscribe the cores.
        env["VOICE_WORKERS"] = str(cpu_share(workers))
    return env


class Supervisor:
    """Starts the workers, restarts the ones that die, stops them all on a signal."""

    def __init__(self, pool: list[Worker], *, env: dict[str, str], scenes: Sequence[Path], metrics_dir: Path) -> None:
        self.pool, self.env, self.scenes, self.metrics_dir = pool, env, scenes, metrics_dir
        self.stopping = threading.Event()
        self.code = 0

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for worker in self.pool:
                self._start(worker)
            log.info("workers_started", event_type="server_start", workers=len(self.pool),
                     pids=[w.process.pid for w in self.pool if w.process is not None],
                     voice_workers_each=self.env.get("VOICE_WORKERS"))
            while not self.stopping.is_set():
                self._look()
                self.stopping.wait(POLL)
            self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("workers_stopped", event_type="server_stopped", code=self.code)
        return self.code

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def _start(self, worker: Worker) -> None:
        fds = [s.fileno() for s in worker.sockets]
        handoff = {"fds": fds, "index": worker.index, "scenes": [str(p) for p in self.scenes], "parent": os.getpid()}
        worker.process = subprocess.Popen([sys.executable, "-m", "web.worker"], pass_fds=fds,
                                          env={**self.env, HANDOFF: json.dumps(handoff)})
        worker.started, worker.restart_at = time.monotonic(), None

    def _look(self) -> None:
        now = time.monotonic()
        for worker in self.pool:
            process = worker.process
            if process is not None and process.poll() is not None:
                self._died(worker, process, now)
            elif worker.process is None and worker.restart_at is not None and now >= worker.restart_at:
                self._start(worker)
                log.info("worker_restarted", event_type="server_start", worker=worker.index,
                         pid=worker.process.pid if worker.process else None)

    def _died(self, worker: Worker, process: subprocess.Popen[bytes], now: float) -> None:
        code = process.returncode
        worker.process, worker.exits = None, [*worker.exits, code]
        _mark_dead(self.metrics_dir, process.pid)
        quick = now - worker.started < QUICK_DEATH
        worker.quick_deaths = worker.quick_deaths + 1 if quick else 0
        log.error("worker_died", event_type="server_error", worker=worker.index, pid=process.pid, code=code,
                  at_start=quick)
        if quick and (code == 2 or worker.quick_deaths >= GIVE_UP_AFTER):
            log.error("workers_giving_up", event_type="server_error", worker=worker.index,
                      reason="a setting it cannot work with" if code == 2 else "it keeps dying at start")
            self.code = 2 if code == 2 else 1
            self.stopping.set()
            return
        delay = min(BACKOFF_MAX, 2.0 ** (worker.quick_deaths - 1)) if worker.quick_deaths else 0.0
        worker.restart_at = now + delay

    def _stop_all(self) -> None:
        """SIGTERM to every worker (each closes its sockets with 1001 and hands its players over), then
        wait; a worker still running after STOP_GRACE is killed."""
        running = [w.process for w in self.pool if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker_killed", event_type="server_error", pid=process.pid)
                process.kill()
                process.wait()
            _mark_dead(self.metrics_dir, process.pid)


def _mark_dead(metrics_dir: Path, pid: int) -> None:
    """Drop a dead worker's live gauges from the sums (its counters stay: they happened)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(metrics_dir))  # type: ignore[no-untyped-call]
