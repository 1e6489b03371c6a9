"""Linear solvers for the conductance operator of cellsim.kernels.fv (tier 3).

Every solver solves A u = b for A given by its face conductances (gx, gy, gz) [S] and
shares one interface:

    solver.update(gx, gy, gz)   # new coefficients (the preconditioner may be reused)
    u = solver.solve(b, x0=None, rtol=1e-10)

``MultigridSolver`` also takes an optional non-negative diagonal shift d per cell
(``shift=``, in the constructor and in ``update``): it then solves (A + diag d) u = b,
e.g. with the backward-Euler mass term V rho c / dt of a heat step. Without a shift the
behaviour is unchanged.

Both are preconditioned conjugate gradients on the true operator, so a preconditioner
built for earlier coefficients stays valid (only slower) when conductivities change a
little; the stopping test is always the true residual ||b - A u|| <= rtol ||b||.

* ``DirectSolver``: sparse LU (SuperLU) of A as the preconditioner; exact on the
  coefficients it was factorised for (1 iteration), refactorised only when the reused
  factorisation needs more than ``refactor_after`` iterations. Best for 2D r-z grids.
* ``MultigridSolver``: PCG with a V-cycle of the aggregation multigrid of
  cellsim.kernels.multigrid (red-black Gauss-Seidel smoothing, Galerkin coarse grids).
  For 3D grids (and large 2D ones); memory ~ 12 cell arrays.
"""

from __future__ import annotations

import numba
import numpy as np

from cellsim.kernels import fv
from cellsim.kernels import heat as hk
from cellsim.kernels import multigrid as mg


class ConvergenceError(RuntimeError):
    """A field solve did not reach its tolerance (or produced non-finite values)."""


# Below this many cells a kernel runs on one thread: launching the thread team costs
# ~20 us on an idle machine but up to a scheduler slice (~8 ms) on a busy shared one.
# On a loaded machine (more runnable processes than cores) every parallel region waits for
# a descheduled thread; set_max_threads(1) is then faster (measured 1.8 s vs 4.4 s, 128^3).
PARALLEL_MIN_CELLS = 200_000
_MAX_THREADS = [numba.config.NUMBA_NUM_THREADS]


def set_max_threads(n: int | None) -> None:
    """Threads used by the solver kernels (None: NUMBA_NUM_THREADS)."""
    _MAX_THREADS[0] = numba.config.NUMBA_NUM_THREADS if n is None else max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))


def _set_threads(n_cells: int) -> None:
    numba.set_num_threads(_MAX_THREADS[0] if n_cells >= PARALLEL_MIN_CELLS else 1)


def _rounding_floor(ops, x, shift=None):
    """Smallest attainable ||b - A x|| in float64: 4 eps ||D |x|||, D = diag(A) [A].

    With strong conductivity contrasts this can exceed rtol ||b||; a solve whose true
    residual is below it is accurate to machine precision and is accepted.
    """
    gx, gy, gz = ops
    d = gx[:-1] + gx[1:] + gy[:, :-1] + gy[:, 1:] + gz[:, :, :-1] + gz[:, :, 1:]
    if shift is not None:
        d = d + shift
    return 4.0 * np.finfo(float).eps * float(np.linalg.norm(d * np.abs(x)))


def _pcg(ops, precondition, b, x, rtol, maxiter, name, shift=None):
    """Preconditioned CG on A = apply_operator(*ops) (+ diag(shift)); returns (x, iterations).

    Stops when the true residual ||b - A x|| <= rtol ||b||, or when it stagnates below
    the rounding floor.
    """
    gx, gy, gz = ops
    _set_threads(b.size)
    if shift is not None:
        def residual(gx, gy, gz, x, b, r):
            return hk.shifted_residual(gx, gy, gz, shift, x, b, r)
    else:
        residual = fv.residual
    r = np.empty_like(b)
    bnorm = np.sqrt(mg.dot(b.reshape(-1), b.reshape(-1)))
    if bnorm == 0.0:
        x[...] = 0.0
        return x, 0
    rr = residual(gx, gy, gz, x, b, r)
    z, q = np.zeros_like(b), np.empty_like(b)
    p = np.zeros_like(b)
    fx, fr, fz, fp, fq = (v.reshape(-1) for v in (x, r, z, p, q))
    rz_old, best, stalls, tail = 1.0, np.inf, 0, False
    rt = np.empty_like(b)
    for it in range(1, maxiter + 1):
        if tail or np.sqrt(rr) <= rtol * bnorm:
            # confirm with the true residual (the recursive one drifts below round-off);
            # from the first failed confirmation on, check every iteration
            true = np.sqrt(residual(gx, gy, gz, x, b, rt))
            if true <= rtol * bnorm:
                return x, it - 1
            tail = True
            stalls = stalls + 1 if true > 0.5 * best else 0
            best = min(best, true)
            # stagnating below the rounding floor: machine precision is reached
            if stalls >= 3 and true <= _rounding_floor(ops, x, shift):
                return x, it - 1
        precondition(r, z)
        rz = mg.dot(fr, fz)
        mg.xpby(fz, rz / rz_old if it > 1 else 0.0, fp)
        if shift is None:
            fv.apply_operator(gx, gy, gz, p, q)
            pq = mg.dot(fp, fq)
        else:
            pq = hk.apply_shifted(gx, gy, gz, shift, p, q)
        if not (pq > 0.0 and np.isfinite(rz)):
            break
        rr = mg.cg_step(fx, fr, fp, fq, rz / pq)
        rz_old = rz
    rr = residual(gx, gy, gz, x, b, r)
    if np.isfinite(rr) and np.sqrt(rr) <= max(rtol * bnorm, _rounding_floor(ops, x, shift)):
        return x, maxiter
    raise ConvergenceError(
        f"{name}: no convergence to relative residual {rtol:.1e} in {maxiter} iterations "
        f"(reached {np.sqrt(rr) / bnorm:.2e}); check for a floating region (no path to a "
        "fixed potential) or non-positive coefficients")


