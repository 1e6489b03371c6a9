"""Linear solves of the heat equation: (A + diag d) x = b (tier 3).

A is the conductance operator of cellsim.kernels.fv (face conductances [W/K]) and d [W/K]
the backward-Euler mass term V rho c / dt (times the linearised heat capacity); d = 0 is a
steady solve. The solvers of cellsim.fields.solvers take face conductances only, so:

* 2D r-z grids (one azimuthal cell): the two azimuthal faces of every cell are boundary
  faces whose outside value is 0, so putting d/2 on each of them adds exactly diag(d).
  That runs the reused-LU ``DirectSolver`` unchanged (one back-substitution per solve while
  the coefficients stay the same, PCG on the stale factorisation when they change a little).
* 3D grids, d > 0: Jacobi-preconditioned CG of cellsim.kernels.heat (the mass term makes
  the system well conditioned for the time steps of a transient); d = 0: the multigrid
  PCG of cellsim.fields.solvers.
"""

from __future__ import annotations

import numpy as np

from cellsim.fields.solvers import ConvergenceError, make_solver
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

    def solve(self, g, d, b, x0=None, rtol: float = 1e-12, maxiter: int = 5000) -> np.ndarray:
        """x [K] for face conductances g = (gx, gy, gz) [W/K], shift d and rhs b [W]."""
        x = np.zeros(self.shape) if x0 is None else np.array(x0, dtype=np.float64)
        if self.kind == "direct":
            gy = np.empty((self.shape[0], 2, self.shape[2]))
            gy[:, 0, :] = 0.5 * d[:, 0, :]
            gy[:, 1, :] = 0.5 * d[:, 0, :]
            ops = (g[0], gy, g[2])
            if self._direct is None:
                self._direct = make_solver(*ops, kind="direct")
            else:
                self._direct.update(*ops)
            x = self._direct.solve(b, x0=x, rtol=rtol, maxiter=200)
            self.last_iterations = self._direct.last_iterations
            return x
        if not np.any(d):
            if self._mg is None:
                self._mg = make_solver(*g, kind="multigrid")
            else:
                self._mg.update(*g)
            x = self._mg.solve(b, x0=x, rtol=rtol)
            self.last_iterations = self._mg.last_iterations
            return x
        it = hk.pcg_jacobi(g[0], g[1], g[2], np.ascontiguousarray(d), b, x, rtol, maxiter)
        if it < 0:
            raise ConvergenceError(f"heat: Jacobi-PCG did not reach relative residual {rtol:.1e} "
                                   f"in {maxiter} iterations")
        self.last_iterations = it
        return x
