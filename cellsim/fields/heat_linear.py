"""Linear solves of the heat equation: (A + diag d) x = b (tier 3).

A is the conductance operator of cellsim.kernels.fv (face conductances [W/K]) and d [W/K]
the backward-Euler mass term V rho c / dt (times the linearised heat capacity); d = 0 is a
steady solve. The solvers of cellsim.fields.solvers take face conductances only, so:

* 2D r-z grids: sparse LU (SuperLU with partial pivoting: the pot's conductances span six
  decades, where the no-pivot symmetric LU of cellsim.fields.solvers.DirectSolver stalls
  near 1e-10) of A + diag(d), kept while the coefficients stay the same (one
  back-substitution per step of a linear transient); when they change (Newton on
  radiation, phase change) the old factorisation preconditions CG, and a new one is made
  when that takes more than ``refactor_after`` iterations.
* 3D grids: the multigrid PCG of cellsim.fields.solvers with the shift (A + diag d
  coarsens exactly), except for short time steps, where the mass term dominates
  (sum d > 3 % of sum diag A) and Jacobi-preconditioned CG of cellsim.kernels.heat is
  cheaper.
"""

from __future__ import annotations

import numpy as np

import scipy.sparse
import scipy.sparse.linalg

from cellsim.fields.solvers import ConvergenceError, MultigridSolver
from cellsim.kernels import fv
from cellsim.kernels import heat as hk


class ShiftedSolver:
    """Solver of (A + diag d) x = b on one grid shape; keeps factorisations between calls.

    kind : "auto", "direct" (2D only) or "iterative" (3D: Jacobi-PCG / multigrid).
    """

    def __init__(self, shape: tuple[int, int, int], kind: str = "auto"):
        self.shape = tuple(shape)
        axisym = self.shape[1] == 1
        if kind == "auto":
            kind = "direct" if axisym else "iterative"
        if kind not in ("direct", "iterative"):
            raise ValueError(f"heat solver kind must be 'auto', 'direct' or 'iterative', got {kind!r}")
        if kind == "direct" and not axisym:
            raise ValueError("the direct heat solver needs a grid with one cell along axis 1 (r-z)")
        self.kind = kind
        self._direct = None
        self._mg = None
        self.last_iterations = 0
        self.multigrid_below = 0.03  # sum(d) / sum(diag A) below which 3D uses multigrid

    def solve(self, g, d, b, x0=None, rtol: float = 1e-12, maxiter: int = 5000,
              atol_rel: float | None = None) -> np.ndarray:
        """x [K] for face conductances g = (gx, gy, gz) [W/K], shift d and rhs b [W].

        Required: ||b - (A + diag d) x|| <= rtol ||b||. ``atol_rel`` (<= rtol) is the
        accuracy wanted: iterations continue towards it, and a solve that stagnates at
        round-off between the two is accepted.
        """
        x = np.zeros(self.shape) if x0 is None else np.array(x0, dtype=np.float64)
        want = rtol if atol_rel is None else min(rtol, max(atol_rel, 1e-15))
        if self.kind == "direct":
            return self._direct_solve(g, d, b, x, rtol, want)
        d = np.ascontiguousarray(d, dtype=np.float64)
        if self._use_multigrid(g, d):
            shift = d if np.any(d) else None
            # the hierarchy is rebuilt only for new coefficients (the same operator, e.g. the
            # second solve of a heater Newton iteration, keeps it); it gets its own copies,
            # which are also the key of that comparison
            key = self._mg_key if self._mg is not None else None
            if key is None or not all(np.array_equal(u, v) for u, v in zip(key, list(g) + [d])):
                gc, dc = [x.copy() for x in g], d.copy()
                n_smooth = 1 if shift is not None else 2
                if self._mg is None:
                    self._mg = MultigridSolver(*gc, shift=dc if shift is not None else None, n_smooth=n_smooth)
                else:
                    self._mg.n_smooth = n_smooth
                    self._mg.update(*gc, shift=dc if shift is not None else None)
                self._mg_key = gc + [dc]
            try:
                x = self._mg.solve(b, x0=x, rtol=want)
            except ConvergenceError:
                if want >= rtol:
                    raise
                x = self._mg.solve(b, x0=x, rtol=rtol)
            self.last_iterations = self._mg.last_iterations
            return x
        it = hk.pcg_jacobi(g[0], g[1], g[2], d, b, x, want, maxiter)
        if it < 0 and want < rtol:
            r = np.empty_like(b)
            if np.sqrt(hk.shifted_residual(g[0], g[1], g[2], d, x, b, r)) \
                    <= rtol * np.sqrt(np.sum(b * b)):
                it = maxiter
        if it < 0:
            raise ConvergenceError(f"heat: Jacobi-PCG did not reach relative residual {rtol:.1e} "
                                   f"in {maxiter} iterations")
        self.last_iterations = it
        return x

    def _use_multigrid(self, g, d) -> bool:
        """3D: multigrid unless the shift dominates the operator (short time steps), where
        Jacobi-PCG converges in few, much cheaper iterations. The switch is on
        sum(d) / sum(diag A): measured on the 64^3 layered box of benchmarks/bench_heat.py, Jacobi
        takes 57 / 158 / 306 iterations at 0.14 / 0.014 / 0.0014, the shifted multigrid
        6-10 / 12-15 / 14-18 at ~10x the cost per iteration."""
        if not np.any(d):
            return True
        gx, gy, gz = g
        diag = (float(gx.sum()) + float(gy.sum()) + float(gz.sum())) * 2.0 \
            - float(gx[0].sum() + gx[-1].sum() + gy[:, 0].sum() + gy[:, -1].sum()
                    + gz[:, :, 0].sum() + gz[:, :, -1].sum())
        return float(d.sum()) < self.multigrid_below * diag

    def _factorise(self, g, d):
        indptr, indices, data = fv.assemble_csr(*g)
        n = indptr.size - 1
        a = scipy.sparse.csr_matrix((data, indices, indptr), shape=(n, n))
        a = (a + scipy.sparse.diags(d.reshape(-1))).tocsc()
        self._lu = scipy.sparse.linalg.splu(a)
        self._key = [x.copy() for x in g] + [d.copy()]
        self.n_factorisations = getattr(self, "n_factorisations", 0) + 1

    def _direct_solve(self, g, d, b, x, rtol, want, refactor_after: int = 10):
        same = self._direct is not None and all(
            np.array_equal(u, v) for u, v in zip(self._key, list(g) + [d]))
        if self._direct is None:
            self._factorise(g, d)
            self._direct = True
        fresh = same
        for attempt in range(2):
            it = _pcg_lu(g, d, b, x, self._lu, rtol, want, refactor_after if not fresh else 50)
            if it >= 0:
                self.last_iterations = it
                return x
            self._factorise(g, d)
            fresh = True
            x[...] = 0.0
        raise ConvergenceError(f"heat: LU-preconditioned CG did not reach {rtol:.1e}")


