"""Parallel kernels with a serial twin, chosen by the thread count in effect.

A kernel written with ``prange`` is compiled twice from the same source: with
``parallel=True`` and without it (``prange`` then runs as ``range``). With one thread the two
do the same floating-point operations in the same order (a parallel reduction over one thread
is the serial sum), so the results are bit for bit the same; the serial twin compiles in
about half the time and skips the threading layer. Grids below the solvers' parallel size
(every r-z grid and the default 3D pot) run on one thread, so a first run at those levels
compiles only the serial twins. Only flat (1D) loops have twins: a serial twin of the 3D
stencil kernels ran 3-8x slower than the parallel kernel on one thread (the parallel
lowering drops the negative-index wraparound of i+1 / j-1 accesses), so those stay parallel.

The thread count is set through :func:`set_threads` (cellsim.fields.solvers does), which
keeps the choice here and Numba's setting together.
"""

import os
import types

# Idle OpenMP threads sleep instead of spinning (libgomp spins ~300,000 iterations after each
# parallel region by default). On a machine shared with other jobs a spinning thread holds a
# core the others need, and every parallel region then waits for a descheduled thread: the 3D
# step on 2 threads ran 0.01-0.14x as fast as on one with spinning, 0.72-0.85x passive (load
# 3-9 on 2 cores; docs/speed.md, threads). Set here, before Numba loads its OpenMP layer
# (at the first parallel launch); a value the user set wins (OMP_WAIT_POLICY=active for a
# dedicated machine).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _preload_tbb() -> str | None:
    """Load the tbb wheel's library (``pip install tbb`` puts libtbb.so.12 in <prefix>/lib,
    where Numba's tbb layer does not look when Numba is installed elsewhere, e.g. a venv over
    shared site-packages) when the tbb layer is asked for (NUMBA_THREADING_LAYER = tbb or
    safe); the layer's own lookup then finds it loaded. Returns the path loaded, or None.

    Why one would ask: tbb's calling thread takes the share of a worker that has not started,
    so on a machine whose cores are all busy two threads cost about what one does, where
    OpenMP's fixed split waits for the descheduled thread (docs/speed.md, threads, session 10:
    the 3D step with every kernel parallel 0.91x of one thread on tbb, 0.13-0.19x on OpenMP,
    load 7-8 on 2 cores)."""
    if os.environ.get("NUMBA_THREADING_LAYER", "").strip().lower() not in ("tbb", "safe"):
        return None
    import ctypes
    import sys

    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        path = os.path.join(prefix, "lib", "libtbb.so.12")
        if os.path.exists(path):
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                return None
            return path
    return None


_TBB = _preload_tbb()

import numba  # noqa: E402
from numba import njit  # noqa: E402

_THREADS = [numba.config.NUMBA_NUM_THREADS]


def set_threads(n: int) -> None:
    """Numba's thread count for the calling thread, and the twin choice of every kernel."""
    numba.set_num_threads(n)
    _THREADS[0] = n


def threads() -> int:
    """The thread count last set by :func:`set_threads` (Numba's default before)."""
    return _THREADS[0]


def serial_twin(kernel):
    """``kernel`` (a ``parallel=True`` dispatcher) compiled without ``parallel``, cached
    under its own name (Numba's cache index does not tell the two options apart)."""
    f = kernel.py_func
    twin = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial", f.__defaults__,
                              f.__closure__)
    twin.__qualname__ = f.__qualname__ + "_serial"
    twin.__module__, twin.__doc__ = f.__module__, f.__doc__
    return njit(cache=True, nogil=True)(twin)


class ByThreads:
    """Calls the parallel kernel with more than one thread, its serial twin with one; both
    take the same arguments (see the kernel's docstring: ``help(kernel.parallel)``)."""

    def __init__(self, kernel):
        self.parallel, self.serial = kernel, serial_twin(kernel)
        self.__doc__, self.__name__ = kernel.__doc__, kernel.__name__

    def __call__(self, *args):
        if _THREADS[0] == 1:
            return self.serial(*args)
        return self.parallel(*args)

    def __repr__(self) -> str:
        return f"ByThreads({self.__name__})"
