"""CPU-bound work spread over worker processes, its results taken back in order.

Bulk loads parse, validate and serialise in workers while one process writes: the writer
stays the only one holding the transaction, so a load is still stored whole or not at all.
At most a few chunks are in flight, so a stream of any length is never held in memory.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from typing import TypeVar

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")
Item = TypeVar("Item")


def available() -> int:
    """Processes this one may use: the cores it is allowed to run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunked(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ordered_map(
    function: Callable[[Chunk], Result], chunks: Iterable[Chunk], workers: int
) -> Iterator[Result]:
    """`map(function, chunks)`, run by `workers` processes, results in the order of `chunks`."""
    with Workers(workers) as pool:
        yield from pool.map(function, chunks)


class Workers:
    """Worker processes, started on first use and stopped on leaving the `with` block, so that
    one pool serves every page of a long run."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kind is None or not issubclass(kind, KeyboardInterrupt):
            # done, or left by an error: each worker finishes its chunk and leaves
            pool.shutdown(wait=True, cancel_futures=True)
            return
        # Left by Ctrl-C: what the workers do is of no use. Stopped at once, not waited for:
        # a second Ctrl-C cutting a wait short left them waiting for work, and the
        # interpreter's exit waiting for them, for ever (a new user's trial).
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def map(self, function: Callable[[Chunk], Result], chunks: Iterable[Chunk]) -> Iterator[Result]:
        """Results in the order of `chunks`, at most two chunks per worker in flight. One
        worker or one chunk runs here, in this process: no processes for a small load. With
        more, the first chunk runs here too, while the workers start."""
        iterator = iter(chunks)
        first = next(iterator, None)
        if first is None:
            return
        second = next(iterator, None)
        if self.count <= 1 or second is None:
            yield function(first)
            if second is not None:
                yield function(second)
                yield from map(function, iterator)
            return
        pool = self.pool()
        pending: deque[Future[Result]] = deque()
        try:
            # The first chunk is done here while the workers start on the next ones: a freshly
            # forked worker takes some 30 ms to hand back its first result, time the caller
            # would otherwise spend waiting for something to write.
            for chunk in islice(chain([second], iterator), 2 * self.count):
                pending.append(pool.submit(function, chunk))
            yield function(first)
            for chunk in iterator:
                pending.append(pool.submit(function, chunk))
                if len(pending) > 2 * self.count:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # left early (an error): drop what has not started
                future.cancel()

    def start(
        self, function: Callable[[Chunk], Result], chunks: Iterable[Chunk]
    ) -> Callable[[], list[Result]]:
        """Set every chunk going now; the returned call waits for their results, in order.
        One worker or one chunk: the work is done here, when the results are asked for."""
        work = list(chunks)
        if self.count <= 1 or len(work) <= 1:
            return lambda: [function(chunk) for chunk in work]
        futures = [self.pool().submit(function, chunk) for chunk in work]
        return lambda: [future.result() for future in futures]

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork: workers start at once with the code already imported; they never touch
            # the parent's database connections and leave with os._exit. Elsewhere, the
            # platform's default.
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            self._pool = ProcessPoolExecutor(
                self.count, mp_context=context, initializer=leave_with, initargs=(os.getpid(),)
            )
            STARTED.add(os.getpid())
        return self._pool


STARTED: set[int] = set()  # the processes (this one, if any) that started a pool of workers


def stop_all() -> bool:
    """Stop every worker process this one started, at once (on Ctrl-C); whether it ever
    started any. Then the process must leave without the interpreter's exit (`os._exit`): a
    pool left in a generator that nothing closed is not shut down before it, and its threads,
    feeding workers that are gone, wait for ever there (a new user's trial)."""
    if os.getpid() not in STARTED:
        return False
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError):
            child.terminate()
    return True


def leave_with(parent: int) -> None:
    """In a worker: exit as soon as the parent has gone (killed, it cannot say so itself); a
    Ctrl-C is the parent's to act on (it stops the workers), not each worker's to print; and
    SIGTERM, the parent's stop, ends it at once (not the parent's handler, forked with it:
    cli/files.py `terminating` raised in the worker instead, which then never ended)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
