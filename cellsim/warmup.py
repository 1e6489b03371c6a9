"""Compile the Numba kernels of a model level ahead of its first run, in parallel processes.

Every kernel of cellsim.kernels is ``@njit(cache=True)``: a first run after an install (or
after a kernel's source changed) compiles the kernels its level calls, one after the other
in the running process (about 70 s of CPU at the r-z level), and later runs load them from
Numba's cache in well under a second. ``cellsim warmup`` (and ``cellsim run`` when it finds
a level's kernels missing from the cache) compiles them ahead instead, in several worker
processes, longest first; the cache then serves the run. A kernel that only other kernels
call is compiled (and cached) inside its callers' compile, so it gets no task of its own:
one would compile it a second time in another process.

What to compile comes from ``cellsim.kernel_signatures`` (recorded by ``python -m
cellsim.warmup --record`` from a 2-hour run of rusal-3kA at each level, with an empty cache
so that each kernel's compile time is known): per level, the kernels and the argument types
a run calls them with, and which kernels compile which (``CALLERS``). tests/unit/test_warmup.py checks that the record is the set a run
of the lumped and r-z levels uses; a stale record only costs time (the run then compiles
what is missing itself), never a result.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

LEVELS = ("lumped", "axisymmetric", "3d")
KERNEL_MODULES = ("fv", "linalg", "heat", "species", "interface", "roots", "multigrid", "ledger",
                  "exchange", "salt")


def dispatchers(modules=KERNEL_MODULES) -> dict:
    """``module:qualname`` -> the Numba dispatcher of every kernel defined in the modules of
    cellsim.kernels named (both twins of a ``parallel.ByThreads`` kernel)."""
    from numba.core.dispatcher import Dispatcher

    from .kernels.parallel import ByThreads

    out = {}
    for name in modules:
        module = importlib.import_module(f"cellsim.kernels.{name}")
        for obj in vars(module).values():
            for d in (obj.parallel, obj.serial) if isinstance(obj, ByThreads) else (obj,):
                if isinstance(d, Dispatcher) and d.py_func.__module__ == module.__name__:
                    out[f"{module.__name__}:{d.py_func.__qualname__}"] = d
    return out


def _types(signature: tuple) -> tuple:
    """Numba types from their recorded ``repr`` strings (numba.core.types names only)."""
    from numba.core import types

    return tuple(eval(t, {"__builtins__": {}}, vars(types)) for t in signature)


def _is_cached(d) -> bool:
    """The dispatcher's cache index exists for its present source (Numba's own check)."""
    try:
        return bool(d._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001 - an internal of Numba moved: treat as cached (no warm-up, no harm)
        return True


def missing(levels=LEVELS) -> list[str]:
    """Kernels of ``levels`` with no entry in Numba's cache, longest compile first."""
    from .kernel_signatures import SECONDS, SIGNATURES

    keys = {k for level in levels for k in SIGNATURES.get(level, {})}
    # import only the kernel modules the levels use (a lumped run needs kernels.roots, exchange, salt and ledger alone)
    ds = dispatchers(sorted({k.split(":")[0].rsplit(".", 1)[1] for k in keys} & set(KERNEL_MODULES)))
    out = [k for k in keys if k in ds and not _is_cached(ds[k])]
    return sorted(out, key=lambda k: -SECONDS.get(k, 0.0))


def _compile(key: str, signatures: list) -> tuple[str, float]:
    """Compile one kernel for its signatures (in a worker process); returns its CPU time."""
    c = time.process_time()
    d = dispatchers((key.split(":")[0].rsplit(".", 1)[1],))[key]
    for s in signatures:
        d.compile(_types(tuple(s)))
    return key, time.process_time() - c


def _callers() -> dict:
    """``kernel`` -> the kernels whose compile compiles it ("" for Python), from the record."""
    from . import kernel_signatures

    return getattr(kernel_signatures, "CALLERS", {})


def tasks(todo: list[str]) -> list[tuple[str, float]]:
    """The compile tasks for the uncached kernels ``todo``: (kernel, CPU seconds with the
    kernels it compiles inside), longest first.

    A kernel that only other kernels call is compiled by its caller's compile in the caller's
    worker process; asked for in a task of its own as well, it was compiled twice (in two
    processes at once, the second compile then thrown away). So a kernel is a task of its own
    only if Python calls it, or if none of its callers is to be compiled."""
    from .kernel_signatures import SECONDS

    callers, pending = _callers(), set(todo)
    children: dict[str, set] = {}
    for k, cs in callers.items():
        for c in cs:
            children.setdefault(c, set()).add(k)

    def own(k):
        cs = callers.get(k)
        return cs is None or "" in cs or not (set(cs) & pending)

    def inclusive(k, seen):
        seen.add(k)
        return (SECONDS.get(k, 1.0) if k in pending else 0.0) + sum(
            inclusive(c, seen) for c in children.get(k, ()) if c not in seen and not own(c))

    out = [(k, inclusive(k, set())) for k in todo if own(k)]
    return sorted(out, key=lambda kv: -kv[1])


