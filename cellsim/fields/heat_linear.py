"""Linear solves of the heat equation: (A + diag d) x = b, through cellsim.fields.solvers.

A is the conductance operator of cellsim.kernels.fv (face conductances [W/K]) and d [W/K]
the backward-Euler mass term V rho c / dt (times the linearised heat capacity); d = 0 is a
steady solve. By default (kind "auto", numerics.linear_solver.heat) the backend follows the
grid:

* 2D r-z grids: the "cholesky" backend (band Cholesky of the symmetric positive definite
  A + diag d, assembled from the faces; cellsim.fields.solvers.CholeskyBackend), kept while
  the coefficients stay the same (one back-substitution per step of a linear transient);
  when they change (Newton on radiation, phase change, a remesh) the old factorisation
  preconditions CG, and a new one is made when that takes more than 10 iterations. The
  "lu" backend (SuperLU with partial pivoting, the same policy) is the earlier default;
  both meet the same residual test.
* 3D grids: the "multigrid" backend with the shift (A + diag d coarsens exactly), except
  for short time steps, where the mass term dominates (sum d > 3 % of sum diag A) and the
  "jacobi" backend is cheaper.
"""

from __future__ import annotations

import numpy as np

from cellsim.fields.solvers import LinearSolver, StencilOperator, default_backend
from cellsim.kernels import linalg as la


KINDS = ("auto", "lu", "cholesky", "multigrid", "jacobi")  # "auto" and the backends of cellsim.fields.solvers
ALIASES = {"iterative": "auto-3d"}
DIRECT = ("lu", "cholesky")  # backends that factorise (exact on their coefficients)
HEAT_MG_SCALE = 1.4  # over-correction of the multigrid's piecewise-constant coarse correction
# The multigrid hierarchy is kept while every coefficient of the operator (face conductances
# and shift) stays within this relative change of those it was built for: then
# (1 - delta) A_built <= A <= (1 + delta) A_built, so the kept V-cycle, still a symmetric
# positive definite preconditioner, leaves the PCG's condition number at most
# (1 + delta) / (1 - delta) = 1.105x of a new one's (~5 % more iterations at worst). On the
# default 3D pot (rusal-3kA, 3 h steps) the heat operator moves by 1e-8..1.3e-3 between
# Newton corrections and steps, and 16 recorded steps took the same PCG iterations with the
# hierarchy kept as with one built at every correction (docs/speed.md, heat3d3)
MULTIGRID_REUSE = 0.05
_EMPTY = np.zeros(0)


