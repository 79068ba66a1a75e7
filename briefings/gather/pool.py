"""Parsing in worker processes, each parse bounded in time: a hostile document costs its worker only.

Parsing holds the GIL: done in the bot's own process, one slow feed would stall every Slack
acknowledgement, and a thread cannot be stopped. So feeds (and full-text pages) are parsed in
separate processes. A parse that overruns its deadline has its worker killed and replaced, and the
caller gets `ParseTimeout`; a worker that dies (out of memory, a crash in C) gives `WorkerLost`.
A new worker's start-up (spawning, importing the parsers) is waited for before the deadline starts,
so a cold pool on a busy machine does not time out the first documents.
The pool is kept for the life of the process: a scheduler's cycles, or a test run, reuse it.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")
# Address space a worker may use: far above any capped feed, far below what would hurt the host.
WORKER_MEMORY_BYTES = 3 * 1024**3
# A new worker imports the parsers before it says it is ready; only then does a parse's deadline run.
STARTUP_SECONDS = 120.0


class ParseTimeout(Exception):
    """The parse took longer than its deadline; its worker was killed."""


class WorkerLost(Exception):
    """The worker process died during the parse."""


def _serve(conn: Connection) -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    import briefings.gather.parse  # noqa: F401  (loaded before the first job, not during it)

    with contextlib.suppress(OSError, ValueError):
        conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        func, args = job
        try:
            reply: tuple[str, Any] = ("ok", func(*args))
        except BaseException as exc:  # the caller decides; the worker lives on
            reply = ("error", f"{type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        """Block until the worker has its imports done: start-up is not part of any parse's time."""
        if not self.conn.poll(STARTUP_SECONDS):
            raise WorkerLost(f"작업 프로세스가 {STARTUP_SECONDS:g}초 안에 시작되지 않았습니다")
        self.conn.recv()
        self.ready = True

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
            self.process.join(2)
        if self.process.is_alive():
            self.kill()
        with contextlib.suppress(Exception):
            self.conn.close()


class ParsePool:
    """`run(func, *args, timeout=…)` in one of `size` worker processes; blocking, thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._started = 0
        self._cond = threading.Condition()
        self._closed = False

    def warm(self) -> None:
        """Start every worker now (they take a moment to import), so the first parse need not wait."""
        with self._cond:
            while self._started < self.size:
                self._idle.append(_Worker(self._ctx))
                self._started += 1
            self._cond.notify_all()

    def _take(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise WorkerLost("작업 프로세스가 종료되었습니다")
                if self._idle:
                    return self._idle.pop()
                if self._started < self.size:
                    self._started += 1
                    break
                self._cond.wait()
        try:
            return _Worker(self._ctx)
        except BaseException:
            with self._cond:
                self._started -= 1
                self._cond.notify()
            raise

    def _give_back(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is None or self._closed:
                self._started -= 1
                if worker is not None:
                    worker.stop()
            else:
                self._idle.append(worker)
            self._cond.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._give_back(None)

    def run(self, func: Callable[..., T], *args: Any, timeout: float) -> T:
        worker = self._take()
        try:
            if not worker.ready:
                worker.wait_ready()
            worker.conn.send((func, args))
            finished = worker.conn.poll(timeout)
            if finished:
                status, value = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._discard(worker)
            raise WorkerLost(f"작업 프로세스가 멈췄습니다: {type(exc).__name__}") from None
        except BaseException:
            self._discard(worker)
            raise
        if not finished:
            self._discard(worker)
            raise ParseTimeout(f"{timeout:g}초 안에 끝나지 않았습니다")
        self._give_back(worker)
        if status != "ok":
            raise WorkerLost(str(value))
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.stop()


_shared: ParsePool | None = None
_shared_lock = threading.Lock()


def shared_pool(size: int) -> ParsePool:
    """The process's pool (replaced when a different size is asked for); closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.size != max(1, size) or _shared._closed:
            if _shared is not None:
                _shared.close()
            _shared = ParsePool(size)
        return _shared


@atexit.register
def _close_shared() -> None:
    if _shared is not None:
        _shared.close()
