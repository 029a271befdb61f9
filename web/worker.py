"""One worker of ``serve --workers N`` (started by web/workers.py, never by hand): an ordinary server on
the listening sockets its supervisor handed down, exposing every worker's metrics summed.

    python -m web.worker      # with DIGITAL_ACTORS_WORKER={"fds": [...], "index": 0, "scenes": [...]}
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
from pathlib import Path

import structlog

from digital_actors.config import Settings
from web.server import run
from web.workers import HANDOFF

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent: int) -> None:
    """Shut down (SIGTERM: gracefully, handing players over) when the supervisor dies, even by kill -9.
    Linux only (prctl); elsewhere a worker outlives a killed supervisor until it is stopped."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the line above took effect
        raise SystemExit(0)


def main() -> None:
    handoff = json.loads(os.environ[HANDOFF])
    die_with(int(handoff["parent"]))
    sockets = [socket.socket(fileno=int(fd)) for fd in handoff["fds"]]
    structlog.contextvars.bind_contextvars(worker=int(handoff["index"]))  # on every log line of this worker
    from prometheus_client import CollectorRegistry, multiprocess  # PROMETHEUS_MULTIPROC_DIR is in our env

    metrics = CollectorRegistry()
    multiprocess.MultiProcessCollector(metrics)  # type: ignore[no-untyped-call]
    run(Settings(), sockets, extra_scenes=[Path(p) for p in handoff["scenes"]], metrics=metrics)


if __name__ == "__main__":
    main()
