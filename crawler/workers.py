"""The extraction process pool: spawned workers that end with their crawl, renewed when one of them dies."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

MAX_RENEWALS = 10  # a site that kills a worker this often is not worth a crawl that keeps restarting them


def process_pool(workers: int) -> ProcessPoolExecutor:
    # Spawned, not forked: a fork of a process with threads can inherit locks held at the time.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )


def watch_parent(parent: int) -> None:
    """Pool initializer: the worker ends itself once its crawl process is gone (a killed crawl leaves none behind)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-crawl-process", daemon=True).start()


class RenewingPool(Executor):
    """A process pool that starts afresh when a worker dies (a page that crashed lxml or ran out of memory).

    The pages in processing when it broke fail with BrokenProcessPool and are recorded as errors;
    the crawl goes on with a new pool.
    """

    def __init__(self, factory: Callable[[], Executor], max_renewals: int = MAX_RENEWALS) -> None:
        self._factory = factory
        self._pool = factory()
        self._renewals = 0
        self._max_renewals = max_renewals

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            if self._renewals >= self._max_renewals:
                raise
            self._renewals += 1
            log.warning("an extraction worker died; starting a new pool (%s of %s)", self._renewals, self._max_renewals)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._factory()
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown(wait=True)