class DirectSolver:
    """Sparse LU (reused across coefficient updates) inside PCG; see module docstring."""

    def __init__(self, gx, gy, gz, refactor_after: int = 8):
        self.refactor_after = refactor_after
        self.n_factorisations = 0
        self.update(gx, gy, gz)
        self._factorise()

    def update(self, gx, gy, gz) -> None:
        self.ops = (gx, gy, gz)
        self.shape = (gx.shape[0] - 1, gy.shape[1] - 1, gz.shape[2] - 1)
        self._current = False

    def _factorise(self) -> None:
        import scipy.sparse  # imported here: keeps start-up of multigrid-only runs short
        import scipy.sparse.linalg

        indptr, indices, data = fv.assemble_csr(*self.ops)
        n = indptr.size - 1
        a = scipy.sparse.csc_matrix((data, indices, indptr), shape=(n, n))  # A is symmetric
        self._lu = scipy.sparse.linalg.splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                                            options={"SymmetricMode": True})
        self._current = True
        self.n_factorisations += 1

    def _precondition(self, r, z):
        z[...] = self._lu.solve(r.reshape(-1)).reshape(r.shape)

    def solve(self, b, x0=None, rtol: float = 1e-10, maxiter: int = 200):
        """Solve A u = b; b (n0, n1, n2) [A]; returns u [V] (new array)."""
        x = np.zeros(self.shape) if x0 is None else np.array(x0, dtype=np.float64)
        if not self._current:
            try:
                x, it = _pcg(self.ops, self._precondition, b, x, rtol, self.refactor_after,
                             "DirectSolver(reused LU)")
                self.last_iterations = it
                return x
            except ConvergenceError:
                self._factorise()
        x, it = _pcg(self.ops, self._precondition, b, x, rtol, maxiter, "DirectSolver")
        self.last_iterations = it
        return x


