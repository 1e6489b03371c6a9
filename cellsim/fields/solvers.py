"""The linear-algebra layer of cellsim (tier 3): one operator, one PCG, preconditioner backends.

Every field solve of cellsim (current, heat) is a symmetric positive (semi-)definite system

    (A + diag d) x = b

with A the conductance operator of cellsim.kernels.fv (face conductances gx, gy, gz [S or
W/K]) and d >= 0 an optional shift per cell (the backward-Euler mass term of a heat step):
a ``StencilOperator``. It is solved by one preconditioned conjugate-gradient loop (``pcg``)
on the true operator, so a preconditioner built for earlier coefficients stays valid (only
slower) when the coefficients move; the stopping test is always the true residual
||b - (A + diag d) x|| <= want ||b||, with a solve that stagnates below the required rtol
(or below the float64 rounding floor) accepted.

Preconditioners are backends in ``BACKENDS`` (a name -> class registry; a future backend,
e.g. another architecture, registers here):

* ``"lu"``: sparse LU (SuperLU) of A + diag d. Exact on the coefficients it was factorised
  for (one iteration); kept while they move, and renewed when the stale factorisation needs
  more than ``refactor_after`` iterations. ``symmetric=True`` (the current: no pivoting,
  symmetric ordering) or ``False`` (heat: partial pivoting; the pot's conductances span six
  decades). Best for 2D r-z grids.
* ``"multigrid"``: a V-cycle of the aggregation multigrid of cellsim.kernels.multigrid
  (z-line or red-black Gauss-Seidel smoothing, Galerkin coarse grids, the shift coarsened
  to aggregate sums, banded Cholesky on the coarsest grid). For 3D grids; ~12 cell arrays.
* ``"jacobi"``: the inverse diagonal; cheapest per iteration, for operators dominated by
  the shift (short heat steps).

``LinearSolver(op, backend)`` couples an operator with a backend and its reuse policy;
``make_solver``, ``DirectSolver`` and ``MultigridSolver`` are the named constructors the
field modules use. The species transport (bordered by the metal pools, nonsymmetric with
drift) builds its step systems on the same ``StencilOperator`` and solves them by a backend of
``cellsim.fields.species_linear.SOLVERS``: the GMRES of cellsim.kernels.linalg preconditioned by
the band LU of cellsim.kernels.linalg, SuperLU, or this PCG with any of these preconditioners
when the transport is symmetric.
"""

from __future__ import annotations

import os
import threading
import time

import numba
import numpy as np

from cellsim.kernels import fv
from cellsim.kernels import linalg as la
from cellsim.kernels import multigrid as mg
from cellsim.kernels import parallel as kernel_threads


class ConvergenceError(RuntimeError):
    """A field solve did not reach its tolerance (or produced non-finite values)."""


# Below this many cells a kernel runs on one thread: launching the thread team costs
# ~20 us on an idle machine but up to a scheduler slice (~8 ms) on a busy shared one.
# On a loaded machine (more runnable processes than cores) every parallel region waits for
# a descheduled thread; set_max_threads(1) is then faster (measured 1.8 s vs 4.4 s, 128^3).
PARALLEL_MIN_CELLS = 200_000
_MAX_THREADS = [numba.config.NUMBA_NUM_THREADS]
# The kernels' thread count last set in each Python thread, with the set_max_threads call it
# was set under: Numba's setting is per thread, so the species step's thread of an overlapped
# step (cellsim.physics) starts at NUMBA_NUM_THREADS and sets its own (with two threads a
# parallel reduction sums in another order: not the one-thread numbers).
_CURRENT = threading.local()
_GENERATION = [0]


_MIN_CELLS = [PARALLEL_MIN_CELLS]
# The multigrid V-cycle's kernels (smoothing sweeps, residual restriction, prolongation) and
# the hierarchy's set-up (coarsening, line factors) write each output from its own inputs
# in a fixed order: no reduction, so their numbers are the same on any thread count, bit
# for bit, and a level may run parallel from a size of its own (``exact_min_cells``) while
# the PCG's sums (dot products, residual norms) keep theirs (PARALLEL_MIN_CELLS). A V-cycle
# on the default 3D pot is ~40 regions over four levels; from ``exact_min_cells`` cells only
# its finest level's ~10 regions run parallel. By default the same size as the sums: on
# this shared 2-core machine no V-cycle of the default pot gained from a second thread
# (docs/speed.md, threads, session 10: every thread waits for a descheduled partner).
_EXACT_MIN_CELLS = [None]  # None: CELLSIM_PARALLEL_EXACT_MIN_CELLS if set, else _MIN_CELLS
EXACT_MIN_CELLS_ENV = "CELLSIM_PARALLEL_EXACT_MIN_CELLS"


def exact_min_cells() -> int:
    """The size from which the V-cycle's kernels run on the threads (see above):
    set_max_threads's ``exact_min_cells``, else the environment variable
    CELLSIM_PARALLEL_EXACT_MIN_CELLS (read when first asked; a bad value is an error naming
    it), else the sums' size."""
    if _EXACT_MIN_CELLS[0] is None:
        env = _env_exact_min_cells()
        _EXACT_MIN_CELLS[0] = _MIN_CELLS[0] if env is None else env
    return _EXACT_MIN_CELLS[0]


def _env_exact_min_cells() -> int | None:
    value = os.environ.get(EXACT_MIN_CELLS_ENV)
    if value is None or value.strip() == "":
        return None
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise ValueError(f"{EXACT_MIN_CELLS_ENV} = {value!r}: expected a whole number of cells >= 0")
    return n


