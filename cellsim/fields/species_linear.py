"""The linear solves of the species transport (cellsim.fields.species): each impurity's
backward-Euler step as a ``BorderedSystem`` (its cell block a StencilOperator of the
linear-algebra layer, bordered by the metal pools' unknowns) and the backends that solve it,
``SOLVERS`` (name -> class, chosen by ``numerics.linear_solver.species``): the band path
(kept band factorisations, GMRES), SuperLU (the reference) and the PCG of
cellsim.fields.solvers with any of its preconditioners for a symmetric transport. A backend
has ``begin(dt, n_pools, n_faces)`` once per step, ``solve(k, system, x)`` per impurity,
``reset()`` (a sync point: drop what a checkpoint does not hold), ``state()`` and
``restore(state)`` (what a checkpoint holds: the band path's factors) and ``n_factorisations``; it reads the field's index map and band
buffer (``SpeciesField.index``, ``mask``, ``_band``, ``_cell_block``, ``bordered_matrix``).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla

from cellsim.elements import IMPURITIES
from cellsim.fields.solvers import BACKENDS, LinearSolver, StencilOperator
from cellsim.kernels import species as ks
from cellsim.kernels.linalg import band_lu

N_SPECIES = len(IMPURITIES)
# a reused factorisation is renewed after a solve that needed more GMRES iterations than this
REFACTOR_AFTER = 6
GMRES_RESTART = 20
# Band work N (bw + 1)^2 from which a sync point keeps the band factorisations (checkpointed:
# BandSolver.reset, state, restore) and a remesh that keeps the electrolyte's cells adopts
# them (SpeciesField.adopt_factors): the default 3D pot has 3e7 (a fresh band LU ~25 ms per
# impurity), r-z grids ~2e4 (~40 us, about one preconditioned iteration).
KEEP_MIN_WORK = 1e6
EPS = float(np.finfo(float).eps)


def _solve(A, b) -> np.ndarray:
    """LU solve with one step of iterative refinement (the inventories are checked to 1e-10)."""
    if not np.any(b):
        return np.zeros(b.size)
    lu = spla.splu(A.tocsc())
    x = lu.solve(b)
    return x + lu.solve(b - A @ x)


@dataclass(frozen=True, eq=False)
class BorderedSystem:
    """One impurity's backward-Euler step, on the operator type of the linear-algebra layer.

    op : the cell block, a ``cellsim.fields.solvers.StencilOperator`` on the species grid:
        face coefficients [m3/s] (of the low-side cell in ``op.g``; of the high-side cell in
        ``op.g_hi`` when the drift makes the stencil nonsymmetric, None otherwise) and the
        shift: storage V/dt plus the interface conductances on the electrolyte cells, 1 on
        the other cells (no unknowns there: identity rows, value 0).
    cell, pool, col, row, pool_diag : the pools of finite volume as extra unknowns: per
        interface face its salt cell (unknown number), its pool, its entry in the cell's row
        (-g S) and in the pool's row (-g); the pools' diagonals (P,).
    b : right-hand side over the unknowns (the electrolyte cells in C order, then the P
        pools) [mol/s].
    """

    op: StencilOperator
    cell: np.ndarray
    pool: np.ndarray
    col: np.ndarray
    row: np.ndarray
    pool_diag: np.ndarray
    b: np.ndarray


# The backends refer to their SpeciesField by a weak proxy: the field owns its backend, and a
# strong reference back would make a cycle that only the cyclic garbage collector frees. The
# 3D field is rebuilt at every remesh (~160 in 45 days) and its arrays (the 3.6 MB band buffer,
# the coefficient stacks, 25 MB of factors when they are not adopted) then piled up between
# collections: a 45-day 3D campaign peaked at ~700 MB instead of ~320 MB.


class BandSolver:
    """GMRES (kernels/linalg.gmres through kernels/species.bordered_iterate) preconditioned by a
    band factorisation (kernels/linalg.band_lu) of an
    earlier step's matrix, renewed when it needs more than REFACTOR_AFTER iterations or
    fails, or when the time step changed by more than 30 % (the storage term with it). The
    result is the solution to the float64 floor whether the factorisation is fresh or reused.
    On a wide band (``_wide``) the factor is kept rounded to float32 and GMRES starts from x
    as it comes (``_solve_wide``)."""

    name = "band"
    keep_min_work = KEEP_MIN_WORK

    def __init__(self, field):
        self.field, self.n_factorisations = weakref.proxy(field), 0  # no cycle (note above BandSolver)
        self._factors = None

    def reset(self) -> None:
        """A sync point keeps the factors of a wide band (work N (bw + 1)^2 at least
        KEEP_MIN_WORK): they are then part of the checkpointed state (``state`` holds the
        matrices they factorise, ``restore`` refactorises those bit for bit), so a resumed run
        continues with the factors of the uninterrupted one, and renewing all seven at every
        sync point (7 x ~25 ms on the default 3D pot) is not needed. A narrow band's factors
        (every r-z grid: a factorisation costs about one preconditioned iteration there) are
        dropped, as the other backends' kept solvers are."""
        if not self._wide():
            self._factors = None

    def _wide(self) -> bool:
        """A wide band (work N (bw + 1)^2 >= keep_min_work: the default 3D pot): its factors are
        kept across sync points, rounded to float32, and each step solves the border and GMRES's
        first preconditioner vector in one pass over it (``_solve_wide``:
        kernels/species.bordered_border_mixed). Narrow bands (r-z) keep float64 factors."""
        field = self.field
        return field.n * (field._band_width + 1) ** 2 >= self.keep_min_work

    def drop(self) -> None:
        """Forget the factors (the next step factorises every impurity afresh)."""
        self._factors = None

    def state(self) -> dict | None:
        """What ``restore`` needs to rebuild the kept factors bit for bit: per impurity whose
        factor the next step would reuse, the entries of the band matrix it factorised (flat
        positions in band storage, (N, 2 bw + 1), and their values: the band's other entries
        are zero); the border's key, the time step and the renewal flags. Plain data (a
        checkpoint); None without factors."""
        f = self._factors
        if f is None:
            return None
        n, width = f["lu"].shape[1:]
        out = dict(n=int(n), width=int(width), pools=int(f["key"][0]), faces=int(f["key"][1]),
                   dt=float(f["dt"]), renew=f["renew"].copy(), iterations=f["iterations"].copy(),
                   matrices={})
        band = np.empty((n, width))
        for k in range(N_SPECIES):
            if f["renew"][k]:
                continue  # the next step factorises it afresh
            source = f["source"][k]
            if len(source) == 2:  # restored from a checkpoint: its entries
                at, value = source
            else:  # the cell block bordered_factor took: assembled again, the same entries
                index, cf, diag = source
                ks.assemble_band(index, *cf, diag, (width - 1) // 2, band)
                flat = band.ravel()
                at = np.flatnonzero(flat.view(np.int64))  # every bit pattern but +0.0 (-0.0 kept)
                value = flat[at]
            out["matrices"][IMPURITIES[k]] = dict(at=at, value=value)
        return out

    def restore(self, data: dict | None) -> None:
        """The factors of ``state`` (a checkpoint), refactorised from the stored matrices: the
        same band LU of the same entries, so the same factors bit for bit (None: no factors)."""
        if data is None:
            self._factors = None
            return
        field = self.field
        n, width = data["n"], data["width"]
        if n != field.n or width != 2 * field._band_width + 1:
            raise ValueError(f"species factors of a checkpoint: {n} unknowns and band width {width}, "
                             f"the field has {field.n} and {2 * field._band_width + 1}")
        self._factors = None
        self.begin(data["dt"], data["pools"], data["faces"])
        f = self._factors
        f["renew"][:] = data["renew"]
        f["iterations"][:] = data["iterations"]
        bw = field._band_width
        for k in range(N_SPECIES):
            if f["renew"][k]:
                continue
            m = data["matrices"][IMPURITIES[k]]
            lu = f["lu"][k]
            band = np.zeros(lu.shape) if lu.dtype != np.float64 else lu
            band[:, :] = 0.0
            band.ravel()[m["at"]] = m["value"]
            f["source"][k] = (m["at"], m["value"])
            if band is lu:
                band_lu(lu, bw)  # as bordered_factor: the band copied, then factorised in place
            else:
                ks.band_factor_rounded(band, bw, lu)  # as ``solve``'s wide path
            self.n_factorisations += 1

    def begin(self, dt: float, n_pools: int, n_faces: int) -> None:
        field = self.field
        n, bw, P = field.n, field._band_width, n_pools
        key = (P, n_faces)
        f = self._factors
        if f is None or f["key"] != key:
            wide = self._wide()  # a wide band keeps its factors rounded to float32 (``solve``)
            f = self._factors = dict(key=key, lu=np.empty((N_SPECIES, n, 2 * bw + 1),
                                                          dtype=np.float32 if wide else np.float64),
                                     zf=np.empty((N_SPECIES, P + 1, n)) if wide else None,
                                     z=None if wide else np.empty((N_SPECIES, P, n)), schur=np.empty((N_SPECIES, P, P)),
                                     renew=np.ones(N_SPECIES, dtype=bool), V=np.empty((GMRES_RESTART + 1, n + P)),
                                     Zp=np.empty((GMRES_RESTART, n + P)),
                                     H=np.empty((GMRES_RESTART + 1, GMRES_RESTART + 3)), work=np.empty((3, n + P)),
                                     iterations=np.zeros(N_SPECIES, dtype=np.int64), dt=dt,
                                     source=[None] * N_SPECIES, ra=np.empty((2, n + P)))
        if not (math.isfinite(dt) and math.isfinite(f["dt"]) and abs(dt / f["dt"] - 1.0) <= 0.3 or dt == f["dt"]):
            f["renew"][:] = True
        f["dt"] = dt

    def solve(self, k: int, s: BorderedSystem, x: np.ndarray) -> None:
        """x = M^-1 s.b. On a wide band (``_solve_wide``) GMRES starts from x as it comes (the
        field passes the start-of-step concentrations); on a narrow one from 0."""
        field, f = self.field, self._factors
        bw = field._band_width
        cf, diag = field._cell_block(s.op)
        if f["zf"] is not None:
            self._solve_wide(k, s, x, cf, diag)
            return
        for attempt in range(2):
            fresh = bool(f["renew"][k])
            if fresh:
                ks.assemble_band(field.index, *cf, diag, bw, field._band)
                if ks.bordered_factor(field._band, bw, s.cell, s.pool, s.col, s.pool_diag, s.row,
                                      f["lu"][k], f["z"][k], f["schur"][k]):
                    raise FloatingPointError(f"species solve for {IMPURITIES[k]}: the step matrix "
                                             "has a non-positive pivot")
                f["source"][k] = (field.index, tuple(np.array(a) for a in cf), diag.copy())  # for ``state``
                self.n_factorisations += 1
            else:  # the current border with the kept cell-block factor
                ks.bordered_border(f["lu"][k], bw, s.cell, s.pool, s.col, s.pool_diag, s.row,
                                   f["z"][k], f["schur"][k])
            it = ks.bordered_iterate(field.index, *cf, diag, s.cell, s.pool, s.col, s.row, s.pool_diag,
                                     s.b, f["lu"][k], bw, f["z"][k], f["schur"][k], 64 * EPS, 40, x, f["V"],
                                     f["Zp"], f["H"], f["work"])
            if self._converged(k, it, fresh):
                break

    def _solve_wide(self, k: int, s: BorderedSystem, x: np.ndarray, cf, diag) -> None:
        """``solve`` on a wide band: the factor is kept rounded to float32 (half the bytes per
        pass over it: kernels/species.bordered_border_mixed, bordered_iterate_mixed), GMRES
        starts from x as it comes (the warm start) and ends at the float64 floor of the
        float64 step matrix as on a narrow band; the border and GMRES's first preconditioner
        solve share one pass."""
        field, f = self.field, self._factors
        bw = field._band_width
        x0 = x.copy() if np.all(np.isfinite(x)) else np.zeros(x.size)
        for attempt in range(2):
            fresh = bool(f["renew"][k])
            if fresh:
                ks.assemble_band(field.index, *cf, diag, bw, field._band)
                if ks.band_factor_rounded(field._band, bw, f["lu"][k]):
                    raise FloatingPointError(f"species solve for {IMPURITIES[k]}: the step matrix "
                                             "has a non-positive pivot")
                f["source"][k] = (field.index, tuple(np.array(a) for a in cf), diag.copy())  # for ``state``
                self.n_factorisations += 1
            x[:] = x0
            zf = f["zf"][k]
            ks.bordered_border_mixed(field.index, *cf, diag, s.cell, s.pool, s.col, s.row, s.pool_diag, s.b, x0,
                                     f["lu"][k], bw, zf, f["schur"][k], *f["ra"])
            it = ks.bordered_iterate_mixed(field.index, *cf, diag, s.cell, s.pool, s.col, s.row, s.pool_diag, s.b,
                                           f["lu"][k], bw, zf, f["schur"][k], 64 * EPS, 40, x, f["V"], f["Zp"],
                                           f["H"], f["work"])
            if self._converged(k, it, fresh):
                return

    def _converged(self, k: int, it: int, fresh: bool) -> bool:
        """After a GMRES solve of impurity k that took ``it`` iterations (< 0: it failed):
        whether it converged; its factor is marked for renewal when it failed or took more
        than REFACTOR_AFTER iterations. A failure on a fresh factor is an error (no retry)."""
        f = self._factors
        f["renew"][k] = it < 0 or it > REFACTOR_AFTER
        if it >= 0:
            f["iterations"][k] = it
            return True
        if fresh:
            raise FloatingPointError(f"species solve for {IMPURITIES[k]} did not converge "
                                     "(non-finite values or no contraction)")
        return False


class SparseSolver:
    """SuperLU of the whole bordered matrix per impurity and step, with one step of
    iterative refinement: the reference."""

    name = "sparse"

    def __init__(self, field):
        self.field, self.n_factorisations = weakref.proxy(field), 0  # no cycle (note above BandSolver)

    def reset(self) -> None:
        pass

    def state(self) -> None:
        return None  # nothing carried from one step to the next

    def restore(self, data) -> None:
        pass

    def begin(self, dt: float, n_pools: int, n_faces: int) -> None:
        pass

    def solve(self, k: int, s: BorderedSystem, x: np.ndarray) -> None:
        x[:] = _solve(self.field.bordered_matrix(s), s.b)
        self.n_factorisations += 1


class PCGSolver:
    """PCG of the linear-algebra layer (``cellsim.fields.solvers.LinearSolver``, the
    preconditioner ``backend`` of BACKENDS, kept per impurity across steps) on the cell block,
    the pools eliminated through their Schur complement (P + 1 solves with the cell block per
    impurity and step: x = A^-1 (b_c - B y), (D - R A^-1 B) y = b_p - R A^-1 b_c). For a
    symmetric transport (no migration); the pools' few unknowns are solved densely."""

    RTOL = 1e-14  # relative residual asked; a solve stalling at the float64 floor is accepted

    def __init__(self, field, backend: str):
        self.field, self.backend, self.name = weakref.proxy(field), backend, backend  # no cycle (note above BandSolver)
        self.reset()

    @property
    def n_factorisations(self) -> int:
        return sum(s.n_factorisations for s in self._linear.values())

    def reset(self) -> None:
        """A sync point drops the kept solvers (their preconditioners are not checkpointed)."""
        self._linear = {}

    def state(self) -> None:
        return None  # dropped at every sync point (``reset``): nothing to checkpoint

    def restore(self, data) -> None:
        self.reset()

    def begin(self, dt: float, n_pools: int, n_faces: int) -> None:
        pass

    def _cells(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros(self.field.grid.shape)
        out[self.field.mask] = values
        return out

    def solve(self, k: int, s: BorderedSystem, x: np.ndarray) -> None:
        if s.op.g_hi is not None:
            raise ValueError(f"species solver {self.backend!r} (PCG) needs a symmetric transport")
        field, n = self.field, self.field.n
        linear = self._linear.get(k)
        if linear is None:
            linear = self._linear[k] = LinearSolver(s.op, self.backend)
        else:
            linear.update(s.op)
        mask = field.mask

        def solve_cells(rhs):
            return linear.solve(self._cells(rhs), rtol=self.RTOL, maxiter=1000)[mask]

        x0 = solve_cells(s.b[:n])
        P = s.pool_diag.size
        if P == 0:
            x[:n] = x0
            return
        xs = [solve_cells(np.bincount(s.cell[s.pool == j], s.col[s.pool == j], n)) for j in range(P)]
        schur = np.diag(np.asarray(s.pool_diag, dtype=float))
        rhs = np.array(s.b[n:], dtype=float)
        for j in range(P):
            sel = s.pool == j
            rhs[j] -= float(np.dot(s.row[sel], x0[s.cell[sel]]))
            for m in range(P):
                schur[j, m] -= float(np.dot(s.row[sel], xs[m][s.cell[sel]]))
        y = np.linalg.solve(schur, rhs)
        x[:n] = x0 - sum(xm * y[m] for m, xm in enumerate(xs))
        x[n:] = y


SOLVERS = {"band": BandSolver, "sparse": SparseSolver,
           **{name: (lambda field, name=name: PCGSolver(field, name)) for name in BACKENDS}}