class ShiftedSolver:
    """Solver of (A + diag d) x = b on one grid shape; keeps factorisations between calls.

    kind : "auto" (module docstring), or one backend for every solve: "lu", "cholesky",
    "multigrid" or "jacobi" (numerics.linear_solver.heat); "direct" is "cholesky" on an r-z
    grid and "iterative" the 3D choice between multigrid and Jacobi (the names of earlier
    versions).
    """

    def __init__(self, shape: tuple[int, int, int], kind: str = "auto"):
        self.shape = tuple(shape)
        axisym = self.shape[1] == 1
        if kind not in KINDS and kind not in ALIASES and kind != "direct":
            raise ValueError(f"heat solver kind must be one of {KINDS + ('direct',) + tuple(ALIASES)}, "
                             f"got {kind!r}")
        if kind == "direct" and not axisym:
            raise ValueError("the direct heat solver needs a grid with one cell along axis 1 (r-z)")
        kind = ALIASES.get(kind, kind)
        if kind == "direct":
            kind = default_backend(self.shape, "direct")
        if kind == "auto":
            kind = default_backend(self.shape, "direct") if axisym else "auto-3d"
        self.kind = kind
        self._solvers: dict[str, LinearSolver] = {}
        self._keys: dict[str, StencilOperator] = {}
        self._last = None  # (solver, maxiter) of the last call (``same``)
        self.last_iterations = 0
        self.multigrid_below = 0.03  # sum(d) / sum(diag A) below which 3D uses multigrid
        self.multigrid_reuse = MULTIGRID_REUSE  # kept hierarchy: its coefficients' largest change
        self.n_multigrid_builds = 0  # hierarchies built or rebuilt (LinearSolver created or updated)
        self._inactive = None  # the band Cholesky path's scratch (``_renew_cholesky``)

    @property
    def direct(self) -> bool:
        """Whether the solves are direct (a factorisation, exact from any start)."""
        return self.kind in DIRECT

    @property
    def n_factorisations(self) -> int:
        return sum(s.n_factorisations for s in self._solvers.values())

    def solve(self, g, d, b, x0=None, rtol: float = 1e-12, maxiter: int = 5000,
              atol_rel: float | None = None, same: bool = False, l1_max: float | None = None) -> np.ndarray:
        """x [K] for face conductances g = (gx, gy, gz) [W/K], shift d and rhs b [W].

        Required: ||b - (A + diag d) x|| <= rtol ||b||. ``atol_rel`` (<= rtol) is the
        accuracy wanted: iterations continue towards it, and a solve that stagnates at
        round-off between the two is accepted. ``same``: g and d are those of the last call,
        unchanged since (a heater response after a Newton correction): its backend and
        operator are taken as they are, without building and comparing the operator again.
        ``l1_max``: the residual's 1-norm the solve must also reach (``solvers.pcg``).
        """
        if same and self._last is not None:
            solver, maxiter_last = self._last
            x = solver.solve(b, x0=x0, rtol=rtol, maxiter=maxiter_last if maxiter_last else maxiter,
                             want=atol_rel, l1_max=l1_max)
            self.last_iterations = solver.last_iterations
            return x
        d = np.ascontiguousarray(d, dtype=np.float64)
        if self.kind == "cholesky" and self._renew_cholesky(g, d):
            solver = self._solvers["cholesky"]
            self._last = (solver, 50)
            x = solver.solve(b, x0=x0, rtol=rtol, maxiter=50, want=atol_rel, l1_max=l1_max)
            self.last_iterations = solver.last_iterations
            return x
        if self.kind in ("multigrid", "auto-3d"):
            solver = self._kept_multigrid(g, d)
            if solver is not None:  # the hierarchy of nearby coefficients preconditions (g, d)
                self._last = (solver, None)
                x = solver.solve(b, x0=x0, rtol=rtol, maxiter=maxiter, want=atol_rel, l1_max=l1_max)
                self.last_iterations = solver.last_iterations
                return x
        if self.kind == "lu":
            backend, op, options, maxiter = "lu", StencilOperator(*g, d), dict(symmetric=False), 50
        elif self.kind == "cholesky":
            backend, op, options, maxiter = "cholesky", StencilOperator(*g, d), {}, 50
        elif self.kind == "multigrid" or (self.kind == "auto-3d" and self._use_multigrid(g, d)):
            # two smoothing sweeps each way, with or without the shift: on the default 3D pot
            # (rusal-3kA, hourly steps) 9.5 PCG iterations per solve against 16.3 with one,
            # heat step 84 against 107 ms CPU (docs/speed.md); the coarse
            # correction over-scaled by 1.4 rather than 1.8: 12 % fewer V-cycles in a day of
            # that campaign (509 against 580; 1.2 the same as 1.4, 1.0 and 2.0 more)
            shift = d if np.any(d) else None
            backend, op = "multigrid", StencilOperator(*g, shift)
            options = dict(n_smooth=2, scale=HEAT_MG_SCALE)
        else:
            backend, op, options = "jacobi", StencilOperator(*g, d), {}
        # a backend is rebuilt/updated only for new coefficients (the same operator, e.g. the
        # second solve of a heater Newton iteration, keeps it); it gets its own copies,
        # which are also the key of that comparison
        solver = self._solvers.get(backend)
        if not op.same_as(self._keys.get(backend)):
            op = op.copy()
            if solver is None:
                solver = self._solvers[backend] = LinearSolver(op, backend, refactor_after=10, **options)
            else:
                solver.update(op)
            self._keys[backend] = op
            if backend == "multigrid":
                self.n_multigrid_builds += 1
        self._last = (solver, maxiter if backend in DIRECT else None)
        x = solver.solve(b, x0=x0, rtol=rtol, maxiter=maxiter, want=atol_rel, l1_max=l1_max)
        self.last_iterations = solver.last_iterations
        return x

    def solve_band(self, g, d, b, x0, rtol: float, want: float | None = None, same: bool = False) -> np.ndarray:
        """``solve(g, d, b, x0, rtol, atol_rel=want, same=same)`` of the band Cholesky kind (the
        r-z heat Newton's solves on one thread): the kept solver brought to (g, d) and its PCG
        kernel called through ``LinearSolver.solve_band`` (fewer Python calls, the same numbers
        bit for bit); ``solve`` itself when there is no kept solver of these shapes yet or
        another kind. d: C-contiguous float64 (the Newton's shift)."""
        if same and self._last is not None:
            solver, maxiter = self._last
        elif self.kind == "cholesky" and self._renew_cholesky(g, d):
            solver, maxiter = self._solvers["cholesky"], 50
            self._last = (solver, 50)
        else:
            return self.solve(g, d, b, x0=x0, rtol=rtol, atol_rel=want, same=same)
        x = solver.solve_band(b, x0, rtol, maxiter if maxiter else 5000, want)
        self.last_iterations = solver.last_iterations
        return x

    def _kept_multigrid(self, g, d):
        """The kept multigrid solver, its PCG now on the operator (g, d), when its hierarchy was
        built for coefficients within ``multigrid_reuse`` (relative, every face and the shift;
        MULTIGRID_REUSE) of these and with a shift as these have one (or none); None: build
        one (``solve``'s general path). With kind "auto-3d" only while the last solve took
        the multigrid: the choice against Jacobi is made when the hierarchy is built, and
        coefficients within delta move its criterion (sum d / sum diag A) by at most that."""
        solver, key = self._solvers.get("multigrid"), self._keys.get("multigrid")
        limit = self.multigrid_reuse
        if solver is None or key is None or not limit > 0.0:
            return None
        if self.kind == "auto-3d" and (self._last is None or self._last[0] is not solver):
            return None
        shifted = bool(np.any(d))
        if shifted != (key.shift is not None):
            return None
        if not all(a.flags.c_contiguous and a.dtype == np.float64 and a.shape == k.shape
                   for a, k in zip(g, key.g)):
            return None
        if la.count_changed(*g, d if shifted else _EMPTY, *key.g, key.shift if shifted else _EMPTY, limit):
            return None
        solver.reuse(StencilOperator(*g, d if shifted else None))
        return solver

    def _renew_cholesky(self, g, d) -> bool:
        """The band Cholesky solver's operator brought to (g, d) in one kernel
        (kernels.linalg.renew_key: the comparison, the copy into the kept key and the inactive
        cells of ``solve``'s general path, without its temporaries); False when there is no
        kept solver of these shapes yet or an array is not C-contiguous (the general path)."""
        key = self._keys.get("cholesky")
        if key is None or key.shift is None or key.shift.shape != d.shape:
            return False
        arrays = (*g, d)
        if not all(a.flags.c_contiguous and a.dtype == np.float64 and a.shape == k.shape
                   for a, k in zip(arrays, (*key.g, key.shift))):
            return False
        solver = self._solvers["cholesky"]
        if self._inactive is None or self._inactive.shape != d.shape:
            self._inactive = np.empty(d.shape, dtype=np.bool_)
        count = la.renew_key(*arrays, *key.g, key.shift, self._inactive)
        if count >= 0:  # new coefficients: LinearSolver.update's bookkeeping (key is solver.op)
            solver.backend.update(key)
            solver._stale = solver.backend.reuses_factor
            solver._inactive = self._inactive.copy() if count > 0 else None
        return True

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