def set_max_threads(n: int | None, min_cells: int | None = None, exact_min_cells: int | None = None) -> None:
    """Threads used by the solver kernels (None: NUMBA_NUM_THREADS) on grids of at least
    ``min_cells`` cells (None: PARALLEL_MIN_CELLS; smaller grids run on one thread); the
    multigrid V-cycle's kernels, whose numbers do not depend on the thread count, from
    ``exact_min_cells`` cells (None: CELLSIM_PARALLEL_EXACT_MIN_CELLS if set, else
    ``min_cells``)."""
    _MAX_THREADS[0] = numba.config.NUMBA_NUM_THREADS if n is None else max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))
    _MIN_CELLS[0] = PARALLEL_MIN_CELLS if min_cells is None else int(min_cells)
    _EXACT_MIN_CELLS[0] = None if exact_min_cells is None else int(exact_min_cells)
    _GENERATION[0] += 1


def _set_threads(n_cells: int, exact: bool = False) -> None:
    """The kernels' thread count for a grid of ``n_cells`` cells; ``exact``: for kernels
    whose numbers do not depend on it (the V-cycle's), from their own size."""
    n = _MAX_THREADS[0] if n_cells >= (exact_min_cells() if exact else _MIN_CELLS[0]) else 1
    key = (_GENERATION[0], n)
    if getattr(_CURRENT, "key", None) != key:  # numba.set_num_threads costs ~50 us per call
        kernel_threads.set_threads(n)  # one thread: the kernels' serial twins
        _CURRENT.key = key


# The heat and species steps of one time step read only the start of the step, so they can
# run at once in two Python threads (cellsim.physics.Physics.step; every kernel releases the
# GIL): one wake-up per step instead of one per kernel, so it pays where the kernels' own
# threads cannot (docs/speed.md, threads: a parallel region of the default 3D pot's
# finest level took 229 us on 2 threads against 108 us on one, with passive waiting).
#
# The policy (``numerics.overlap_steps``; the environment variable CELLSIM_OVERLAP_STEPS,
# when set, overrides it for every run of the process):
# * "off": never; "on": on every grid from OVERLAP_MIN_CELLS cells when two threads are allowed;
# * "auto" (the default): as "on" on grids below PARALLEL_MIN_CELLS (whose kernels run on one
#   thread), and only while a core is free: this process may use at
#   least two cores (os.sched_getaffinity, a cgroup CPU quota) and the other processes on
#   those cores left two of them, less OVERLAP_BUSY_CORES, over the last OVERLAP_WINDOW seconds
#   (on the 2-core machine: they used at most a quarter of a core; on 16 cores, 14.25)
#   (/proc/stat's busy time of the allowed cores, niced processes' included, minus this
#   process's own CPU time: with the kernel's autogroup scheduling a niced job of another
#   session still takes its share; measured here, a nice-10 load left this run 30 % of a
#   core). The first steps of a run (no window yet) run in turn. Without /proc/stat (not
#   Linux) the 1-minute load average decides (at most the cores less 0.25; it counts this
#   run's own threads).
# Why a free core: with every core busy the second thread only takes turns with the first and
# the step got slower (2 threads 0.71-0.85x of one at load 3-4.5 on the 2-core machine,
# docs/speed.md); with a core free it ran 1.09-1.43x (1.09x on the same steps), its
# CPU-time bound 1.22-1.26x (docs/speed.md, threads3).
OVERLAP_MIN_CELLS = 20_000
OVERLAP_MODES = ("auto", "on", "off")
OVERLAP_BUSY_CORES = 0.25
OVERLAP_WINDOW = 1.0  # s
OVERLAP_SPARE_CORES = 0.25  # the load-average fallback: load <= cores - this
_ENV_MODES = {"1": "on", "on": "on", "0": "off", "off": "off", "auto": "auto"}


def _env_overlap() -> str | None:
    value = os.environ.get("CELLSIM_OVERLAP_STEPS")
    if value is None or value.strip() == "":
        return None
    mode = _ENV_MODES.get(value.strip().lower())
    if mode is None:
        raise ValueError(f"CELLSIM_OVERLAP_STEPS = {value!r}: expected one of auto, on, off (or 1, 0)")
    return mode


_OVERLAP = [None]  # set_overlap's override (None: CELLSIM_OVERLAP_STEPS, else each run's key)


