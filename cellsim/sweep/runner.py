"""Run the cases of a sweep: a local process pool by default, or an existing Dask cluster.

The parent process is the only writer of the sweep's record (:class:`SweepStore`): workers run
one case each (:func:`cellsim.sweep.worker.run_task`), write the case's HDF5 file atomically and
return a small outcome, which the parent journals before counting the case as done. The pool
uses the ``spawn`` start method everywhere (so what is tested on Linux is what runs on macOS
and Windows); each worker imports cellsim once, in the pool initializer.

Dask: ``scheduler="tcp://host:8786"`` submits the same tasks to a running cluster (``dask`` is
imported only then). The workers must have cellsim installed and see the output folder (a
shared filesystem), because they write the case files themselves.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable, Iterator

from .spec import SweepSpec
from .store import SweepStore
from .worker import run_task, warm_up

Progress = Callable[[dict], None]
MAIN_GUARD = (
    "a sweep worker process died before running its case. The workers are started with "
    "'spawn', which imports the calling script again: when you call run_sweep from a script, "
    "put the call under  if __name__ == \"__main__\":  (or pass workers=1 to run in-process). "
    "Otherwise a worker ran out of memory or crashed; the finished cases are kept (resume=True).")


@dataclasses.dataclass
class SweepRun:
    """What one invocation did: cases run now, and the state of the whole sweep after it."""

    folder: Path
    total: int
    skipped: int  # already finished before this invocation (resume)
    ok: int  # successful cases recorded now
    failed: int  # failed cases recorded now
    recovered: int  # result files found without a journal line, recorded on resume
    wall_time: float
    outcomes: list = dataclasses.field(default_factory=list)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def tasks_for(spec: SweepSpec, store: SweepStore, names: set[str] | None = None) -> list[dict]:
    """Plain-dict tasks (picklable for spawn and Dask) of the named cases, or of all."""
    tasks = []
    for case in spec.cases:
        if names is not None and case.name not in names:
            continue
        overrides, density = spec.overrides(case)
        tasks.append({"case": case.name, "base": spec.base, "overrides": overrides,
                      "current_density": density, "output": str(store.case_file(case.name))})
    return tasks


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _local(tasks: list[dict], workers: int) -> Iterator[dict]:
    if workers == 1:  # in-process: no pool, same code path for the work itself
        warm_up()
        for task in tasks:
            yield run_task(task)
        return
    ctx = multiprocessing.get_context("spawn")
    # One worker per core: each runs single-threaded, or BLAS/OpenMP/Numba threads of N workers
    # oversubscribe the cores (measured: 0.72x from 1 to 2 workers, 1.2x with one thread each).
    # The children inherit the environment when they start; the user's own settings win.
    saved = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    for key in THREAD_VARIABLES:
        os.environ.setdefault(key, "1")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_pool_worker_init,
                               initargs=(os.getpid(),))
    pending = {pool.submit(run_task, t) for t in tasks}
    try:
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    raise RuntimeError(MAIN_GUARD) from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        # Interrupted: drop queued cases, don't wait for running ones (a result file they
        # still write is picked up by --resume).
        pool.shutdown(wait=not pending, cancel_futures=True)


def _pool_worker_init(parent: int | None = None) -> None:
    """Ctrl-C is the parent's to handle: it stops the sweep; workers just finish or die.
    A worker dies with its parent (Linux: the kernel's parent-death signal), so killing the
    sweep never leaves cases running behind it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    warm_up()


def die_with_parent(parent: int | None) -> None:
    """Ask the kernel to kill this process when its parent exits (Linux prctl; elsewhere the
    pool's closed pipe ends the worker after its case)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        return
    if parent is not None and os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _dask(tasks: list[dict], address: str) -> Iterator[dict]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RuntimeError("--scheduler needs Dask: pip install 'cellsim[dask]'") from None
    with Client(address, set_as_default=False) as client:
        futures = [client.submit(run_task, t, key=f"cellsim-{t['case']}-{uuid.uuid4().hex[:8]}", pure=False)
                   for t in tasks]
        try:
            for fut in as_completed(futures, loop=client.loop):
                yield fut.result()
        finally:
            client.cancel(futures)


def run_sweep(spec: SweepSpec, folder: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, retry_failed: bool = False,
              progress: Progress | None = None, table_every: float = 10.0) -> SweepRun:
    """Run every case of ``spec`` not yet finished in ``folder``; return what was done.

    Summary tables are rewritten every ``table_every`` seconds and at the end (also when
    interrupted); the journal is written after every case.
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # a spawned worker is importing the user's script, which calls run_sweep at its top
        # level: stop this worker quietly; the parent reports MAIN_GUARD once
        raise SystemExit(1)
    start = time.perf_counter()
    store = SweepStore(folder)
    store.open(spec, resume)
    try:
        return _run_locked(spec, store, start, workers, scheduler, resume, retry_failed, progress,
                           table_every)
    finally:
        store.close()


def _run_locked(spec, store, start, workers, scheduler, resume, retry_failed, progress,
                table_every) -> SweepRun:
    recovered = store.recover_orphans(spec) if resume else 0
    done = store.journal()
    if retry_failed:
        done = {k: r for k, r in done.items() if r["status"] == "ok"}
    todo = {c.name for c in spec.cases} - set(done)
    tasks = tasks_for(spec, store, todo)
    run = SweepRun(store.folder, len(spec.cases), len(spec.cases) - len(tasks), 0, 0, recovered, 0.0)
    if tasks:
        n = min(workers or default_workers(), len(tasks))
        outcomes = _dask(tasks, scheduler) if scheduler else _local(tasks, n)
        last_table = time.perf_counter()
        try:
            for outcome in outcomes:
                store.record(outcome)
                run.outcomes.append(outcome)
                run.ok += outcome["status"] == "ok"
                run.failed += outcome["status"] == "failed"
                if progress is not None:
                    progress(outcome)
                if time.perf_counter() - last_table > table_every:
                    store.write_tables(spec)
                    last_table = time.perf_counter()
        finally:
            store.write_tables(spec)
    else:
        store.write_tables(spec)
    run.wall_time = time.perf_counter() - start
    return run