class MultigridSolver:
    """PCG with an aggregation-multigrid V-cycle; see module docstring.

    n_smooth : smoothing sweeps before and after each coarse correction.
    smoother : "zline" (zebra z-line Gauss-Seidel, robust for flat cells dz << dx) or
        "point" (red-black point Gauss-Seidel).
    coarse_cells : the hierarchy stops at or below this many cells (banded Cholesky there).
    scale : over-correction factor of the piecewise-constant coarse correction.
    """

    def __init__(self, gx, gy, gz, n_smooth: int = 2, coarse_cells: int = 1000, scale: float = 1.8,
                 smoother: str = "zline", shift=None):
        if smoother not in ("zline", "point"):
            raise ValueError(f"smoother must be 'zline' or 'point', got {smoother!r}")
        self.n_smooth, self.scale, self.smoother = n_smooth, scale, smoother
        self.coarse_cells = coarse_cells
        self.shape = (gx.shape[0] - 1, gy.shape[1] - 1, gz.shape[2] - 1)
        self._build_levels()
        self.update(gx, gy, gz, shift)

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

    def update(self, gx, gy, gz, shift=None) -> None:
        """New fine conductances (and optional shift d >= 0 per cell [S]): recompute the
        Galerkin hierarchy (one cheap pass; the shift coarsens to its aggregate sums)."""
        self.ops = (gx, gy, gz)
        self.g[0] = self.ops
        if shift is not None:
            shift = np.ascontiguousarray(shift, dtype=np.float64).reshape(self.shape)
            if self.d[0] is None or len(self.d) > 1 and self.d[1] is None:
                self.d = [None] + [np.empty(s) for s in self.shapes[1:]]
            self.d[0] = shift
        else:
            self.d = [None] * len(self.shapes)
        self.shift = shift
        for lev, f in enumerate(self.factors):
            _set_threads(np.prod(self.shapes[lev]))
            for a in range(3):
                mg.coarsen_faces(self.g[lev][a], a, *f, self.g[lev + 1][a])
            if shift is not None:
                mg.restrict_sum(self.d[lev], *f, self.d[lev + 1])
        # coarsest level (<= coarse_cells unknowns): banded Cholesky (bandwidth n1 n2)
        nc = self.shapes[-1]
        self._coarse_bw = nc[1] * nc[2] if nc[0] > 1 else (nc[2] if nc[1] > 1 else 1)
        self._coarse_factor = mg.dense_matrix(*self.g[-1])
        if shift is not None:
            gcx, gcy, gcz = self.g[-1]
            dg = (gcx[:-1] + gcx[1:] + gcy[:, :-1] + gcy[:, 1:] + gcz[:, :, :-1] + gcz[:, :, 1:]).reshape(-1)
            full = dg + self.d[-1].reshape(-1)
            idx = np.arange(full.size)
            self._coarse_factor[idx, idx] = np.where(full > 0.0, full, 1.0)
        # z-line smoother: Thomas factors of every level once per operator
        self.line = [None] * len(self.shapes)
        if self.smoother == "zline":
            for lev, shp in enumerate(self.shapes[:-1]):
                _set_threads(np.prod(shp))
                d = self.d[lev] if shift is not None else np.zeros(shp)
                cp, inv = np.empty(shp), np.empty(shp)
                mg.line_factors_z(*self.g[lev], d, cp, inv)
                self.line[lev] = (cp, inv)
        status = mg.band_cholesky(self._coarse_factor, self._coarse_bw)
        if status:
            raise ConvergenceError(
                "MultigridSolver: the coarsest operator is singular; the problem has no fixed "
                "potential (add a Dirichlet or Robin boundary)")

    def _vcycle(self, lev, b, x):
        gx, gy, gz = self.g[lev]
        _set_threads(b.size)
        if lev == len(self.shapes) - 1:
            mg.band_cholesky_solve(self._coarse_factor, self._coarse_bw, b.reshape(-1), x.reshape(-1))
            return
        for _ in range(self.n_smooth):
            self._smooth(lev, b, x, 0)
            self._smooth(lev, b, x, 1)
        if self.d[lev] is None:
            fv.residual(gx, gy, gz, x, b, self.r[lev])
        else:
            hk.shifted_residual(gx, gy, gz, self.d[lev], x, b, self.r[lev])
        f = self.factors[lev]
        mg.restrict_sum(self.r[lev], *f, self.b[lev + 1])
        xc = self.x[lev + 1]
        xc[...] = 0.0
        self._vcycle(lev + 1, self.b[lev + 1], xc)
        _set_threads(b.size)
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

    def _precondition(self, r, z):
        z[...] = 0.0
        self._vcycle(0, r, z)
        _set_threads(r.size)

    def solve(self, b, x0=None, rtol: float = 1e-10, maxiter: int = 300):
        """Solve A u = b; b (n0, n1, n2) [A]; returns u [V] (new array)."""
        x = np.zeros(self.shape) if x0 is None else np.array(x0, dtype=np.float64)
        x, it = _pcg(self.ops, self._precondition, b, x, rtol, maxiter, "MultigridSolver", self.shift)
        self.last_iterations = it
        gx, gy, gz = self.ops
        diag = gx[:-1] + gx[1:] + gy[:, :-1] + gy[:, 1:] + gz[:, :, :-1] + gz[:, :, 1:]
        inactive = (diag if self.shift is None else diag + self.shift) == 0.0
        x[inactive] = 0.0  # cells without any conductance carry no potential (0 by convention)
        return x


def make_solver(gx, gy, gz, kind: str = "auto"):
    """A solver for the operator; "auto" = direct for 2D grids below 3e5 cells, else multigrid."""
    n0, n1, n2 = gx.shape[0] - 1, gy.shape[1] - 1, gz.shape[2] - 1
    if kind == "auto":
        kind = "direct" if (n1 == 1 or n0 == 1) and n0 * n1 * n2 < 300_000 else "multigrid"
    if kind == "direct":
        return DirectSolver(gx, gy, gz)
    if kind == "multigrid":
        return MultigridSolver(gx, gy, gz)
    raise ValueError(f"solver kind must be 'auto', 'direct' or 'multigrid', got {kind!r}")
