"""Evaluators: where the runs of a sweep execute (in this process, local processes, or Dask).

Every evaluator has one method that matters, :meth:`Evaluator.imap`: it calls
``fn(ctx, chunk)`` for each chunk of an iterable of chunks and yields the results **in chunk
order**, keeping at most ``window`` chunks in flight (so memory stays bounded and the results of
a sweep do not depend on which worker finished first). The chunk iterable is consumed lazily,
which lets the caller size each chunk from the run times seen so far.

* :class:`SerialEvaluator` runs chunks in the calling process.
* :class:`ProcessEvaluator` uses a pool of :func:`sim.experiments.pools.process_pool`
  (``forkserver`` start method on POSIX, so it is safe beside threads); worker processes ignore
  Ctrl-C (the parent handles it), import the model once, and cache the loaded base scenario
  (:func:`sim.experiments.sweep.model.base_scenario`) and each scenario's theatre.
* :class:`DaskEvaluator` submits chunks to a ``dask.distributed`` scheduler; it connects with a
  short timeout and raises :class:`~sim.experiments.sweep.errors.SchedulerError` instead of hanging.
"""

from __future__ import annotations

import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from sim.experiments.pools import available_cores, default_start_method, process_pool
from sim.experiments.sweep.errors import SchedulerError, SweepError
from sim.experiments.sweep.model import worker_init

_GUARD = re.compile(r"""__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__""")