def set_overlap(mode) -> None:
    """Override every run's ``numerics.overlap_steps`` in this process: "auto", "on", "off"
    (True / False: "on" / "off"); None: CELLSIM_OVERLAP_STEPS if set, else each run's key."""
    if mode is True or mode is False:
        mode = "on" if mode else "off"
    if mode is not None and mode not in OVERLAP_MODES:
        raise ValueError(f"overlap mode must be one of {OVERLAP_MODES} or None, got {mode!r}")
    _OVERLAP[0] = mode


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup v2 CPU quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(float(quota) / float(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def _cpu_sample():
    """(monotonic time, busy seconds of the allowed cores, this process's CPU seconds), or None
    without /proc/stat."""
    try:
        cpus = {f"cpu{i}" for i in os.sched_getaffinity(0)}
    except (AttributeError, OSError):
        cpus = None
    try:
        with open("/proc/stat") as f:
            lines = f.readlines()
    except (AttributeError, OSError):
        return None
    busy = 0
    for line in lines:
        if not line.startswith("cpu"):
            break  # the cpu lines come first
        parts = line.split()
        if parts[0] == "cpu":
            continue
        if cpus is not None and parts[0] not in cpus:
            continue
        # user nice system idle iowait irq softirq steal
        v = [int(x) for x in parts[1:9]]
        v += [0] * (8 - len(v))
        busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    t = os.times()
    return time.monotonic(), busy / _CLK_TCK, t.user + t.system


try:
    _CLK_TCK = float(os.sysconf("SC_CLK_TCK"))
except (AttributeError, ValueError, OSError):
    _CLK_TCK = 100.0


class _FreeCore:
    """Whether a core is free for the species thread (see above), decided at most once per
    OVERLAP_WINDOW seconds from the CPU time spent since the last decision."""

    def __init__(self):
        self.last = None
        self.free = False
        self.others = None  # cores the other processes used in the last window

    def __call__(self) -> bool:
        now = _cpu_sample()
        if now is None:
            return self._load_rule()
        if self.last is None:
            self.last = now
            return self.free
        span = now[0] - self.last[0]
        if span < OVERLAP_WINDOW:
            return self.free
        self.others = max(0.0, ((now[1] - self.last[1]) - (now[2] - self.last[2])) / span)
        self.free = usable_cores() - self.others >= 2.0 - OVERLAP_BUSY_CORES
        self.last = now
        return self.free

    @staticmethod
    def _load_rule() -> bool:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average either: assume a core is free
            return True
        return usable_cores() >= 2 and load <= usable_cores() - OVERLAP_SPARE_CORES


_spare_core = _FreeCore()


def overlap_mode(configured: str = "auto") -> str:
    """The mode in effect: the process's override (set_overlap, else CELLSIM_OVERLAP_STEPS,
    read when asked: a bad value is an error naming it) or the run's
    ``numerics.overlap_steps``."""
    return _OVERLAP[0] or _env_overlap() or configured


def overlap_steps(n_cells: int, configured: str = "auto") -> bool:
    """Whether the field steps of a grid of ``n_cells`` cells run in two threads at once: not
    "off", a large grid, two threads allowed and ("auto") a core free (see above)."""
    mode = overlap_mode(configured)
    if mode == "off" or _MAX_THREADS[0] < 2 or n_cells < OVERLAP_MIN_CELLS:
        return False
    if mode == "on":
        return True
    # "auto": only grids whose kernels run on one thread (above PARALLEL_MIN_CELLS their own
    # parallel regions use the cores, and two threads launching regions at once need a
    # thread-safe threading layer: omp or tbb, not workqueue); a grid whose V-cycles run on
    # the kernels' threads (exact_min_cells) only where a core is left beside their team
    # (NUMBA_NUM_THREADS below the usable cores; on 2 cores the species thread's core is the
    # V-cycles' second thread)
    if n_cells >= _MIN_CELLS[0]:
        return False
    if n_cells >= exact_min_cells() and usable_cores() < _MAX_THREADS[0] + 1:
        return False
    return _spare_core()


def thread_policy(configured: str = "auto") -> dict:
    """What a run's metadata records of the threads: the overlap mode and where it came from,
    the cores usable, the kernels' thread count and the size from which kernels run parallel."""
    return {"overlap_steps": overlap_mode(configured),
            "overlap_set_by": ("solvers.set_overlap" if _OVERLAP[0] else "CELLSIM_OVERLAP_STEPS"
                               if _env_overlap() else "numerics.overlap_steps"),
            "usable_cores": usable_cores(), "kernel_threads": _MAX_THREADS[0],
            "parallel_min_cells": _MIN_CELLS[0], "parallel_exact_min_cells": exact_min_cells(),
            "overlap_min_cells": OVERLAP_MIN_CELLS}


def threads_for(n_cells: int) -> None:
    """Set the kernels' thread count for a grid of ``n_cells`` cells (what every solve does
    first); a field level calls it when it builds a grid, and a thread that steps a field
    beside another (the overlapped species step) when it starts, so the kernels run before a
    first solve use the same threads (one on small grids: the serial twins)."""
    _set_threads(n_cells)


# --------------------------------------------------------------------------- the operator
class StencilOperator:
    """A + diag(shift): face conductances gx (n0+1, n1, n2), gy (n0, n1+1, n2),
    gz (n0, n1, n2+1) and an optional shift (n0, n1, n2) >= 0 (None: no shift). The arrays
    are referenced, not copied; ``copy()`` takes a snapshot.

    ``g_hi``: a nonsymmetric stencil (the species transport with drift) has a second set of
    face coefficients, those of the high-side cell in the face's flux, ``g`` being the
    low-side cell's: flux = g c_lo - g_hi c_hi. None (every field but that one): symmetric.
    The PCG and its backends take symmetric operators only; the species' band and sparse
    paths take both (cellsim.fields.species_linear.SOLVERS)."""

    def __init__(self, gx, gy, gz, shift=None, g_hi=None):
        self.g = (gx, gy, gz)
        self.g_hi = None if g_hi is None else tuple(g_hi)
        self.shape = (gx.shape[0] - 1, gy.shape[1] - 1, gz.shape[2] - 1)
        if shift is not None:
            shift = np.ascontiguousarray(shift, dtype=np.float64).reshape(self.shape)
        self.shift = shift

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def copy(self) -> "StencilOperator":
        return StencilOperator(*(a.copy() for a in self.g), None if self.shift is None else self.shift.copy(),
                               None if self.g_hi is None else tuple(a.copy() for a in self.g_hi))

    def same_as(self, other: "StencilOperator | None") -> bool:
        """The same coefficients (element by element) as ``other``."""
        if other is None or (self.shift is None) != (other.shift is None):
            return False
        pairs = list(zip(self.g, other.g)) + ([(self.shift, other.shift)] if self.shift is not None else [])
        return all(a.shape == b.shape and np.array_equal(a, b) for a, b in pairs)

    def diagonal(self) -> np.ndarray:
        gx, gy, gz = self.g
        d = np.add(gx[:-1], gx[1:])  # in place, left to right: the numbers of a + b + ...
        d += gy[:, :-1]
        d += gy[:, 1:]
        d += gz[:, :, :-1]
        d += gz[:, :, 1:]
        if self.shift is not None:
            d += self.shift
        return d

    def apply(self, p, q) -> float:
        """q = op p; returns p.q."""
        if self.shift is None:
            fv.apply_operator(*self.g, p, q)
            return la.dot(p.reshape(-1), q.reshape(-1))
        return la.apply_shifted(*self.g, self.shift, p, q)

    def residual(self, x, b, r) -> float:
        """r = b - op x; returns r.r."""
        if self.shift is None:
            return fv.residual(*self.g, x, b, r)
        return la.shifted_residual(*self.g, self.shift, x, b, r)

    def rounding_floor(self, x) -> float:
        """Smallest attainable ||b - op x|| in float64: 4 eps ||diag |x|||. With strong
        conductivity contrasts it can exceed rtol ||b||; a solve whose true residual stalls
        below it is accurate to machine precision and is accepted."""
        return 4.0 * np.finfo(float).eps * float(np.linalg.norm(self.diagonal() * np.abs(x)))

    def csc(self):
        """The operator as a scipy.sparse CSC matrix (symmetric)."""
        import scipy.sparse  # imported here: keeps start-up of multigrid-only runs short

        indptr, indices, data = fv.assemble_csr(*self.g)
        n = indptr.size - 1
        a = scipy.sparse.csc_matrix((data, indices, indptr), shape=(n, n))  # A is symmetric
        if self.shift is not None:
            a = (a + scipy.sparse.diags(self.shift.reshape(-1))).tocsc()
        return a


def _rounding_floor(ops, x, shift=None):
    """``StencilOperator(*ops, shift).rounding_floor(x)``."""
    return StencilOperator(*ops, shift).rounding_floor(x)


# ------------------------------------------------------------------------------- the PCG
def pcg(op: StencilOperator, precondition, b, x, rtol: float, maxiter: int, name: str,
        want: float | None = None, work: np.ndarray | None = None, l1_max: float | None = None) -> int:
    """Preconditioned CG on op x = b from the initial guess x (updated in place); returns
    the iterations. ``precondition(r, z)`` writes z = M^-1 r.

    Iterates towards ||b - op x|| <= want ||b|| (want = rtol by default, at most rtol); the
    recursive residual is confirmed by the true one, and from the first failed confirmation
    on the true residual is checked every iteration and replaces the recursive one. A solve that stagnates (three checks
    without halving) or reaches maxiter is accepted when its true residual is at most
    max(rtol ||b||, rounding floor); otherwise ConvergenceError. ``work``: optional
    (5, *b.shape) float64 scratch (kept by LinearSolver: nothing allocated per solve).
    ``l1_max``: a confirmed residual must also have sum |b - op x| <= l1_max (what a Newton
    test on the 1-norm needs; the caller's ``want`` may then assume less than the worst case
    sqrt(n) of ||.||_1 / ||.||_2), else the iterations go on.
    """
    want = rtol if want is None else min(rtol, max(want, 1e-15))
    _set_threads(b.size)
    if work is None or work.shape != (5,) + b.shape:
        work = np.empty((5,) + b.shape)
    if isinstance(precondition, CholeskyBackend) and l1_max is None and kernel_threads.threads() == 1:
        return _pcg_band(op, precondition, b, x, rtol, maxiter, name, want, work)
    fb = b.reshape(-1)
    bnorm = np.sqrt(la.dot(fb, fb))
    if bnorm == 0.0:
        x[...] = 0.0
        return 0
    r, q, rt, z, p = work
    p[...] = 0.0  # p = z + 0 p at the first iteration: no NaN
    rr = op.residual(x, b, r)
    fx, fr, fz, fp, fq = x.reshape(-1), r.reshape(-1), z.reshape(-1), p.reshape(-1), q.reshape(-1)
    rz_old, best, stalls, tail = 1.0, np.inf, 0, False
    for it in range(1, maxiter + 1):
        if tail or np.sqrt(rr) <= want * bnorm:
            # confirm with the true residual (the recursive one drifts below round-off);
            # from the first failed confirmation on, check every iteration
            true = np.sqrt(op.residual(x, b, rt))
            l1_ok = l1_max is None or float(np.sum(np.abs(rt))) <= l1_max
            if true <= want * bnorm and l1_ok:
                return it - 1
            if tail:  # residual replacement: go on from the true residual (the recursive
                r[...] = rt  # one no longer improves it at round-off level)
            tail = True
            stalls = stalls + 1 if true > 0.5 * best else 0
            best = min(best, true)
            # stagnating at the required accuracy or below the rounding floor
            if stalls >= 3 and (true <= rtol * bnorm and l1_ok or true <= op.rounding_floor(x)):
                return it - 1
        precondition(r, z)
        rz = la.dot(fr, fz)
        la.xpby(fz, rz / rz_old if it > 1 else 0.0, fp)
        pq = op.apply(p, q)
        if not (pq > 0.0 and np.isfinite(rz)):
            break
        rr = la.cg_step(fx, fr, fp, fq, rz / pq)
        rz_old = rz
    return _pcg_end(op, b, x, r, rtol, maxiter, name, bnorm)


def _pcg_end(op, b, x, r, rtol, maxiter, name, bnorm) -> int:
    """``pcg`` after its loop (maxiter reached or a breakdown): accept the iterate if its true
    residual is at most max(rtol ||b||, rounding floor), else ConvergenceError."""
    rr = op.residual(x, b, r)
    if np.isfinite(rr) and np.sqrt(rr) <= max(rtol * bnorm, op.rounding_floor(x)):
        return maxiter
    raise ConvergenceError(
        f"{name}: no convergence to relative residual {rtol:.1e} in {maxiter} iterations "
        f"(reached {np.sqrt(rr) / bnorm:.2e}); check for a floating region (no path to a "
        "fixed potential) or non-positive coefficients")


_ZERO_SHIFTS: dict = {}  # shape -> zeros: the shift of an unshifted operator in _pcg_band


def _pcg_band(op, backend, b, x, rtol, maxiter, name, want, work) -> int:
    """``pcg`` with the band Cholesky preconditioner on one thread, as one kernel from its
    start (cellsim.kernels.linalg.pcg_band_cholesky_start: ||b||, the first residual and the
    loop, the same operations in the same order, so the same iterates bit for bit; an
    unshifted operator takes a zero shift, which adds exact zeros). The kernel hands back
    the decisions that need the rounding floor."""
    d = op.shift
    if d is None:
        d = _ZERO_SHIFTS.get(op.shape)
        if d is None:
            d = _ZERO_SHIFTS[op.shape] = np.zeros(op.shape)
    gx, gy, gz = op.g
    state = np.empty(9)
    s0, s1, s2 = backend.strides
    code = la.pcg_band_cholesky_start(gx, gy, gz, d, backend._ab, s0, s1, s2, b, x, want, maxiter,
                                      state, work, backend._x)
    return _pcg_band_resume(op, backend, b, x, rtol, maxiter, name, want, work, state, code)


def _pcg_band_resume(op, backend, b, x, rtol, maxiter, name, want, work, state, code) -> int:
    """``_pcg_band`` after its kernel returned ``code`` (state: the kernel's): the iterations
    (0: converged), or the decisions that need the rounding floor (1: stalled three times)
    and the kernel resumed, or ``_pcg_end`` (maxiter reached, a breakdown)."""
    d = op.shift if op.shift is not None else _ZERO_SHIFTS[op.shape]
    gx, gy, gz = op.g
    s0, s1, s2 = backend.strides
    bnorm = state[8]
    while True:
        if code == 0:
            return int(state[0])
        if code != 1:
            break
        true = state[6]  # stalled three times: accept at the required accuracy or the floor
        if true <= rtol * bnorm or true <= op.rounding_floor(x):
            return int(state[0]) - 1
        state[7] = 1.0  # go on from that iteration without checking again
        code = la.pcg_band_cholesky(gx, gy, gz, d, backend._ab, s0, s1, s2, b, x, want * bnorm,
                                    maxiter, state, work, backend._x)
    return _pcg_end(op, b, x, work[0], rtol, maxiter, name, bnorm)


# ------------------------------------------------------------------- preconditioner backends
class LUBackend:
    """Sparse LU of the operator (SuperLU); ``symmetric``: symmetric mode without pivoting
    (MMD on A + A^T), else partial pivoting with COLAMD. Kept across coefficient updates
    (stale) until ``LinearSolver`` renews it."""

    name = "lu"
    reuses_factor = True

    def __init__(self, op: StencilOperator, symmetric: bool = True):
        self.symmetric = symmetric
        self.n_factorisations = 0
        self.factorise(op)

    def factorise(self, op: StencilOperator) -> None:
        import scipy.sparse.linalg

        a = op.csc()
        if self.symmetric:
            self._lu = scipy.sparse.linalg.splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                                                options={"SymmetricMode": True})
        else:
            self._lu = scipy.sparse.linalg.splu(a)
        self.n_factorisations += 1

    def update(self, op: StencilOperator) -> None:
        pass  # the factorisation is kept: LinearSolver renews it when it preconditions badly

    def __call__(self, r, z):
        z[...] = self._lu.solve(r.reshape(-1)).reshape(r.shape)


class CholeskyBackend:
    """Band Cholesky of the operator (cellsim.kernels.linalg.band_cholesky_stencil), for
    grids whose cells number with a short band: the longest axis varies slowest, so the
    half-bandwidth is the product of the two shorter extents (48 on the default r-z pot of
    48 x 68 cells). The operator is symmetric positive definite (a fixed temperature or
    potential somewhere), so Cholesky needs no pivoting; it is assembled from the face
    conductances directly (no sparse matrix, no symbolic analysis: the pattern is the grid's),
    and kept, like the LU, while the coefficients move until ``LinearSolver`` renews it.
    On the r-z pot a factorisation costs ~2.5 ms against ~9 for SuperLU's (csc assembly
    included) and a solve ~0.12 against ~0.5 ms (its sweeps on row slices; docs/speed.md)."""

    name = "cholesky"
    reuses_factor = True

    def __init__(self, op: StencilOperator):
        shape = op.shape
        slow = int(np.argmax(shape))  # the longest axis varies slowest
        fast = [a for a in range(3) if a != slow]
        strides = [0, 0, 0]
        strides[fast[1]], strides[fast[0]] = 1, shape[fast[1]]
        strides[slow] = shape[fast[0]] * shape[fast[1]]
        self.strides = tuple(strides)
        self.bandwidth = strides[slow]
        self._ab = np.empty((op.size, self.bandwidth + 1))
        self._x = np.empty(op.size)
        self.n_factorisations = 0
        self.factorise(op)

    @staticmethod
    def bandwidth_of(shape) -> int:
        """Half-bandwidth of a grid of ``shape`` in this backend's numbering."""
        return int(np.prod(shape) // max(shape))

    def factorise(self, op: StencilOperator) -> None:
        d = op.shift if op.shift is not None else np.zeros(op.shape)
        status = la.band_cholesky_stencil(*op.g, d, *self.strides, self._ab)
        self.n_factorisations += 1
        if status:
            raise ConvergenceError(
                f"band Cholesky: the operator is not positive definite (cell {status - 1} of "
                f"{op.size}); the problem has no fixed temperature or potential")

    def update(self, op: StencilOperator) -> None:
        pass  # kept: LinearSolver renews it when it preconditions badly

    def __call__(self, r, z):
        la.band_cholesky_stencil_solve(self._ab, *self.strides, r, z, self._x)


class JacobiBackend:
    """The inverse diagonal of the operator (0 on inactive cells)."""

    name = "jacobi"
    reuses_factor = False

    def __init__(self, op: StencilOperator):
        self.update(op)

    def update(self, op: StencilOperator) -> None:
        self._dinv = np.empty(op.shape)
        la.jacobi_inverse(*op.g, op.shift if op.shift is not None else np.zeros(op.shape), self._dinv)

    def __call__(self, r, z):
        np.multiply(self._dinv, r, out=z)


class MultigridBackend:
    """One V-cycle of the aggregation multigrid (see module docstring).

    n_smooth : smoothing sweeps before and after each coarse correction.
    smoother : "zline" (zebra z-line Gauss-Seidel, robust for flat cells dz << dx) or
        "point" (red-black point Gauss-Seidel).
    coarse_cells : the hierarchy stops at or below this many cells (banded Cholesky there,
        refactorised at every update: on the default 3D pot 1000 stopped at 7 x 7 x 13 cells,
        a 4.8 ms factorisation per heat update, 200 stops at 4 x 4 x 7, 1.2 ms, with the same
        PCG iterations, 25 to 1e-10 from a random right-hand side).
    scale : over-correction factor of the piecewise-constant coarse correction.
    """

    name = "multigrid"
    reuses_factor = False

    def __init__(self, op: StencilOperator, n_smooth: int = 2, coarse_cells: int = 200, scale: float = 1.8,
                 smoother: str = "zline"):
        if smoother not in ("zline", "point"):
            raise ValueError(f"smoother must be 'zline' or 'point', got {smoother!r}")
        self.n_smooth, self.scale, self.smoother = n_smooth, scale, smoother
        self.coarse_cells = coarse_cells
        self.shape = op.shape
        self._build_levels()
        self.update(op)

    def _build_levels(self) -> None:
        shapes, factors = [self.shape], []
        while np.prod(shapes[-1]) > self.coarse_cells and max(shapes[-1]) > 1:
            f = tuple(2 if n > 1 else 1 for n in shapes[-1])
            factors.append(f)
            shapes.append(mg.coarse_shape(*shapes[-1], *f))
        self.shapes, self.factors = shapes, factors
        self.g = [None] + [tuple(np.empty(tuple(n + (a == ax) for ax, n in enumerate(s)))
                                 for a in range(3)) for s in shapes[1:]]
        self.b = [None] + [np.empty(s) for s in shapes[1:]]
        self.x = [None] + [np.empty(s) for s in shapes[1:]]
        self.r = [np.empty(s) for s in shapes]
        self.d = [None] * len(shapes)

    def update(self, op: StencilOperator) -> None:
        """New fine coefficients: recompute the Galerkin hierarchy (one cheap pass; the shift
        coarsens to its aggregate sums) and the line factors."""
        self.g[0] = op.g
        shift = op.shift
        if shift is not None:
            if self.d[0] is None or len(self.d) > 1 and self.d[1] is None:
                self.d = [None] + [np.empty(s) for s in self.shapes[1:]]
            self.d[0] = shift
        else:
            self.d = [None] * len(self.shapes)
        for lev, f in enumerate(self.factors):
            _set_threads(np.prod(self.shapes[lev]), exact=True)
            for a in range(3):
                mg.coarsen_faces(self.g[lev][a], a, *f, self.g[lev + 1][a])
            if shift is not None:
                mg.restrict_sum(self.d[lev], *f, self.d[lev + 1])
        # coarsest level (<= coarse_cells unknowns): banded Cholesky (bandwidth n1 n2)
        nc = self.shapes[-1]
        self._coarse_bw = nc[1] * nc[2] if nc[0] > 1 else (nc[2] if nc[1] > 1 else 1)
        self._coarse_factor = mg.dense_matrix(*self.g[-1])
        if shift is not None:
            full = StencilOperator(*self.g[-1], self.d[-1]).diagonal().reshape(-1)
            idx = np.arange(full.size)
            self._coarse_factor[idx, idx] = np.where(full > 0.0, full, 1.0)
        # z-line smoother: Thomas factors of every level once per operator
        self.line = [None] * len(self.shapes)
        # levels whose every cell has a pivot (z-line smoother, shifted operator): the residual
        # after a half sweep is computed on the other colour only (``_vcycle``)
        self._all_active = [False] * len(self.shapes)
        if self.smoother == "zline":
            for lev, shp in enumerate(self.shapes[:-1]):
                _set_threads(np.prod(shp), exact=True)
                d = self.d[lev] if shift is not None else np.zeros(shp)
                cp, inv = np.empty(shp), np.empty(shp)
                mg.line_factors_z(*self.g[lev], d, cp, inv)
                self.line[lev] = (cp, inv)
                self._all_active[lev] = shift is not None and bool(np.all(inv != 0.0))
        status = mg.band_cholesky(self._coarse_factor, self._coarse_bw)
        if status:
            raise ConvergenceError(
                "multigrid: the coarsest operator is singular; the problem has no fixed "
                "potential (add a Dirichlet or Robin boundary)")

    def _vcycle(self, lev, b, x, zero=False):
        """x += (the V-cycle of level lev) applied to b; ``zero``: x is taken as 0 and
        written, not read (the correction of every level starts at 0: the first half sweep
        is ``line_gauss_seidel_z_from_zero``, the same numbers as a fill and a sweep)."""
        gx, gy, gz = self.g[lev]
        _set_threads(b.size, exact=True)  # no sums in a V-cycle: its own size (see above)
        if lev == len(self.shapes) - 1:  # writes every x (reads none of it)
            mg.band_cholesky_solve(self._coarse_factor, self._coarse_bw, b.reshape(-1), x.reshape(-1))
            return
        for k in range(self.n_smooth):
            if k == 0 and zero and self.line[lev] is not None:
                mg.line_gauss_seidel_z_from_zero(gz, *self.line[lev], b, x, 0)
            else:
                if k == 0 and zero:
                    x[...] = 0.0
                self._smooth(lev, b, x, 0)
            self._smooth(lev, b, x, 1)
        if zero and self.n_smooth == 0:
            x[...] = 0.0
        f = self.factors[lev]
        if self.d[lev] is None:  # the residual's aggregate sums in one pass (the same numbers)
            mg.residual_restrict_unshifted(gx, gy, gz, x, b, *f, self.b[lev + 1])
        elif self.n_smooth > 0 and self._all_active[lev]:
            # the last half sweep solved the columns of colour 1 exactly: their residual is 0
            # up to rounding, so only colour 0's is computed
            mg.residual_restrict_line_solved(gx, gy, gz, self.d[lev], x, b, *f, self.b[lev + 1], 1)
        else:
            mg.residual_restrict(gx, gy, gz, self.d[lev], x, b, *f, self.b[lev + 1])
        xc = self.x[lev + 1]
        self._vcycle(lev + 1, self.b[lev + 1], xc, zero=True)
        _set_threads(b.size, exact=True)
        mg.prolong_add(xc, *f, self.scale, x)
        for _ in range(self.n_smooth):
            self._smooth(lev, b, x, 1)
            self._smooth(lev, b, x, 0)

    def _smooth(self, lev, b, x, colour):
        d = self.d[lev]
        if self.line[lev] is not None:  # z-line smoother (factors built in update)
            mg.line_gauss_seidel_z_factored(*self.g[lev], *self.line[lev], b, x, colour)
        elif d is not None:
            mg.gauss_seidel_colour_shifted(*self.g[lev], d, b, x, colour)
        else:
            mg.gauss_seidel_colour(*self.g[lev], b, x, colour)

    def __call__(self, r, z):
        self._vcycle(0, r, z, zero=True)  # z = M^-1 r from z = 0 (written, not read)
        _set_threads(r.size)  # the PCG's sums: their own size


BACKENDS = {"lu": LUBackend, "cholesky": CholeskyBackend, "multigrid": MultigridBackend,
            "jacobi": JacobiBackend}


# ----------------------------------------------------------------------------- the solver
class LinearSolver:
    """An operator, a preconditioner backend (by name, from ``BACKENDS``) and its reuse
    policy; ``options`` go to the backend's constructor.

    ``update`` takes new coefficients (a StencilOperator or gx, gy, gz[, shift]); backends
    that keep a factorisation (``reuses_factor``) then precondition with the stale one, and
    renew it when a solve needs more than ``refactor_after`` iterations.
    """

    def __init__(self, op: StencilOperator, backend: str = "multigrid", refactor_after: int = 8, **options):
        if op.g_hi is not None:
            raise ValueError("the PCG takes symmetric operators only (g_hi is None)")
        if backend not in BACKENDS:
            raise ValueError(f"solver backend must be one of {sorted(BACKENDS)}, got {backend!r}")
        self.op, self.backend_name, self.refactor_after = op, backend, refactor_after
        self.backend = BACKENDS[backend](op, **options)
        self.shape = op.shape
        self.last_iterations = 0
        self._stale = False
        self._work = np.empty((5,) + tuple(op.shape))  # PCG scratch, reused by every solve
        self._state = np.empty(9)  # the band PCG kernel's state (``solve_band``)
        self._inactive = self._inactive_cells(op)

    @property
    def n_factorisations(self) -> int:
        return getattr(self.backend, "n_factorisations", 0)

    @property
    def ops(self):
        return self.op.g

    @property
    def shift(self):
        return self.op.shift

    def update(self, gx, gy=None, gz=None, shift=None) -> None:
        """New coefficients: a StencilOperator, or face conductances (and a shift)."""
        op = gx if isinstance(gx, StencilOperator) else StencilOperator(gx, gy, gz, shift)
        self.op = op
        self.backend.update(op)
        self._stale = self.backend.reuses_factor
        self._inactive = self._inactive_cells(op)

    def reuse(self, op: StencilOperator) -> None:
        """New coefficients for the PCG, the preconditioner kept as it was built (still a
        valid symmetric positive definite one for nearby coefficients: only the iterations
        can grow). The caller keeps the zero pattern (the inactive cells stay those of the
        build); cellsim.fields.heat_linear.ShiftedSolver decides how near is near enough."""
        self.op = op

    @staticmethod
    def _inactive_cells(op: StencilOperator):
        """Cells without any coefficient (mask), None if there are none; once per operator
        (coefficients changed in place need ``update``, as the backends do)."""
        mask = op.diagonal() == 0.0
        return mask if mask.any() else None

    def solve(self, b, x0=None, rtol: float = 1e-10, maxiter: int = 300, want: float | None = None,
              l1_max: float | None = None):
        """x with ||b - op x|| <= rtol ||b|| (towards ``want``; see ``pcg``); b (n0, n1, n2);
        returns x (a new array). Cells without any coefficient get 0."""
        x = np.zeros(self.shape) if x0 is None else np.array(x0, dtype=np.float64)
        name = f"{self.backend_name} PCG"
        if self._stale:  # a kept factorisation of other coefficients: try it first
            try:
                self.last_iterations = pcg(self.op, self.backend, b, x, rtol, self.refactor_after,
                                           name + " (reused factorisation)", want, self._work, l1_max)
                return self._finish(x)
            except ConvergenceError:  # continue from the iterate reached, with a new one
                self.backend.factorise(self.op)
                self._stale = False
        return self._solve_fresh(b, x, rtol, maxiter, want, l1_max, name)

    def _solve_fresh(self, b, x, rtol, maxiter, want, l1_max, name):
        """``solve`` with a factorisation of the operator (or a backend without one) from x."""
        try:
            self.last_iterations = pcg(self.op, self.backend, b, x, rtol, maxiter, name, want, self._work, l1_max)
        except ConvergenceError:
            if not self.backend.reuses_factor:
                raise
            # a new factorisation and no initial guess: from a warm x0 the residual b - A x0
            # carries the cancellation error of A x0, which can exceed rtol ||b||
            self.backend.factorise(self.op)
            x = np.zeros(self.shape)
            self.last_iterations = pcg(self.op, self.backend, b, x, rtol, maxiter, name, want, self._work, l1_max)
        return self._finish(x)

    def solve_band(self, b, x0, rtol: float, maxiter: int, want: float | None = None):
        """``solve(b, x0, rtol, maxiter, want)`` (no ``l1_max``) of the band Cholesky backend
        on one thread, the PCG kernel called here without ``pcg`` and ``_pcg_band`` between
        (the r-z heat Newton's solves: fewer Python calls, the same operations in the same
        order, so the same x bit for bit). A solve the kernel does not finish (a stall, whose
        decision needs the rounding floor; maxiter; a breakdown) continues as ``solve`` would:
        ``_pcg_band_resume``, and on its ConvergenceError a new factorisation."""
        backend = self.backend
        _set_threads(b.size)
        if not isinstance(backend, CholeskyBackend) or self.op.shift is None or kernel_threads.threads() != 1:
            return self.solve(b, x0=x0, rtol=rtol, maxiter=maxiter, want=want)
        x = np.zeros(self.shape) if x0 is None else np.array(x0, dtype=np.float64)
        want = rtol if want is None else min(rtol, max(want, 1e-15))  # as pcg
        stale = self._stale
        limit = self.refactor_after if stale else maxiter
        op, work, state = self.op, self._work, self._state
        gx, gy, gz = op.g
        s0, s1, s2 = backend.strides
        code = la.pcg_band_cholesky_start(gx, gy, gz, op.shift, backend._ab, s0, s1, s2, b, x, want, limit,
                                          state, work, backend._x)
        if code == 0:
            self.last_iterations = int(state[0])
            return self._finish(x)
        name = f"{self.backend_name} PCG"
        try:
            self.last_iterations = _pcg_band_resume(op, backend, b, x, rtol, limit,
                                                    name + (" (reused factorisation)" if stale else ""),
                                                    want, work, state, code)
            return self._finish(x)
        except ConvergenceError:
            if not stale:  # as solve: a new factorisation and no initial guess
                self.backend.factorise(self.op)
                x = np.zeros(self.shape)
                self.last_iterations = pcg(self.op, self.backend, b, x, rtol, maxiter, name, want, self._work)
                return self._finish(x)
            self.backend.factorise(self.op)  # as solve: continue from the iterate reached
            self._stale = False
        return self._solve_fresh(b, x, rtol, maxiter, want, None, name)

    def _finish(self, x):
        if self._inactive is not None:  # cells without any conductance: 0 by convention
            x[self._inactive] = 0.0
        return x


def DirectSolver(gx, gy, gz, refactor_after: int = 8) -> LinearSolver:
    """PCG with the symmetric sparse LU of A (reused across updates); 2D r-z grids."""
    return LinearSolver(StencilOperator(gx, gy, gz), "lu", refactor_after=refactor_after, symmetric=True)


def MultigridSolver(gx, gy, gz, n_smooth: int = 2, coarse_cells: int = 200, scale: float = 1.8,
                    smoother: str = "zline", shift=None) -> LinearSolver:
    """PCG with a multigrid V-cycle of A (+ diag shift); 3D grids."""
    return LinearSolver(StencilOperator(gx, gy, gz, shift), "multigrid", n_smooth=n_smooth,
                        coarse_cells=coarse_cells, scale=scale, smoother=smoother)


# Below this band work (cells x half-bandwidth^2 of CholeskyBackend) a 2D grid takes the band
# Cholesky; above it SuperLU's fill-reducing ordering wins. Measured by whole campaigns with
# either backend (benchmarks/bench_backend.py, 10-day campaigns, 2026-11-29, docs/speed.md):
# the reference cells' "fine" r-z grids (1.2e8, 1.5e8) run 1.64x and 1.45x faster on the band,
# their 3x grids (6.1e8, 7.7e8) 0.94x and 0.90x, their 4x grids (1.9e9, 2.5e9) 0.79x and 0.74x;
# the default r-z pots are at 7.5e6 and 9.6e6 (2.2x and 1.9x). [numerical]
CHOLESKY_MAX_WORK = 3e8


def default_backend(shape, kind: str = "auto") -> str:
    """The backend for a grid: "direct" (and "auto" on 2D grids below 3e5 cells) is the band
    Cholesky when its work is below CHOLESKY_MAX_WORK, else the symmetric "lu"; "auto" on 3D
    grids is multigrid."""
    n0, n1, n2 = shape
    aliases = {"iterative": "multigrid"}
    kind = aliases.get(kind, kind)
    flat = (n1 == 1 or n0 == 1) and n0 * n1 * n2 < 300_000
    if kind == "direct" or (kind == "auto" and flat):
        n = n0 * n1 * n2
        return "cholesky" if n * CholeskyBackend.bandwidth_of(shape) ** 2 <= CHOLESKY_MAX_WORK else "lu"
    if kind == "auto":
        return "multigrid"
    if kind not in BACKENDS:
        raise ValueError(f"solver kind must be 'auto', 'direct', 'multigrid' or one of {sorted(BACKENDS)}, "
                         f"got {kind!r}")
    return kind


def make_solver(gx, gy, gz, kind: str = "auto") -> LinearSolver:
    """A solver of the (unshifted) operator; ``kind`` as ``default_backend``."""
    op = StencilOperator(gx, gy, gz)
    backend = default_backend(op.shape, kind)
    return LinearSolver(op, backend, **({"symmetric": True} if backend == "lu" else {}))