def _floor(g, d, x) -> float:
    """Smallest attainable ||b - (A + diag d) x|| in float64: 4 eps ||diag |x|||. With the
    conductivity contrasts of a pot (well-mixed melt ~500 W/(m K) against 0.1 in the
    insulation) it can exceed rtol ||b||; a solve that stalls below it is at machine
    precision (the same acceptance as cellsim.fields.solvers)."""
    gx, gy, gz = g
    diag = gx[:-1] + gx[1:] + gy[:, :-1] + gy[:, 1:] + gz[:, :, :-1] + gz[:, :, 1:] + d
    return 4.0 * np.finfo(float).eps * float(np.linalg.norm(diag * np.abs(x)))


def _pcg_lu(g, d, b, x, lu, rtol, want, maxiter):
    """CG on (A + diag d) x = b preconditioned by a (possibly stale) LU; -1 on failure.

    Stops at ||r|| <= want ||b||; at maxiter or when the residual stops halving (round-off)
    the solve is accepted if ||r|| <= rtol ||b||.
    """
    r = np.empty_like(b)
    q = np.empty_like(b)
    bb = np.sqrt(np.sum(b * b))
    if bb == 0.0:
        x[...] = 0.0
        return 0
    rr = hk.shifted_residual(*g, d, x, b, r)
    p = None
    rz = 1.0
    best = np.inf
    for it in range(maxiter + 1):
        res = np.sqrt(rr)
        if res <= want * bb:
            return it
        if (it == maxiter or res > 0.5 * best) and res <= max(rtol * bb, _floor(g, d, x)):
            return it  # required accuracy (or the float64 floor) reached, no more progress
        best = min(best, res)
        if it == maxiter:
            break
        z = lu.solve(r.reshape(-1)).reshape(b.shape)
        rz_new = float(np.sum(r * z))
        p = z if p is None else z + (rz_new / rz) * p
        rz = rz_new
        pq = hk._apply_dot(*g, d, p, q)
        if not pq > 0.0:
            break
        alpha = rz / pq
        x += alpha * p
        rr = hk.shifted_residual(*g, d, x, b, r)
    return -1