def compile_ahead(levels=LEVELS, workers: int | None = None, echo=None) -> tuple[int, float]:
    """Compile the uncached kernels of ``levels`` in ``workers`` processes (None: the CPUs);
    returns (kernels compiled, wall seconds). ``echo(text)`` is told what happens."""
    from .kernel_signatures import SECONDS, SIGNATURES

    todo = missing(levels)
    if not todo:
        return 0, 0.0
    roots = [k for k, _ in tasks(todo)]
    sigs = {}
    for level in levels:
        for k, s in SIGNATURES.get(level, {}).items():
            sigs.setdefault(k, [])
            sigs[k] += [x for x in s if x not in sigs[k]]
    workers = max(1, min(workers or os.cpu_count() or 1, len(roots)))
    cpu = sum(SECONDS.get(k, 1.0) for k in todo)
    if echo:
        echo(f"cellsim: compiling {len(todo)} Numba kernels of the {', '.join(levels)} level"
             f"{'s' if len(levels) > 1 else ''} in {workers} process{'es' if workers > 1 else ''} "
             f"(about {cpu:.0f} s of CPU on the 2-core reference machine; once per install, "
             "then cached)")
    t = time.perf_counter()
    if workers == 1:
        for k in roots:
            _compile(k, sigs[k])
    else:
        # fresh interpreters (spawn): no fork of a process whose Numba threads may be running;
        # one task at a time per worker, longest first
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(_compile, roots, [sigs[k] for k in roots]))
    # a kernel compiled inside its callers for fewer types than a run asks of it directly
    for k in [k for k in missing(levels) if k not in roots]:
        _compile(k, sigs[k])
    return len(todo), time.perf_counter() - t


def _record_level(level: str) -> dict:
    """In a fresh process: the kernels and argument types a 2-hour run of rusal-3kA at
    ``level`` calls (Numba lists loaded and compiled overloads alike), and the CPU time of each
    kernel's own compile (without the kernels it compiles inside)."""
    from collections import defaultdict

    from numba.core import event

    from .campaign import run_campaign
    from .config import load_config

    own, stack, callers = defaultdict(float), [], defaultdict(set)

    class Listener(event.Listener):
        def on_start(self, ev):
            f = ev.data["dispatcher"].py_func
            name = f"{f.__module__}:{f.__qualname__}"
            # who compiles whom: "" for a compile asked for from Python
            callers[name].add(stack[-1][0] if stack else "")
            stack.append((name, time.process_time()))

        def on_end(self, ev):
            name, c = stack.pop()
            spent = time.process_time() - c
            own[name] += spent
            if stack:
                own[stack[-1][0]] -= spent

    event.register("numba:compile", Listener())
    run_campaign(load_config("rusal-3kA", [f'numerics.model="{level}"', 'schedule.duration="2 h"']))
    # a kernel called from another kernel with a constant argument is also compiled for its
    # literal type (Literal[int](0)); that variant is compiled with its caller and cannot be
    # asked for from Python, so the record keeps the plain types only
    from numba.core.types import Literal

    plain = {k: [s for s in d.signatures if not any(isinstance(t, Literal) for t in s)]
             for k, d in dispatchers().items()}
    used = {k: sorted({tuple(repr(t) for t in s) for s in sigs}) for k, sigs in plain.items() if sigs}
    return {"signatures": used, "seconds": dict(own),
            "callers": {k: sorted(v) for k, v in callers.items() if k in used}}


def record(levels=LEVELS) -> str:
    """Source of cellsim/kernel_signatures.py: one fresh process per level, each with an
    empty Numba cache (so that every kernel's compile time is measured)."""
    import json
    import subprocess
    import tempfile

    per_level, seconds, callers = {}, {}, {}
    for level in levels:
        with tempfile.TemporaryDirectory() as cache:
            out = subprocess.run([sys.executable, "-m", "cellsim.warmup", "--record-level", level],
                                 env={**os.environ, "NUMBA_CACHE_DIR": cache}, check=True,
                                 capture_output=True, text=True).stdout
        data = json.loads(out.strip().splitlines()[-1])
        per_level[level] = {k: [tuple(s) for s in v] for k, v in data["signatures"].items()}
        for k, v in data["seconds"].items():
            seconds[k] = max(seconds.get(k, 0.0), v)
        for k, v in data["callers"].items():
            callers[k] = sorted(set(callers.get(k, [])) | set(v))
    lines = ['"""Kernels and argument types of a 2-hour run of rusal-3kA per model level, and each',
             "kernel's own compile time [s of CPU] with an empty cache; generated by",
             "`python -m cellsim.warmup --record > cellsim/kernel_signatures.py` (cellsim.warmup).",
             '"""', "", "SIGNATURES = {"]
    for level, used in per_level.items():
        lines.append(f"    {level!r}: {{")
        for k in sorted(used):
            lines.append(f"        {k!r}: {used[k]!r},")
        lines.append("    },")
    lines += ["}", "", "SECONDS = {"]
    lines += [f"    {k!r}: {v:.2f}," for k, v in sorted(seconds.items(), key=lambda kv: -kv[1]) if v >= 0.005]
    lines += ["}", "", "# the kernels whose compile compiles each kernel (\"\": called from Python)",
              "CALLERS = {"]
    lines += [f"    {k!r}: {v!r}," for k, v in sorted(callers.items())]
    lines += ["}", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - the recorder, run by hand
    import json

    if sys.argv[1:] == ["--record"]:
        print(record())
    elif sys.argv[1:2] == ["--record-level"]:
        print(json.dumps(_record_level(sys.argv[2])))
    else:
        n, wall = compile_ahead(echo=print)
        print(f"compiled {n} kernels in {wall:.1f} s")
