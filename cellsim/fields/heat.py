"""Conjugate heat transfer: rho c dT/dt = div(k grad T) + q with phase change (docs/heat.md).

Unknown: the volumetric enthalpy H [J/m3] per cell (cellsim.kernels.heat gives H(T) with
solid/liquid heat capacities and latent heat), so freezing and melting (the electrolyte
ledge, metal pads running cold) need no front tracking. Backward Euler in time:

    R(H) = V (H - H_old) / dt + A(k) T(H) - b_boundary(T) - Q - P q_heater = 0,

with Q the source power per cell [W] (sources are given as powers per cell, the unit of
the right-hand side, so no volume enters or leaves them), solved by Newton's method in the temperature form (A + diag(V C / dt)) dT = -R with
C = dH/dT, dH = C dT (clipped at the kinks of H(T)). The conductivity k = k_s + f (k_l -
k_s) is taken at the liquid fraction f of the start of the step (lagged; exact
conservation is kept because A stays a symmetric conductance operator). The steady state
is the same Newton iteration with V/dt = 0 on T directly (k Picard-updated).

Outer surfaces lose heat by convection and radiation (``SurfaceBC``), linearised by
Newton about the current surface temperature, so both are implicit. A ``Heater`` holds
the mean temperature of a control region at its set point: the heater power is one more
Newton unknown (bordered solve), clipped to [0, max_power]; a negative demand is reported
as the surplus margin. Sign rule (cellsim.kernels.fv): losses are positive outward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cellsim.fields.grid import Grid
from cellsim.fields.heat_linear import ShiftedSolver
from cellsim.fields.memo import BoundedMemo
from cellsim.fields.solvers import ConvergenceError, StencilOperator
from cellsim.kernels import fv
from cellsim.kernels import heat as hk
from cellsim.kernels import linalg as la
from cellsim.kernels import parallel as kernel_threads
from cellsim.units import STEFAN_BOLTZMANN

# Default loosest relative residual asked of a Newton linear solve (HeatSolver's
# ``lin_rtol_max``); the Newton test on the true residual, not this bound, sets the accuracy
# of the result (see HeatSolver._newton).
LIN_RTOL_MAX = 1e-3
# The same bound for iterative solves (3D): a decade there costs ~2.5 V-cycles (a direct solve
# is exact at any request), and the step's second Newton correction, which only removes the
# nonlinear residual of the first, typically needs 1e-1 to 1e-2, not the 1e-3 of LIN_RTOL_MAX
ITER_RTOL_MAX = 0.1
# After a remesh (iterative solves): the share of the predicted second-iteration residual
# (the last remesh's) that the first correction and the heater response may each leave
REMESH_NL_SHARE = 0.15
# Iterative solves: the ratio ||r||_1 / (sqrt(n) ||r||_2) their requests assume (the bound
# is 1; the residuals the multigrid PCG leaves on the 3D pot measured 0.23-0.37, the heater
# response's 0.06-0.30); the 1-norm the Newton test needs is checked on the true residual
# (``solvers.pcg`` l1_max), so a residual spread more evenly costs iterations, not accuracy
L1_RATIO = 0.4
# The last steps' first Newton corrections that start the next one (3D; HeatSolver._galerkin_start)
HISTORY = 4
_EPS = np.finfo(float).eps
# The Newton test's default (HeatSolver rtol; numerics.heat_tolerance): below the residual's
# round-off floor on the default pots, so the floor decides (docs/heat.md)
NEWTON_RTOL = 1e-11
# HeatSolver.bcs: (grid shape, (side, id of its SurfaceBC) per side) -> (the SurfaceBC objects,
# held, so an id is not reused while its entry lives; their per-side laws; the laws'
# concatenated arrays): the last few, reused while the same objects come back
_SIDE_LAWS = BoundedMemo(8)

SIDE_NAMES = ("x-", "x+", "y-", "y+", "z-", "z+")
_ALIASES = {"r-": "x-", "r+": "x+"}


@dataclass(frozen=True, eq=False)
class HeatProperties:
    """Cell arrays (grid cell shape, SI) of the thermal properties.

    k_solid, k_liquid [W/(m K)]; c_solid, c_liquid = rho c_p [J/(m3 K)]; t_solidus <=
    t_liquidus [K]; latent = rho L [J/m3] (0: no phase change in that cell).
    k_z_factor: None (isotropic) or a cell array multiplying the conductivity on the z faces
    of each cell, for cells whose layers run along z but cross the cell in x or y (a 3D
    staircase cylinder's side lining: the series mix of its layers across, their parallel
    mix along z; cellsim.fields.pot). It must be 1 on the cells of the z boundaries.
    """

    k_solid: np.ndarray
    k_liquid: np.ndarray
    c_solid: np.ndarray
    c_liquid: np.ndarray
    t_solidus: np.ndarray
    t_liquidus: np.ndarray
    latent: np.ndarray
    k_z_factor: np.ndarray | None = None

    @classmethod
    def constant(cls, shape, k, c) -> "HeatProperties":
        """No phase change: k [W/(m K)], c [J/(m3 K)] scalars or cell arrays."""
        k = np.broadcast_to(np.asarray(k, float), shape).copy()
        c = np.broadcast_to(np.asarray(c, float), shape).copy()
        z = np.zeros(shape)
        return cls(k, k, c, c, z, z.copy(), z.copy())

    def flat(self) -> tuple[np.ndarray, ...]:
        """(c_s, c_l, t_s, t_l, lat) as 1D contiguous arrays for the kernels."""
        return tuple(np.ascontiguousarray(a, dtype=np.float64).reshape(-1) for a in
                     (self.c_solid, self.c_liquid, self.t_solidus, self.t_liquidus, self.latent))

    def conductivity(self, frac: np.ndarray) -> np.ndarray:
        """k [W/(m K)] at liquid fraction ``frac`` (linear blend)."""
        return self.k_solid + frac * (self.k_liquid - self.k_solid)


@dataclass(frozen=True)
class SurfaceBC:
    """Outer boundary of one side; every field is a scalar or an array of the side's face shape.

    Outward flux [W/m2] = h (Ts - value) + emissivity sigma_SB (Ts^4 - ambient^4) + flux
    with Ts the surface temperature; h = inf fixes Ts = value (Dirichlet, flux ignored);
    h = 0 and emissivity = 0 with flux = 0 is insulated.
    """

    h: float | np.ndarray = 0.0
    value: float | np.ndarray = 0.0
    emissivity: float | np.ndarray = 0.0
    ambient: float | np.ndarray = 0.0
    flux: float | np.ndarray = 0.0


@dataclass(frozen=True)
class Heater:
    """A controlled heater: power spread per volume over ``region`` (cell bool mask) that
    holds the volume-mean temperature of ``control`` (cell bool mask) at ``set_point`` [K];
    power limited to [0, max_power] [W]."""

    region: np.ndarray
    control: np.ndarray
    set_point: float
    max_power: float = np.inf


@dataclass(frozen=True, eq=False)
class BoxSource:
    """A heat source that lives on a box of the grid: ``power`` [W per cell] of the cells
    ``grid[box]`` (``box`` a tuple of slices), zero elsewhere. The current's Joule heat is
    one: the current solver owns it on its sub-grid and the heat solver adds it where it is,
    with no copy of it on the full grid."""

    box: tuple
    power: np.ndarray


@dataclass(frozen=True, eq=False)
class HeatState:
    """Temperature [K], enthalpy [J/m3], liquid fraction [-] (cell arrays), time [s], heater [W]."""

    T: np.ndarray
    H: np.ndarray
    frac: np.ndarray
    time: float = 0.0
    heater_power: float = 0.0


@dataclass(frozen=True)
class HeatBalance:
    """Energy balance of a step (or of the steady state), all in [W].

    stored: rate of change of the enthalpy content; sources: name -> region -> power;
    heater: controlled power; heater_demand: power the controller asked for before
    clipping (negative: surplus, ``margin`` = -demand); losses: group -> outward power;
    residual = stored - (sources + heater - losses), closes to solver precision.
    """

    stored: float
    sources: dict
    heater: float
    heater_demand: float
    losses: dict
    residual: float
    newton_iterations: int = 0

    @property
    def total_loss(self) -> float:
        return float(sum(self.losses.values()))

    @property
    def total_source(self) -> float:
        return float(sum(sum(r.values()) for r in self.sources.values()))

    @property
    def margin(self) -> float:
        """Surplus heat [W] the controller would have to remove to hold the set point."""
        return max(0.0, -self.heater_demand)

    @property
    def relative_residual(self) -> float:
        scale = abs(self.stored) + abs(self.heater) + sum(abs(v) for v in self.losses.values()) + sum(
            abs(v) for r in self.sources.values() for v in r.values())
        return abs(self.residual) / scale if scale > 0 else 0.0


def _side(name: str) -> tuple[int, bool, str]:
    name = _ALIASES.get(name, name)
    if name not in SIDE_NAMES:
        raise ValueError(f"boundary side must be one of {SIDE_NAMES} (or r-, r+), got {name!r}")
    i = SIDE_NAMES.index(name)
    return i // 2, bool(i % 2), name


def _sl(axis: int, high: bool, n: int, faces: bool) -> tuple:
    idx = [slice(None)] * 3
    idx[axis] = (n if faces else n - 1) if high else 0
    return tuple(idx)


class HeatSolver:
    """Transient and steady heat solves on one grid (see module docstring).

    grid : cellsim.fields.grid.Grid; props : HeatProperties.
    bcs : side -> SurfaceBC (missing sides insulated; "r-" is the axis of an r-z grid).
    films : axis -> face-shape array of film coefficients [W/(m2 K)] added in series on
        interior faces (0: none), e.g. melt-to-wall heat transfer.
    loss_groups : name -> (side, face mask of the side); default one group per side.
    solver : "auto", "lu", "multigrid" or "jacobi" (cellsim.fields.heat_linear.ShiftedSolver).
    rtol, max_newton : the Newton test (relative to the throughput) and its iteration limit.
    lin_rtol, lin_rtol_max : the tightest and loosest relative residual asked of a Newton
        linear solve (``_newton``); lin_rtol_max = lin_rtol solves every system to lin_rtol;
        None: LIN_RTOL_MAX for direct solves, ITER_RTOL_MAX for iterative ones.
    """

    def __init__(self, grid: Grid, props: HeatProperties, bcs: dict, films: dict | None = None,
                 loss_groups: dict | None = None, solver: str = "auto", rtol: float = NEWTON_RTOL,
                 max_newton: int = 60, lin_rtol: float = 1e-10, lin_rtol_max: float | None = None):
        self.grid, self.props = grid, props
        kz = props.k_z_factor
        if kz is not None and (np.any(kz[:, :, 0] != 1.0) or np.any(kz[:, :, -1] != 1.0)):
            raise ValueError("HeatProperties.k_z_factor must be 1 on the cells of the z boundaries "
                             "(their boundary half cells take the isotropic conductivity)")
        self._kz = None if kz is None else np.ascontiguousarray(kz, dtype=np.float64)
        self.films = films or {}
        self.volumes = grid.volumes()
        self.areas = [grid.face_areas(a, copy=False) for a in range(3)]  # the grid's own (shared, read only)
        self.bcs = bcs
        self.linear = ShiftedSolver(grid.shape, solver)
        self.rtol, self.max_newton, self.lin_rtol = rtol, max_newton, lin_rtol
        self.lin_rtol_max = lin_rtol_max if lin_rtol_max is not None else (
            ITER_RTOL_MAX if self._adaptive else LIN_RTOL_MAX)
        self._flat = props.flat()
        if loss_groups is None:
            loss_groups = {s: (s, None) for s in self.bcs}
        self.loss_groups = {k: (_side(s)[2], m) for k, (s, m) in loss_groups.items()}
        self._g_cache = (None, None)
        self._dw_last = None  # last heater response (A + D)^-1 q_heater (warm start)
        self._heater_cache = None  # (heater, its power shares, its control weights)
        # iterative solves (``_adaptive``): the first Newton corrections of the last steps,
        # which start the next step's (Galerkin), and the heater response of the last grid
        self._dT_hist = []
        self._dw_adopted = None
        # the first step on a remeshed grid (adopt_history) always takes a second Newton
        # correction (the remap's nonlinear residual): its first solves go no further than
        # a fraction of that residual, predicted by the last remesh's (L2 [W]; 0: none yet)
        self._nl_remesh = 0.0
        self._remeshed = False
        c_s, c_l, t_s, t_l, lat = (a.reshape(grid.shape) for a in self._flat)
        self._h_liq = c_s * (t_l - t_s) + lat
        # region sums of the sources (balance): flat cell indices by region id, once
        mat = grid.material.reshape(-1)
        self._region_ids = [(reg, rid) for reg, rid in grid.regions.items()]
        self._n_ids = int(mat.max()) + 1 if mat.size and mat.min() >= 0 else None
        self._mat_flat = mat
        self._box_mat = {}  # ``_box_material``
        # H(T) has kinks (phase boundaries) only where latent heat or a change of heat capacity
        self._has_kinks = bool(np.any((lat > 0) | (c_s != c_l)))
        # the Newton's residual evaluation as one kernel (``_evaluation_kernel``): r-z grids
        self._fused = grid.shape[1] == 1
        # with the band Cholesky solve: the whole iteration's glue as kernels (``_newton_band``;
        # False: the Python iteration over the evaluation kernel, the same numbers)
        self.band_newton = True

    @property
    def bcs(self) -> dict:
        """side -> SurfaceBC; assigning a new dict re-derives the per-side constants."""
        return self._bcs

    @bcs.setter
    def bcs(self, bcs: dict) -> None:
        self._bcs = {_side(s)[2]: bc for s, bc in bcs.items()}
        # what the grid's shape and the surface laws decide is shared by the solvers of every
        # grid of this shape given the same SurfaceBC objects (a remesh: cellsim.fields.pot
        # keeps an r-z pot's boundary stage while its material map and lining stay); the
        # geometry (areas, half widths) is this grid's
        key = (self.grid.shape, tuple((side, id(bc)) for side, bc in self._bcs.items()))
        hit = _SIDE_LAWS.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], self._bcs.values())):
            laws = [self._side_law(side, bc) for side, bc in self._bcs.items()]
            hit = (tuple(self._bcs.values()), laws, self._patch_laws(laws))
            _SIDE_LAWS.put(key, hit)
        _, laws, static = hit
        self._sides = [self._side_geometry(law) for law in laws]
        self._side_cells = {sd["side"]: sd["cells"] for sd in self._sides}  # boundary cells per side
        self._patch = self._patch_data(self._sides, static)
        self._spans = static["spans_array"]

    def _patch_data(self, sides, static: dict) -> dict:
        """The sides' faces concatenated for ``kernels.heat.boundary_patch`` (one call per
        Newton iteration instead of ~20 small NumPy operations per side): the surface laws'
        arrays (``static``, ``_patch_laws``, shared) and this grid's half widths and areas."""
        arrays = dict(static["arrays"])
        arrays["half"] = np.concatenate([np.full(sd["area"].size, sd["half"]) for sd in sides]
                                        ) if sides else np.zeros(0)
        arrays["area"] = np.ascontiguousarray(np.concatenate([sd["area"].reshape(-1) for sd in sides])
                                              if sides else np.zeros(0), dtype=np.float64)
        return dict(arrays=arrays, spans=static["spans"], n=static["n"])

    def _patch_laws(self, laws) -> dict:
        """``_patch_data``'s arrays that the shape and the surface laws decide (cells, faces,
        the laws), concatenated side by side; the spans of the sides."""
        shape = self.grid.shape
        cell_ids = np.arange(int(np.prod(shape))).reshape(shape)
        parts, spans, start = {key: [] for key in ("cell", "axis", "face", "h", "value", "flux", "fixed",
                                                   "rad", "h0", "es", "amb", "f0")}, [], 0
        for sd in laws:
            a, m = sd["a"], int(np.prod(sd["shape"]))
            face_ids = np.arange(self.areas[a].size).reshape(self.areas[a].shape)
            zero = np.zeros(m)
            rad = sd["rad"] if sd["rad"] is not None else (zero, zero, zero, zero)
            for key, v in (("cell", cell_ids[sd["cells"]]), ("axis", np.full(m, a)),
                           ("face", face_ids[sd["faces"]]), ("h", sd["h"]), ("value", sd["value"]),
                           ("flux", sd["flux"]), ("fixed", sd["fixed"]),
                           ("rad", np.full(m, sd["rad"] is not None)), ("h0", rad[0]), ("es", rad[1]),
                           ("amb", rad[2]), ("f0", rad[3])):
                parts[key].append(np.asarray(v).reshape(-1))
            spans.append((sd["side"], start, start + m, sd["shape"]))
            start += m
        dtypes = {"cell": np.int64, "axis": np.int64, "face": np.int64, "fixed": np.uint8, "rad": np.uint8}
        arrays = {key: np.ascontiguousarray(np.concatenate(v) if v else np.zeros(0),
                                            dtype=dtypes.get(key, np.float64)) for key, v in parts.items()}
        spans_array = np.array([i for _, i, _, _ in spans] + [start], dtype=np.int64)
        return dict(arrays=arrays, spans=spans, n=start, spans_array=spans_array)

    # -- state -------------------------------------------------------------------------
    def state(self, T, time: float = 0.0) -> HeatState:
        """HeatState at temperature T [K] (scalar or cell array); liquid at the melting point."""
        # a new writable array (a read-only T would compile the kernel a second time)
        t = np.array(np.broadcast_to(np.asarray(T, float), self.grid.shape)).reshape(-1)
        h = np.empty_like(t)
        hk.enthalpy_from_temperature(t, *self._flat, h)
        return self._state_from_h(h.reshape(self.grid.shape), time)

    def _state_from_h(self, H, time=0.0, power=0.0) -> HeatState:
        T, f, _ = self._invert(H)
        return HeatState(T, H, f, time, power)

    def _invert(self, H):
        n = H.size
        t, f, c = np.empty(n), np.empty(n), np.empty(n)
        hk.temperature_from_enthalpy(np.ascontiguousarray(H).reshape(-1), *self._flat, t, f, c)
        s = self.grid.shape
        return t.reshape(s), f.reshape(s), c.reshape(s)

    # -- operator ----------------------------------------------------------------------
    def interior_conductances(self, k: np.ndarray) -> list[np.ndarray]:
        """Face conductances [W/K] with the films; boundary faces 0 (new arrays)."""
        return [a.copy() for a in self._interior(k)]

    def _interior(self, k: np.ndarray) -> list[np.ndarray]:
        """``interior_conductances`` cached on k; the cached arrays are read-only."""
        key, g = self._g_cache
        if key is not None and key.shape == k.shape and np.array_equal(key, k):
            return g
        g = []
        for a in range(3):
            ga = np.zeros(self.areas[a].shape)
            ka = k * self._kz if a == 2 and self._kz is not None else k
            fv.interior_conductances(ka, self.grid.widths(a), self.areas[a], a, ga)
            h = self.films.get(a)
            if h is not None:  # in series on the faces with a film and a conductance only
                hb = np.broadcast_to(h, ga.shape)
                both = np.flatnonzero((hb > 0) & (ga > 0))
                flat = ga.reshape(-1)
                flat[both] = 1.0 / (1.0 / flat[both] + 1.0 / (hb.reshape(-1)[both] * self.areas[a].reshape(-1)[both]))
            ga.flags.writeable = False
            g.append(ga)
        diag = StencilOperator(*g).diagonal()
        self._g_cache = (k.copy(), g)
        self._diag_int = diag
        return g

    def _side_law(self, side, bc):
        """Per-side constants of ``_boundary`` that the grid's shape and the surface law decide
        (face and cell slices, the law as arrays; shared between grids of one shape: read,
        never written); ``_side_geometry`` adds the grid's areas."""
        a, high, _ = _side(side)
        n = self.grid.shape[a]
        faces, cells = _sl(a, high, n, True), _sl(a, high, n, False)
        # the side's face shape (self.areas[a][faces].shape: the other two axes)
        shape = tuple(m for b, m in enumerate(self.grid.shape) if b != a)
        h, value, eps, amb, flux = (np.broadcast_to(np.asarray(v, float), shape).copy() for v in
                                    (bc.h, bc.value, bc.emissivity, bc.ambient, bc.flux))
        fixed = np.isinf(h)
        rad = None
        if np.any(eps > 0):  # flat contiguous inputs of the surface_linearisation kernel
            rad = tuple(np.ascontiguousarray(v, dtype=float).reshape(-1) for v in (
                np.where(fixed, 0.0, h), eps * STEFAN_BOLTZMANN, amb, np.where(fixed, 0.0, flux)))
        return dict(side=side, a=a, high=high, faces=faces, cells=cells, shape=shape, h=h,
                    value=value, flux=flux, fixed=fixed, rad=rad)

    def _side_geometry(self, law):
        """``_side_law`` with this grid's face areas and half width of the side's cells."""
        a, high = law["a"], law["high"]
        n = self.grid.shape[a]
        return dict(law, area=self.areas[a][law["faces"]],
                    half=0.5 * self.grid.widths(a)[n - 1 if high else 0])

    def _boundary(self, k, T, g):
        """Patch boundary conductances into g; returns rhs [W] and per side (gb, value, q).

        The outward flux of a boundary cell is gb (T_cell - value) + q [W] with the surface
        law linearised about the current surface temperature (exact at convergence): per
        face gb = area / (1 / kappa + 1 / h) with kappa = k / (w / 2) the half cell, q = flux
        area kappa / (kappa + h) (0 on a fixed temperature); kernels.heat.boundary_patch.
        """
        pd = self._patch
        p = pd["arrays"]
        b = np.zeros(self.grid.shape)
        n = pd["n"]
        gb, value, q = np.empty(n), np.empty(n), np.empty(n)
        flat = [np.ascontiguousarray(a).reshape(-1) for a in g]
        hk.boundary_patch(np.ascontiguousarray(k, dtype=np.float64).reshape(-1),
                          np.ascontiguousarray(T, dtype=np.float64).reshape(-1), p["cell"], p["axis"],
                          p["face"], p["half"], p["area"], p["h"], p["value"], p["flux"], p["fixed"],
                          p["rad"], p["h0"], p["es"], p["amb"], p["f0"], flat[0], flat[1], flat[2],
                          b.reshape(-1), gb, value, q)
        for a in range(3):
            if not g[a].flags.c_contiguous:  # flat is then a copy: write back
                g[a][...] = flat[a].reshape(g[a].shape)
        out = {side: (gb[i:j].reshape(shape), value[i:j].reshape(shape), q[i:j].reshape(shape))
               for side, i, j, shape in pd["spans"]}
        return b, out

    # -- Newton ------------------------------------------------------------------------
    def step(self, state: HeatState, dt: float, sources: dict | None = None,
             heater: Heater | None = None) -> tuple[HeatState, HeatBalance]:
        """Advance one backward-Euler step of dt [s]; sources: name -> power per cell [W]
        (a cell array, a scalar: that power in every cell, or a ``BoxSource``)."""
        if not dt > 0:
            raise ValueError(f"time step must be positive, got {dt!r}")
        m = self.volumes / dt
        k = self.props.conductivity(state.frac)
        H, P, it, bnd, demand = self._newton(state.H.copy(), state.H, m, k, sources, heater,
                                             state.heater_power, transient=True)
        new = self._state_from_h(H, state.time + dt, P)
        stored = float(np.sum(m * (H - state.H)))
        return new, self._balance(stored, new.T, bnd, sources, P, demand, it)

    def steady(self, sources: dict | None = None, heater: Heater | None = None,
               guess: HeatState | None = None, mushy: float = 1.0) -> tuple[HeatState, HeatBalance]:
        """Steady state (conductivity Picard-updated with the liquid fraction, which uses a
        mushy interval of at least ``mushy`` [K] so that it is continuous)."""
        st = guess if guess is not None else self.state(float(np.max(self.props.t_liquidus)) + 50.0)
        T, P = st.T.copy(), st.heater_power
        t_s = self.props.t_solidus
        rng = np.maximum(self.props.t_liquidus - t_s, mushy)
        has = self.props.latent > 0
        for outer in range(100):
            f = np.where(has, np.clip((T - t_s) / rng, 0.0, 1.0), 1.0)
            k = self.props.conductivity(f)
            T_new, P, it, bnd, demand = self._newton(T, None, None, k, sources, heater, P,
                                                     transient=False)
            change = float(np.max(np.abs(T_new - T)))
            T = T_new
            if change < 1e-9 * float(np.max(T)) and outer > 0:
                break
        else:
            raise ConvergenceError("steady heat: conductivity (liquid fraction) iteration did not settle")
        state = self.state(T)
        state = HeatState(state.T, state.H, state.frac, 0.0, P)
        return state, self._balance(0.0, T, bnd, sources, P, demand, outer + 1)

    def _newton(self, X, H_old, m, k, sources, heater, P, transient):
        """Newton on enthalpy (transient) or temperature (steady). Returns (X, P, it, bnd, demand).

        Stops when the summed absolute residual is below rtol x the throughput, or below
        its round-off floor (eps x the summed magnitudes of the terms of the residual), or
        when it stagnates near that floor. Each linear solve is asked for the accuracy that
        lets the next residual pass this test (relative residual between ``lin_rtol`` and
        ``lin_rtol_max``, whichever that accuracy needs, never more), so a linear problem takes
        one solve; the heater response solve always reaches ``lin_rtol``.
        """
        shape = self.grid.shape
        q = np.zeros(shape)
        for s in (sources or {}).values():
            if isinstance(s, BoxSource):
                q[s.box] += s.power
            else:
                q += s  # broadcast (a scalar, or a cell array as it is)
        if heater is not None:
            qh, cw = self._heater_weights(heater)
        else:
            P = 0.0
        demand = P
        q_abs = float(np.sum(np.abs(q)))
        g = [a.copy() for a in self._interior(k)]  # _boundary rewrites the boundary faces
        diag = self._diag_int
        zero = np.zeros(shape)
        eps = _EPS
        root_n = np.sqrt(zero.size)
        # r-z on one thread: the evaluation below as one kernel (the same numbers bit for bit)
        fused = self._fused and kernel_threads.threads() == 1
        if fused and self.band_newton and self.linear.kind == "cholesky":  # the glue as kernels too
            self._remeshed = False
            return self._newton_band(X, H_old, m, k, g, diag, zero, q, q_abs, P, heater, transient)
        evaluate = self._evaluation_kernel(heater) if fused else self._evaluation_numpy
        sums_tmp = np.empty(shape) if fused and heater is not None else None
        last = np.inf
        # after a remesh: the first correction and heater response only as accurate as the
        # second iteration's residual needs (REMESH_NL_SHARE of the last remesh's each), then
        # record this one's
        predict = transient and self._remeshed and self._adaptive
        self._remeshed = False
        nl_floor = REMESH_NL_SHARE * self._nl_remesh if predict else 0.0
        for it in range(1, self.max_newton + 1):
            T, C, d, r, bnd, res, flows, mx_sum, rr, floor_sum = evaluate(
                X, H_old, m, k, g, zero, q, P, qh if heater is not None else None, diag, it == 1, transient)
            scale = q_abs + abs(P) + flows  # throughput [W]: physical flows only
            if transient:
                scale += mx_sum
            if it == 1:  # round-off floor of the residual; the terms barely change in a step
                floor = floor_sum * eps
            target = max(self.rtol * scale, floor)
            stalled = res <= 1e3 * self.rtol * scale and res > 0.3 * last  # round-off floor
            if (res <= target or stalled) and (heater is None or it > 1):
                if predict:  # passed without a second correction: no prediction next time
                    self._nl_remesh = 0.0 if it <= 2 else self._nl_remesh
                return X, P, it, bnd, demand
            last = res
            rnorm = float(np.sqrt(rr))
            # ||r||_1 <= sqrt(n) ||r||_2: ask for half the target; no more accuracy than that
            # (the Newton test on the true residual decides), and at least lin_rtol_max
            want = 0.5 * target / (root_n * rnorm) if rnorm > 0 else self.lin_rtol
            l1_max = None
            if self._adaptive:  # checked on the true residual (L1_RATIO): looser by 1 / L1_RATIO
                want, l1_max = want / L1_RATIO, 0.5 * target
            if predict and it == 1 and nl_floor > 0.0 and rnorm > 0 and nl_floor / rnorm > want:
                want, l1_max = nl_floor / rnorm, None  # a second correction follows
            elif predict and it == 2:
                self._nl_remesh = rnorm
            need = min(max(want, self.lin_rtol), self.lin_rtol_max)
            x0 = self._galerkin_start(g, d, r, self._dT_hist) if it == 1 and self._adaptive else None
            dT = self.linear.solve(g, d, r, rtol=need, atol_rel=min(need, want), x0=x0, l1_max=l1_max)
            if it == 1 and self._adaptive:
                self._dT_hist = [dT] + self._dT_hist[:HISTORY - 1]
            if heater is not None:
                # the response to the heater pattern changes little between iterations and
                # steps: the last one starts the solve
                rtol_h, l1_h = self._heater_rtol(heater, T, dT, cw, qh, target, root_n,
                                                 nl_floor if it == 1 else 0.0)
                x0 = self._warm(self._dw_last, shape)
                if x0 is None and self._dw_adopted is not None:  # the response on the last grid
                    x0 = self._galerkin_start(g, d, qh, [self._dw_adopted])
                if rtol_h is None:  # no response to size it from: a loose one sizes it
                    dw = self.linear.solve(g, d, qh, rtol=self.lin_rtol_max, x0=x0, same=True)
                    self._dw_last = dw
                    rtol_h, l1_h = self._heater_rtol(heater, T, dT, cw, qh, target, root_n,
                                                     nl_floor if it == 1 else 0.0)
                    if rtol_h < self.lin_rtol_max:  # and continues, if it must, from there
                        dw = self.linear.solve(g, d, qh, rtol=rtol_h, x0=dw, same=True, l1_max=l1_h)
                else:  # g, d as above
                    dw = self.linear.solve(g, d, qh, rtol=rtol_h, x0=x0, same=True, l1_max=l1_h)
                self._dw_last = dw
                if fused:  # the two sums below in one kernel (NumPy's order: the same numbers)
                    mean_new, slope = hk.heater_sums(cw, T, dT, dw, sums_tmp)
                else:
                    mean_new, slope = np.sum(cw * (T + dT)), np.sum(cw * dw)
                want = P + (heater.set_point - mean_new) / slope
                demand = want
                P_new = min(max(want, 0.0), heater.max_power)
                dT = dT + (P_new - P) * dw
                P = P_new
            if transient and fused:
                X_new = np.empty(shape)
                hk.enthalpy_update(X.reshape(-1), C.reshape(-1), dT.reshape(-1), self._h_liq.reshape(-1),
                                   self._has_kinks, X_new.reshape(-1))
                X = X_new
            elif transient:
                X = self._clip_kinks(X, X + C * dT) if self._has_kinks else X + C * dT
            else:
                X = X + dT
        raise ConvergenceError(f"heat: Newton did not converge in {self.max_newton} iterations "
                               f"(residual {np.sum(np.abs(r)):.3e} W)")

    def _evaluation_numpy(self, X, H_old, m, k, g, zero, q, P, qh, diag, first, transient):
        """One residual evaluation of ``_newton`` (the definition; ``_evaluation_kernel`` is
        its one-kernel form): T, C (dH/dT, None when steady) and the shift d at X, the
        boundary faces patched into g, r = -R (the rhs less the operator on T, less the
        storage when transient), the sides' flows (gb, value, q) and the sums of the Newton
        test: sum |r|, the boundary flows sum |gb (T - value) + q| side by side, sum |m (X -
        H_old)|, sum r^2 and (first) the round-off floor's terms / eps."""
        if transient:
            T, _, C = self._invert(X)
            d = m * C
        else:
            T, C, d = X, None, zero
        b_bnd, bnd = self._boundary(k, T, g)
        rhs = b_bnd + q
        if qh is not None:
            rhs += P * qh
        r = np.empty(X.shape)
        hk.shifted_residual(g[0], g[1], g[2], zero, T, rhs, r)
        cells = self._side_cells
        flows = sum(float(np.sum(np.abs(gb * (T[cells[s]] - v) + qf))) for s, (gb, v, qf) in bnd.items())
        mx_sum = 0.0
        if transient:
            mx = m * (X - H_old)
            r -= mx  # r = -R
            mx_sum = float(np.sum(np.abs(mx)))
        floor_sum = 0.0
        if first:
            floor_sum = float(np.sum(diag * np.abs(T))) + float(np.sum(np.abs(rhs)))
            if transient:
                floor_sum += 2.0 * float(np.sum(m * np.abs(H_old)))
        return (T, C, d, r, bnd, float(np.sum(np.abs(r))), flows, mx_sum, float(np.sum(r * r)),
                floor_sum)

    def _newton_band(self, X, H_old, m, k, g, diag, zero, q, q_abs, P, heater, transient):
        """``_newton`` on r-z grids on one thread with the band Cholesky solve (direct: no
        Galerkin start, no 1-norm check, no remesh prediction), its glue as kernels in the
        same operations and order, so the same numbers bit for bit: per iteration the
        evaluation and the Newton test with the correction's accuracy
        (kernels.heat.newton_test), the correction and the heater response through
        ``ShiftedSolver.solve_band`` (the PCG kernel), the heater response's accuracy
        (``heater_accuracy``: ``_heater_rtol``) and the heater's control and the enthalpy
        update (``newton_update``)."""
        shape = self.grid.shape
        p = self._patch["arrays"]
        T, C, d, b, rhs, r, tmp, gb, value, qf, tmp_faces, out, bnd = self._evaluation_buffers()
        has_heater = heater is not None
        if has_heater:
            qh, cw = self._heater_weights(heater)
            set_point, max_power = float(heater.set_point), float(heater.max_power)
        else:
            qh = cw = zero
            P = set_point = max_power = 0.0
        demand = P
        kf = np.ascontiguousarray(k, dtype=np.float64)
        H0, m0 = (zero, zero) if H_old is None else (H_old, m)
        ctl = np.zeros(hk.CTL_SIZE)
        ctl[hk.CTL_RTOL], ctl[hk.CTL_EPS] = self.rtol, _EPS
        ctl[hk.CTL_LIN_RTOL], ctl[hk.CTL_LIN_RTOL_MAX] = self.lin_rtol, self.lin_rtol_max
        ctl[hk.CTL_ROOT_N], ctl[hk.CTL_Q_ABS], ctl[hk.CTL_LAST] = np.sqrt(zero.size), q_abs, np.inf
        power = np.empty(2)
        flat, spans, solve = self._flat, self._spans, self.linear.solve_band
        for it in range(1, self.max_newton + 1):
            if not hk.newton_test(X, H0, m0, transient, *flat, kf, p["cell"], p["axis"], p["face"], p["half"],
                                  p["area"], p["h"], p["value"], p["flux"], p["fixed"], p["rad"], p["h0"],
                                  p["es"], p["amb"], p["f0"], spans, g[0], g[1], g[2], zero, q, P, qh,
                                  it == 1, has_heater, diag, T, C, d, b, rhs, r, gb, value, qf, tmp, tmp_faces,
                                  out, ctl):
                return X, P, it, bnd, demand
            dT = solve(g, d, r, None, ctl[hk.CTL_NEED], ctl[hk.CTL_WANT])
            dw = zero
            if has_heater:  # the last response starts the solve (g, d as above)
                last = self._dw_last
                warm = last is not None and last.shape == shape
                rtol_h = hk.heater_accuracy(cw, qh, T, dT, last if warm else zero, warm, set_point, ctl)
                dw = self._dw_last = solve(g, d, qh, last if warm else None, rtol_h, same=True)
            X_new = np.empty(shape)
            hk.newton_update(X, C, dT, transient, self._h_liq, self._has_kinks, has_heater, cw, T, dw, P,
                             set_point, max_power, tmp, X_new, power)
            X = X_new
            if has_heater:
                P, demand = float(power[0]), float(power[1])
        raise ConvergenceError(f"heat: Newton did not converge in {self.max_newton} iterations "
                               f"(residual {np.sum(np.abs(r)):.3e} W)")

    def _evaluation_buffers(self):
        """The evaluation kernel's buffers for one Newton solve: T, C, d, b, rhs, r, tmp (cells),
        gb, value, q, tmp (faces), out[5] and the sides' flows (gb, value, q) as views of the
        face buffers (built once: the same dict every evaluation)."""
        shape, pd = self.grid.shape, self._patch
        n_faces = pd["n"]
        T, C, d, b, rhs, r, tmp = (np.empty(shape) for _ in range(7))
        gb, value, qf, tmp_faces = (np.empty(n_faces) for _ in range(4))
        bnd = {side: (gb[i:j].reshape(sh), value[i:j].reshape(sh), qf[i:j].reshape(sh))
               for side, i, j, sh in pd["spans"]}
        return T, C, d, b, rhs, r, tmp, gb, value, qf, tmp_faces, np.zeros(5), bnd

    def _evaluation_kernel(self, heater):
        """``_evaluation_numpy`` as one kernel (kernels.heat.newton_residual: the same
        operations, NumPy's sums, so the same numbers bit for bit) on buffers kept for one
        Newton solve (the boundary flows it returns are views of them)."""
        shape, pd = self.grid.shape, self._patch
        p = pd["arrays"]
        T, C, d, b, rhs, r, tmp, gb, value, qf, tmp_faces, out, bnd = self._evaluation_buffers()
        spans = self._spans
        qh_zero = np.zeros(shape) if heater is None else None
        kf = None

        def evaluate(X, H_old, m, k, g, zero, q, P, qh, diag, first, transient):
            nonlocal kf
            if kf is None:
                kf = np.ascontiguousarray(k, dtype=np.float64)
            hk.newton_residual(X, zero if H_old is None else H_old, zero if m is None else m, transient,
                               *self._flat, kf, p["cell"], p["axis"], p["face"], p["half"], p["area"],
                               p["h"], p["value"], p["flux"], p["fixed"], p["rad"], p["h0"], p["es"],
                               p["amb"], p["f0"], spans, g[0], g[1], g[2], zero, q, P,
                               qh_zero if qh is None else qh, first, diag, T, C, d, b, rhs, r, gb, value,
                               qf, tmp, tmp_faces, out)
            return (T, C if transient else None, d, r, bnd, float(out[0]), float(out[1]), float(out[4]),
                    float(out[2]), float(out[3]) if first else 0.0)

        return evaluate

    def _heater_weights(self, heater: Heater) -> tuple[np.ndarray, np.ndarray]:
        """(heater power share per cell, control-region volume weights) of ``heater``, kept
        while the same heater is passed (a field holds one per grid)."""
        cached = self._heater_cache
        if cached is not None and cached[0] is heater:
            return cached[1], cached[2]
        hv = np.where(heater.region, self.volumes, 0.0)
        qh = hv / hv.sum()
        cv = np.where(heater.control, self.volumes, 0.0)
        cw = cv / cv.sum()
        self._heater_cache = (heater, qh, cw)
        return qh, cw

    @property
    def _adaptive(self) -> bool:
        """Whether the linear solves are iterative (3D by default): they then start each step's
        first correction from the last steps' (Galerkin). A direct solve (r-z by default)
        does not: it is exact from any start. Both solve the heater response only as
        accurately as the Newton test needs (``_heater_rtol``): with a kept factorisation of
        earlier coefficients the last response then often passes as it is (r-z, 45 d: 3500
        instead of 4260 PCG iterations of the heat solves, the same Newton iterations)."""
        return not self.linear.direct

    def _galerkin_start(self, g, d, r, basis):
        """Initial guess of a linear solve (A + D) x = r: the combination V c of the vectors
        ``basis`` (the columns of V) that minimises the error in the energy norm,
        V^T (A + D) V c = V^T r, so never a worse start than zero. For a step's first Newton
        correction the basis is the last steps' first corrections (at most HISTORY): they
        follow the field's slow drift, so a few of them span most of the next. None without
        any (first step, or solver caches reset)."""
        hist = [v for v in basis if v.shape == r.shape]
        if not hist:
            return None
        dd = np.ascontiguousarray(d, dtype=np.float64)
        k = len(hist)
        flat = [v.reshape(-1) for v in hist]
        gram, rhs = np.empty((k, k)), np.empty(k)
        av = np.empty(r.shape)
        for i, v in enumerate(hist):  # one operator product per vector, the rest dots
            gram[i, i] = la.apply_shifted(g[0], g[1], g[2], dd, v, av)
            fa = av.reshape(-1)
            for j in range(i):
                gram[i, j] = gram[j, i] = la.dot(flat[j], fa)
            rhs[i] = la.dot(flat[i], np.ascontiguousarray(r).reshape(-1))
        w, u = np.linalg.eigh(gram)
        if not (np.all(np.isfinite(w)) and w[-1] > 0.0):
            return None
        keep = w > 1e-12 * w[-1]  # nearly dependent corrections: the pseudo-inverse
        c = u[:, keep] @ ((u[:, keep].T @ rhs) / w[keep])
        x0 = c[0] * hist[0]
        for ci, v in zip(c[1:], hist[1:]):
            x0 += ci * v
        return x0

    def adopt_history(self, other: "HeatSolver") -> None:
        """Start from the solve history of the solver of the previous grid (a remesh: the
        layers moved, the cell counts stayed): its first Newton corrections and heater
        response, used only through ``_galerkin_start`` (never a worse start than zero).
        2D direct solves keep none: the last grid's factorisation as the preconditioner of
        the new operator doubled the PCG iterations of a 45-day r-z campaign (layers moved by
        the 5 mm of numerics.remesh_threshold), and rebuilt at every step it took 4.4
        iterations per solve against 1.4 (the heater response is solved to 1e-10), more than
        a new band Cholesky costs (docs/speed.md)."""
        if self._adaptive and other._adaptive:
            self._dT_hist = [v for v in other._dT_hist if v.shape == self.grid.shape]
            dw = other._dw_last if other._dw_last is not None else other._dw_adopted
            self._dw_adopted = dw if dw is not None and dw.shape == self.grid.shape else None
            self._nl_remesh, self._remeshed = other._nl_remesh, True

    def _heater_rtol(self, heater, T, dT, cw, qh, target, root_n, nl_floor=0.0):
        """Relative residual asked of the heater response dw = (A + D)^-1 q_h: the update
        dT + dP dw leaves |dP| ||q_h - (A + D) dw||_1 <= sqrt(n) |dP| rtol ||q_h||_2 of the
        next Newton residual, kept at a quarter of the Newton target with dP estimated from
        the last response (between ``lin_rtol`` and ``lin_rtol_max``, as the corrections). The
        control equation holds exactly whatever the accuracy of dw (the power is solved
        from it), and the Newton test on the true residual decides the result. ``nl_floor``
        [W, L2]: the residual a second correction will remove anyway (after a remesh), which
        dP times the response's residual may reach instead. Iterative solves ask 1 / L1_RATIO
        more and check the 1-norm on the true residual. Returns (rtol, l1_max: the 1-norm the
        response's residual must reach, or None); (None, None): no response to size it from."""
        dw = self._dw_last
        if dw is None or dw.shape != T.shape:
            if not self._adaptive:
                return self.lin_rtol, None
            # iterative solves: the response on the last grid (a remesh) sizes it; without
            # one (the first step, caches reset at a sync point) None: ``_newton`` solves a
            # loose response (lin_rtol_max) and sizes the accuracy from it
            dw = self._dw_adopted
            if dw is None or dw.shape != T.shape:
                return None, None
        fc = cw.reshape(-1)
        slope = la.dot(fc, dw.reshape(-1))
        if not slope > 0.0:
            return self.lin_rtol, None
        mean = la.dot(fc, np.ascontiguousarray(T).reshape(-1)) + la.dot(fc, dT.reshape(-1))
        dP = abs(heater.set_point - mean) / slope
        fq = qh.reshape(-1)
        size = dP * root_n * float(np.sqrt(la.dot(fq, fq)))
        if size == 0.0:
            return self.lin_rtol_max, None
        rtol, l1_max = 0.25 * target / size, None
        if self._adaptive:  # checked on the true residual, as the corrections
            rtol, l1_max = rtol / L1_RATIO, 0.25 * target / dP
        if nl_floor > 0.0 and nl_floor / (dP * float(np.sqrt(la.dot(fq, fq)))) > rtol:
            # a second correction follows (after a remesh): its share of that
            rtol, l1_max = nl_floor / (dP * float(np.sqrt(la.dot(fq, fq)))), None
        return min(max(rtol, self.lin_rtol), self.lin_rtol_max), l1_max

    def _warm(self, x, shape):
        """Initial guess of a linear solve (None: zero). The 2D direct path benefits too: its
        factorisation is often stale (radiation changes the boundary conductances), and CG
        preconditioned by it then needs fewer iterations from a close start."""
        if x is None or x.shape != tuple(shape):
            return None
        return x

    def _clip_kinks(self, H0, H1):
        """Stop enthalpy updates at the kinks of H(T) (phase boundaries) they cross."""
        h_liq = self._h_liq
        H1 = np.where((H0 < 0) & (H1 > 0) | (H0 > 0) & (H1 < 0), 0.0, H1)
        H1 = np.where((H0 < h_liq) & (H1 > h_liq) | (H0 > h_liq) & (H1 < h_liq), h_liq, H1)
        return H1

    def _box_material(self, box) -> np.ndarray:
        """The material ids of a BoxSource's cells, flat (kept per box: a field's Joule heat
        comes in the same box every step)."""
        key = tuple((sl.start, sl.stop, sl.step) if isinstance(sl, slice) else sl for sl in box)
        mat = self._box_mat.get(key)
        if mat is None:
            mat = self._box_mat[key] = self.grid.material[box].reshape(-1)
        return mat

    def _balance(self, stored, T, bnd, sources, P, demand, it) -> HeatBalance:
        shape = self.grid.shape
        losses = {}
        fluxes = {}  # side -> its faces' outward flux (several groups may share a side)
        for name, (side, mask) in self.loss_groups.items():
            flux = fluxes.get(side)
            if flux is None:
                gb, value, qf = bnd.get(side, (None, None, None))
                if gb is None:
                    losses[name] = 0.0
                    continue
                flux = fluxes[side] = gb * (T[self._side_cells[side]] - value) + qf
            losses[name] = float(np.sum(flux if mask is None else flux[mask]))
        src = {}
        for name, s in (sources or {}).items():
            if isinstance(s, BoxSource):  # the cells of the box only (the rest hold 0 W)
                p, mat = s.power.reshape(-1), self._box_material(s.box)
            else:
                full = isinstance(s, np.ndarray) and s.shape == shape
                p, mat = (s if full else np.broadcast_to(s, shape)).reshape(-1), self._mat_flat
            if self._n_ids is not None:  # one pass over the cells: sums by region id
                by_id = np.bincount(mat, weights=p, minlength=self._n_ids).tolist()  # floats
                n_by = len(by_id)
                src[name] = {reg: by_id[rid] if 0 <= rid < n_by else 0.0 for reg, rid in self._region_ids}
            else:
                src[name] = {reg: float(p[mat == rid].sum()) for reg, rid in self._region_ids}
        total_src = sum(sum(r.values()) for r in src.values())
        residual = stored - (total_src + P - sum(losses.values()))
        return HeatBalance(stored, src, float(P), float(demand), losses, float(residual), it)


