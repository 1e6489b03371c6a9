"""Assembly of the finite-volume diffusion operator with boundary conditions as data.

Used by the current solver (cellsim.fields.current; the heat and species fields assemble
their own boundary terms): coefficient per cell in, face conductances (gx, gy, gz) [S] and
right-hand side b [A] out (see cellsim.kernels.fv for the operator and the sign rule). Units are written for the current (k = sigma [S/m],
u = phi [V], flux [A/m2]); for heat read [W/(m K)], [K], [W/m2].

A boundary side carries one ``BoundaryCondition`` in Robin form,

    flux along the outward normal = h (u_face - value) - (inflow),

given by its external conductance per area h [S/m2] (inf: Dirichlet u = value; 0: flux
only), ``value`` [V] and ``flux`` [A/m2] signed along +axis (positive flux enters through
a low side and leaves through a high side). Each of h, value, flux is a scalar or an array
of the side's face shape (e.g. (n1, n2) for "x-"), so patches are plain masks.
Sides without a condition are insulated (zero flux).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cellsim.fields.grid import Grid
from cellsim.kernels import fv

SIDES = ("x-", "x+", "y-", "y+", "z-", "z+")
_ALIASES = {"r-": "x-", "r+": "x+"}


@dataclass(frozen=True)
class BoundaryCondition:
    """Robin-form boundary data of one side (see module docstring). Units SI."""

    h: float | np.ndarray = 0.0
    value: float | np.ndarray = 0.0
    flux: float | np.ndarray = 0.0


def dirichlet(value) -> BoundaryCondition:
    """u = value [V] on the side."""
    return BoundaryCondition(h=np.inf, value=value)


def neumann(flux) -> BoundaryCondition:
    """Prescribed flux [A/m2] along +axis (enters through a low side)."""
    return BoundaryCondition(h=0.0, flux=flux)


def robin(h, value, flux=0.0) -> BoundaryCondition:
    """Flux out = h (u - value) [A/m2] (plus an optional prescribed flux along +axis)."""
    return BoundaryCondition(h=h, value=value, flux=flux)


def side_index(side: str) -> tuple[int, bool]:
    """(axis, is_high) of a side name such as "z-" or "r+"."""
    side = _ALIASES.get(side, side)
    if side not in SIDES:
        raise ValueError(f"boundary side must be one of {SIDES + tuple(_ALIASES)}, got {side!r}")
    return SIDES.index(side) // 2, side.endswith("+")


def side_slice(axis: int, high: bool, n: int, faces: bool) -> tuple:
    """Index selecting the boundary layer (cells) or boundary faces of one side."""
    idx = [slice(None)] * 3
    idx[axis] = (n if faces else n - 1) if high else 0
    return tuple(idx)


def normalise_sides(bcs: dict | None) -> dict:
    """The same mapping with side aliases ("r-", "r+") replaced by canonical names."""
    out = {}
    for side, bc in (bcs or {}).items():
        a, high = side_index(side)
        out[SIDES[2 * a + int(high)]] = bc
    return out


@dataclass(frozen=True, eq=False)
class Operator:
    """Assembled operator: face conductances g[axis] [S], right-hand side b [A]."""

    g: tuple[np.ndarray, np.ndarray, np.ndarray]
    b: np.ndarray
    bcs: dict[str, BoundaryCondition] = field(default_factory=dict)
    boundary_g: dict[str, np.ndarray] = field(default_factory=dict)


def assemble(grid: Grid, k: np.ndarray, bcs: dict[str, BoundaryCondition] | None = None,
             source: np.ndarray | None = None) -> Operator:
    """Face conductances and right-hand side of -div(k grad u) = source.

    k : cell-shape coefficient [S/m] (0 marks an insulating, inactive cell).
    bcs : side name -> BoundaryCondition; missing sides are insulated.
    source : cell-shape volumetric source [A/m3] or None.
    """
    return Assembler(grid, bcs)(k, source)


class Assembler:
    """``assemble`` for one grid and one set of boundary conditions: the geometry (face
    areas, widths, the boundary faces' areas, half widths and 1/h, the prescribed inflow) is
    prepared once, so a solver that assembles every call with new coefficients pays only for
    the coefficients (the same operations on them, so the same numbers bit for bit)."""

    def __init__(self, grid: Grid, bcs: dict[str, BoundaryCondition] | None = None):
        self.grid = grid
        self.bcs = normalise_sides(bcs)
        # the grid's own geometry (shared, read here only)
        self._areas = [grid.face_areas(a, copy=False) for a in range(3)]
        self._widths = [grid.widths(a, copy=False) for a in range(3)]
        self._sides = []
        for side, bc in self.bcs.items():
            a, high = side_index(side)
            n = grid.shape[a]
            faces, cells = side_slice(a, high, n, True), side_slice(a, high, n, False)
            area = self._areas[a][faces]
            half = 0.5 * self._widths[a][n - 1 if high else 0]
            h = np.broadcast_to(np.asarray(bc.h, dtype=np.float64), area.shape)
            with np.errstate(divide="ignore"):
                inv_h = 1.0 / h
            sign = -1.0 if high else 1.0
            inflow = sign * np.asarray(bc.flux) * area
            self._sides.append((side, a, faces, cells, area, half, inv_h, bc.value, inflow))

    def __call__(self, k: np.ndarray, source: np.ndarray | None = None) -> Operator:
        grid = self.grid
        k = np.ascontiguousarray(k, dtype=np.float64)
        if k.shape != grid.shape or not np.all(np.isfinite(k)) or np.any(k < 0.0):
            raise ValueError("coefficient must be finite, non-negative and of the grid's cell shape")
        g = []
        for a in range(3):
            area = self._areas[a]
            ga = np.zeros(area.shape)
            fv.interior_conductances(k, self._widths[a], area, a, ga)
            g.append(ga)
        b = np.zeros(grid.shape) if source is None else source * grid.volumes()
        boundary_g = {}
        for side, a, faces, cells, area, half, inv_h, value, inflow in self._sides:
            kb = k[cells]
            with np.errstate(divide="ignore"):
                resist = np.where(kb > 0.0, half / np.where(kb > 0.0, kb, 1.0), np.inf) + inv_h
                gb = np.where(np.isfinite(resist), area / resist, 0.0)
            g[a][faces] = gb
            b[cells] += gb * value + inflow
            boundary_g[side] = gb
        return Operator(tuple(g), b, self.bcs, boundary_g)

    def face_fluxes(self, op: Operator, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``face_fluxes(self.grid, op, u)`` with this grid's areas and side indices (op's
        boundary conditions on the sides of ``self.bcs``)."""
        out = []
        for a in range(3):
            f = np.empty(op.g[a].shape)
            fv.face_fluxes(op.g[a], u, a, f)
            out.append(f)
        for side, a, faces, _, area, _, _, _, _ in self._sides:
            bc = op.bcs[side]
            sign = -1.0 if side.endswith("+") else 1.0
            out[a][faces] += sign * op.boundary_g[side] * bc.value + np.asarray(bc.flux) * area
        return tuple(out)


def face_fluxes(grid: Grid, op: Operator, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flux through every face along +axis [A] (boundary faces included), per axis."""
    out = []
    for a in range(3):
        f = np.empty(op.g[a].shape)
        fv.face_fluxes(op.g[a], u, a, f)
        out.append(f)
    for side, bc in op.bcs.items():
        a, high = side_index(side)
        n = grid.shape[a]
        sl = side_slice(a, high, n, True)
        area = grid.face_areas(a)[sl]
        sign = -1.0 if high else 1.0
        out[a][sl] += sign * op.boundary_g[side] * bc.value + np.asarray(bc.flux) * area
    return tuple(out)