def unguarded_main_script() -> str | None:
    """The file of the running script when it has no ``if __name__ == "__main__":`` guard (its
    top-level code would run again in every worker process started by ``spawn`` or
    ``forkserver``); ``None`` for a guarded script, the interactive interpreter or a notebook."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return None
    return None if _GUARD.search(text) else str(path)


class Evaluator:
    """Base class. Use as a context manager, or call :meth:`close`."""

    name = "evaluator"
    n_workers = 1

    def imap(self, fn: Callable, ctx: Any, chunks: Iterable) -> Iterator:
        """Yield ``fn(ctx, chunk)`` for every chunk, in order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release workers and connections."""

    def describe(self) -> dict:
        return {"backend": self.name, "workers": self.n_workers}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class SerialEvaluator(Evaluator):
    """Run every chunk in the calling process, one after the other."""

    name = "serial"
    n_workers = 1

    def imap(self, fn, ctx, chunks):
        for chunk in chunks:
            yield fn(ctx, chunk)


def _ordered_window(submit: Callable, result: Callable, cancel: Callable, chunks: Iterable, window: int):
    """Shared ordered-window loop: submit ahead, wait on the oldest, yield in order."""
    it = iter(chunks)
    pending: deque = deque()
    try:
        for chunk in islice(it, window):
            pending.append(submit(chunk))
        while pending:
            fut = pending.popleft()
            res = result(fut)
            nxt = next(it, None)
            if nxt is not None:
                pending.append(submit(nxt))
            yield res
    finally:
        for fut in pending:
            cancel(fut)


class ProcessEvaluator(Evaluator):
    """Run chunks on local worker processes.

    Args:
        workers: number of processes (default: every available core).
        start_method: multiprocessing start method (default ``forkserver`` on POSIX, else
            ``spawn``).
        window: chunks in flight (default ``2 * workers + 2``).
        preload: modules each worker (and the fork server) imports before the first chunk.
    """

    name = "processes"

    def __init__(
        self,
        workers: int | None = None,
        start_method: str | None = None,
        window: int | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        self.n_workers = max(1, int(workers or available_cores()))
        self.start_method = start_method or default_start_method()
        self.window = window or 2 * self.n_workers + 2
        self.preload = tuple(preload)
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = process_pool(
                self.n_workers, start_method=self.start_method,
                preload=("sim.experiments.sweep.model", *self.preload),
                initializer=worker_init, initargs=(self.preload,))
        return self._executor

    def imap(self, fn, ctx, chunks):
        pool = self._pool()

        def result(fut):
            try:
                return fut.result()
            except BrokenProcessPool as exc:
                script = unguarded_main_script() if self.start_method != "fork" else None
                if script is not None:
                    raise SweepError(
                        f"worker processes could not start: the script {script} has no "
                        '`if __name__ == "__main__":` guard. Each worker process imports the '
                        "script again, so its top-level code (this sweep or comparison) runs in "
                        "every worker. Put the calls under `if __name__ == \"__main__\":`, or "
                        "pass workers=1 to run in this process."
                    ) from None
                raise RuntimeError(f"a worker process died (out of memory, or killed): {exc}") from exc

        yield from _ordered_window(
            lambda c: pool.submit(fn, ctx, c), result, lambda f: f.cancel(), chunks, self.window
        )

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _probe_address(address: str | None, timeout: float) -> None:
    """Check a scheduler address's form and, for TCP, that something listens there.

    Fails fast (refused connection) or within ``timeout`` (no answer), before a ``Client``
    is made (a half-made ``Client`` can block for a long time while it is garbage collected).
    """
    import socket

    if not address:
        raise SchedulerError("no Dask scheduler address given")
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        scheme, loc = parse_address(address, strict=False)
        host, port = parse_host_port(loc) if scheme in ("tcp", "tls", "ws", "wss") else (None, None)
    except (ValueError, TypeError) as exc:
        raise SchedulerError(
            f"bad Dask scheduler address {address!r} ({exc}); expected e.g. tcp://host:8786"
        ) from None
    if scheme == "inproc":  # same process: nothing to probe
        return
    if host is not None:
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                pass
        except OSError as exc:
            raise SchedulerError(
                f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}"
            ) from None
    _handshake(address, timeout)


def _handshake(address: str, timeout: float) -> None:
    """Ask the scheduler for its identity within ``timeout`` seconds (skipped inside a running
    event loop, e.g. a notebook, where the ``Client`` timeout applies alone)."""
    import asyncio

    try:
        asyncio.get_running_loop()
        return
    except RuntimeError:
        pass

    async def identity():
        from distributed.core import rpc

        async with rpc(address, timeout=timeout) as r:
            return await asyncio.wait_for(r.identity(), timeout)

    try:
        info = asyncio.run(asyncio.wait_for(identity(), timeout))
    except Exception as exc:  # noqa: BLE001 - timeouts, protocol errors, refused connections
        raise SchedulerError(
            f"no Dask scheduler answered at {address} within {timeout:g} s "
            f"({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})"
        ) from None
    if not isinstance(info, dict) or info.get("type") != "Scheduler":
        raise SchedulerError(f"{address} is not a Dask scheduler (it answered {info!r:.80})")


class DaskEvaluator(Evaluator):
    """Run chunks on a ``dask.distributed`` cluster.

    Args:
        address: scheduler address, e.g. ``tcp://host:8786`` (or pass ``client``).
        client: an existing ``distributed.Client`` (not closed by :meth:`close`).
        timeout: seconds to wait for the scheduler (and for at least one worker).
        window: chunks in flight (default ``2 * threads + 2``).

    Raises:
        SchedulerError: the scheduler cannot be reached within ``timeout`` or has no workers.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        client: Any = None,
        timeout: float = 5.0,
        window: int | None = None,
    ) -> None:
        from distributed import Client

        self.address = address
        self._own = client is None
        if client is None:
            _probe_address(address, timeout)
            try:
                client = Client(address, timeout=f"{timeout}s", set_as_default=False)
            except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError, ...
                raise SchedulerError(
                    f"cannot reach the Dask scheduler at {address} within {timeout:g} s: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
        self.client = client
        try:
            client.wait_for_workers(1, timeout=timeout)
        except Exception:  # noqa: BLE001 - distributed raises TimeoutError
            if self._own:
                client.close()
            raise SchedulerError(
                f"the Dask scheduler at {address or client.scheduler.address} has no workers "
                f"(waited {timeout:g} s)"
            ) from None
        self.n_workers = max(1, sum(client.nthreads().values()))
        self.window = window or 2 * self.n_workers + 2

    def describe(self) -> dict:
        return {
            "backend": self.name,
            "workers": self.n_workers,
            "scheduler": self.client.scheduler.address,
        }

    def imap(self, fn, ctx, chunks):
        client = self.client
        [ctx_future] = client.scatter([ctx], broadcast=True, hash=False)
        try:
            yield from _ordered_window(
                lambda c: client.submit(fn, ctx_future, c, pure=False),
                lambda f: f.result(),
                lambda f: f.cancel(),
                chunks,
                self.window,
            )
        finally:
            ctx_future.release()

    def close(self) -> None:
        if self._own and self.client is not None:
            self.client.close()
            self.client = None


def make_evaluator(
    workers: int | None = None,
    scheduler: str | None = None,
    backend: str | None = None,
    timeout: float = 5.0,
    preload: tuple[str, ...] = (),
) -> Evaluator:
    """Pick an evaluator from command-line style options.

    ``scheduler`` set: Dask. Otherwise ``backend`` (``serial``/``processes``) or, by default,
    processes on ``workers`` cores (all by default), serial when ``workers == 1``.
    """
    if scheduler or backend == "dask":
        return DaskEvaluator(scheduler, timeout=timeout)
    if backend == "serial":
        return SerialEvaluator()
    n = available_cores() if workers is None else int(workers)
    if n < 1:
        from sim.experiments.sweep.errors import SweepError

        raise SweepError(f"--workers must be at least 1, got {n}")
    if backend == "processes" or n > 1:
        return ProcessEvaluator(n, preload=preload)
    return SerialEvaluator()