def ledge_profile(grid: Grid, frac: np.ndarray, region: str, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Frozen thickness [m] of ``region`` summed along ``axis`` (radially for r-z), per z.

    Returns (z centres [m], thickness [m] averaged over axis 1) for the z rows holding the
    region; the thickness is sum((1 - f) width) over the region's cells of the row.
    """
    mask, w, rows, z = grid.cached(("ledge_profile", region, axis), lambda: _ledge_geometry(grid, region, axis))
    frozen = np.where(mask, (1.0 - frac) * w, 0.0).sum(axis=axis, keepdims=True)
    thick = frozen.mean(axis=1 if axis != 1 else 0).reshape(-1)
    return z.copy(), thick[rows]


def _ledge_geometry(grid: Grid, region: str, axis: int) -> tuple:
    """``ledge_profile``'s grid part (once per grid; shared, read-only): the region's mask, the
    widths along ``axis`` shaped to broadcast, the z rows holding the region and their centres."""
    mask = grid.region_mask(region)
    w = grid.widths(axis).reshape([-1 if a == axis else 1 for a in range(3)])
    rows = mask.any(axis=(0, 1))
    z = grid.centres(2)[rows]
    for a in (mask, w, rows, z):
        a.flags.writeable = False
    return mask, w, rows, z
